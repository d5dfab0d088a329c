//! No token, secret or authorization header reaches an error, a `Debug` output or a log line.

mod graph_support;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use entra_core::provider::{EntraProvider, ProviderError};
use entra_providers::auth::TokenSet;
use entra_providers::graph::{GraphOptions, GraphProvider};
use entra_providers::secrets::Secret;
use graph_support::*;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const SECRETS: [&str; 6] = [
    CLIENT_SECRET,
    PARTNER_RT,
    "AT-secret-partner",
    "AT-secret-contoso",
    "RT-secret-rotated",
    "AT-secret-stale",
];

/// Captures every event and span field as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields(format!(
            "{} {}",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: Context<'_, S>,
    ) {
        let mut fields = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} leaks `{secret}`: {text}");
    }
    assert!(
        !text.to_ascii_lowercase().contains("bearer at-"),
        "{what} leaks a bearer header: {text}"
    );
}

fn describe(err: &ProviderError) -> String {
    format!("{err} | {err:?} | {}", serde_json::to_string(err).unwrap())
}

#[tokio::test]
async fn secrets_stay_out_of_errors_debug_output_and_logs() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let fx = Fixture::start().await;
    // Partner: a stale token refused with 401, then a refresh that rotates the refresh token.
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("AT-secret-partner", Some("RT-secret-rotated"))),
        )
        .mount(&fx.login)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .and(header("authorization", "Bearer AT-secret-stale"))
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error_body(
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        )))
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})))
        .mount(&fx.graph)
        .await;
    // Contoso: token fine; users page 2 is throttled for good; Graph echoes the header back.
    fx.mount_customer_token(CONTOSO, "AT-secret-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(graph_error_body(
                    "TooManyRequests",
                    "Too many requests for Authorization: Bearer AT-secret-contoso; retry later",
                )),
        )
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": fx.graph_url("v1.0/users?$skiptoken=p2"),
            "value": [user_row("u1", "a@contoso.com", true)]})))
        .mount(&fx.graph)
        .await;
    // Fabrikam: the token endpoint refuses with an AADSTS error.
    Mock::given(method("POST"))
        .and(path(format!("/{FABRIKAM}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(aad_error(
            "invalid_grant",
            65001,
            "The user or administrator has not consented. refresh_token=RT-secret-rotated",
        )))
        .mount(&fx.login)
        .await;

    let tokens = TokenSet {
        access_token: Secret::new("AT-secret-stale"),
        refresh_token: Some(Secret::new(PARTNER_RT)),
        expires_at: entra_providers::auth::unix_now() + 3000,
        scope: None,
    };
    let settings = fx.settings(
        GraphOptions {
            enrich_from_relationships: false,
            ..GraphOptions::default()
        },
        tokens,
    );
    assert_clean("settings", &format!("{settings:?}"));
    let provider = GraphProvider::new(settings).unwrap();

    let tenants = provider.list_managed_tenants().await.unwrap();
    assert_eq!(tenants.tenants.len(), 1);
    let listing = provider.list_users(CONTOSO).await.unwrap();
    assert!(!listing.complete);
    let throttled = listing.error.clone().unwrap();
    assert_eq!(throttled.code(), "throttled");
    assert_clean("throttled error", &describe(&throttled));
    assert_clean("listing", &format!("{listing:?}"));
    let consent = provider.list_users(FABRIKAM).await.unwrap_err();
    assert_eq!(consent.code(), "consent_required");
    assert_clean("consent error", &describe(&consent));
    let report = provider.validate_direct_connection().await;
    assert_clean("report", &format!("{report:?}"));

    assert_clean("provider", &format!("{provider:?}"));
    let current = provider.partner_tokens().await;
    assert_eq!(
        current.refresh_token.as_ref().map(Secret::expose),
        Some("RT-secret-rotated")
    );
    assert_clean("token set", &format!("{current:?}"));

    let lines = capture.0.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("retryable answer")),
        "the retries were logged: {lines:#?}"
    );
    for line in &lines {
        assert_clean("log line", line);
    }
}
