//! The CIPP provider against a local fake of CIPP and the Microsoft login endpoint, serving the
//! documented payloads: token minting and caching, ListTenants rows, ListGraphRequest paging,
//! plain-text errors, retries and connection validation.

mod cipp_support;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cipp_support::*;
use entra_core::model::ConnectionType;
use entra_core::provider::EntraProvider;
use entra_providers::cipp::{
    CippConfig, CippProvider, validate_cipp_connection, validate_cipp_from_secrets,
};
use entra_providers::graph::CheckStatus;
use entra_providers::secrets::{MemorySecrets, Secret, SecretProvider, names};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn token_is_minted_with_client_credentials_and_sent_as_bearer_only() -> TestResult {
    let server = signed_in().await?;
    mount_tenants(&server, Some(TOKEN_1), Some(1)).await;
    let listing = list_tenants(&server).await?;
    assert!(listing.complete);
    for request in server.received_requests().await.unwrap_or_default() {
        assert!(request.headers.get("x-api-key").is_none(), "X-API-KEY sent");
        assert!(request.headers.get("x-functions-key").is_none());
        assert!(!request.url.as_str().contains("code="));
    }
    Ok(())
}

#[tokio::test]
async fn one_token_serves_many_requests_including_concurrent_ones() -> TestResult {
    let server = signed_in().await?;
    mount_tenants(&server, Some(TOKEN_1), Some(5)).await;
    let provider = provider(&server);
    provider.list_managed_tenants().await?;
    provider.list_managed_tenants().await?;
    let (a, b, c) = tokio::join!(
        provider.list_managed_tenants(),
        provider.list_managed_tenants(),
        provider.list_managed_tenants()
    );
    a?;
    b?;
    c?;
    Ok(())
}

#[tokio::test]
async fn a_token_near_expiry_is_replaced() -> TestResult {
    let server = server().await?;
    token_mock()
        .respond_with(ok(json!({
            "token_type": "Bearer", "expires_in": 2, "access_token": TOKEN_1
        })))
        .expect(2)
        .mount(&server)
        .await;
    tenants_mock()
        .respond_with(ok(json!([])))
        .expect(3)
        .mount(&server)
        .await;
    let provider = provider(&server);
    provider.list_managed_tenants().await?;
    provider.list_managed_tenants().await?;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    provider.list_managed_tenants().await?;
    Ok(())
}

#[tokio::test]
async fn a_rejected_token_is_reminted_once_and_the_call_repeated() -> TestResult {
    let server = server().await?;
    mount_remint(&server).await;
    tenants_mock()
        .and(bearer_is(TOKEN_1))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    mount_tenants(&server, Some(TOKEN_2), Some(1)).await;
    assert_eq!(list_tenants(&server).await?.tenants.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_token_rejected_twice_is_unauthorized() -> TestResult {
    let server = server().await?;
    token_mock()
        .respond_with(token_answer(TOKEN_1))
        .expect(2)
        .mount(&server)
        .await;
    tenants_mock()
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let err = list_tenants(&server).await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(err.status, Some(401));
    Ok(())
}

#[tokio::test]
async fn a_legacy_token_is_used_only_without_client_credentials() -> TestResult {
    let server = server().await?;
    Mock::given(method("POST"))
        .respond_with(token_answer(TOKEN_2))
        .expect(0)
        .mount(&server)
        .await;
    tenants_mock()
        .and(bearer_is(TOKEN_1))
        .respond_with(ok(json!([])))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    tenants_mock()
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let mut legacy = CippConfig::with_legacy_token(server.uri(), TOKEN_1);
    legacy.policy = policy();
    let provider = CippProvider::new(legacy)?;
    assert!(provider.list_managed_tenants().await?.tenants.is_empty());
    let err = provider.list_managed_tenants().await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert!(
        err.message.contains("expires after about an hour"),
        "{}",
        err.message
    );
    assert!(!err.message.contains(TOKEN_1));

    // With client credentials present, a stored legacy token is ignored.
    let server2 = self::server().await?;
    mount_token(&server2, TOKEN_2, 1).await;
    tenants_mock()
        .and(bearer_is(TOKEN_2))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server2)
        .await;
    let mut config = config(&server2);
    config.legacy_api_token = Some(Secret::new(TOKEN_1));
    CippProvider::new(config)?.list_managed_tenants().await?;
    Ok(())
}

#[tokio::test]
async fn token_endpoint_failures_keep_their_aadsts_code() -> TestResult {
    let server = server().await?;
    token_mock()
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 1",
            "error_codes": [7000215],
            "timestamp": "2026-08-07 03:12:55Z",
            "trace_id": "trace-1",
            "correlation_id": "corr-1"
        })))
        .mount(&server)
        .await;
    let err = list_tenants(&server).await.unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    assert_eq!(err.upstream_code.as_deref(), Some("AADSTS7000215"));
    assert!(!err.message.contains(CLIENT_SECRET));
    Ok(())
}

#[tokio::test]
async fn list_tenants_rows_are_mapped_and_pseudo_rows_skipped() -> TestResult {
    let server = signed_in().await?;
    mount_tenants(&server, None, None).await;
    let mut config = config(&server);
    config.partner_tenant_id = Some(CIPP_TENANT.to_string());
    let listing = CippProvider::new(config)?.list_managed_tenants().await?;
    assert!(listing.complete);
    let ids = tenant_ids(&listing.tenants);
    assert_eq!(ids, vec![CONTOSO, FABRIKAM]);
    let contoso = &listing.tenants[0];
    assert_eq!(contoso.display_name.as_deref(), Some("Contoso Inc"));
    assert_eq!(contoso.primary_domain.as_deref(), Some("contoso.com"));
    assert_eq!(
        contoso.domains,
        vec!["contoso.com", "contoso.onmicrosoft.com"]
    );
    assert_eq!(contoso.health_note, None);
    let fabrikam = &listing.tenants[1];
    assert_eq!(
        fabrikam.domains,
        vec![
            "fabrikam.co.uk",
            "fabrikamltd.onmicrosoft.com",
            "fabrikam.com"
        ]
    );
    let note = fabrikam.health_note.as_deref().unwrap_or_default();
    assert!(note.contains("AADSTS65001") && note.contains('2'), "{note}");
    assert_eq!(listing.warnings.len(), 1);
    assert_eq!(listing.warnings[0].code, "cipp_tenant_unhealthy");
    assert!(listing.warnings[0].message.contains(FABRIKAM));
    Ok(())
}

#[tokio::test]
async fn users_follow_two_pages_with_tenant_filter_and_next_link() -> TestResult {
    let first = vec![
        user_row("u1", "adele@contoso.com", true),
        user_row("u2", "room@contoso.com", false),
    ];
    let second = vec![user_row("u3", "alex@contoso.com", true)];
    let (server, listing) = list_pages(Some(1), vec![first, second]).await?;
    assert!(listing.complete);
    assert!(listing.error.is_none());
    let ids = user_ids(&listing.users);
    assert_eq!(ids, vec!["u1", "u2", "u3"]);
    assert!(listing.users.iter().all(|u| u.entra_tenant_id == CONTOSO));
    assert!(!listing.users[1].account_enabled);
    assert_eq!(listing.users[0].email.as_deref(), Some("adele@contoso.com"));
    assert_eq!(
        listing.users[0].assigned_license_sku_ids,
        vec!["c7df2760-2c81-4ef7-b578-5b5392b571df"]
    );
    let requests = server.received_requests().await.unwrap_or_default();
    let first = requests
        .iter()
        .find(|r| r.url.path() == "/api/ListGraphRequest")
        .map(|r| r.url.clone());
    let select = first
        .as_ref()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "$select"))
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    for field in [
        "id",
        "accountEnabled",
        "userType",
        "mail",
        "proxyAddresses",
        "assignedLicenses",
    ] {
        assert!(
            select.split(',').any(|f| f == field),
            "{field} not selected: {select}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn users_follow_three_pages_until_the_last_has_no_next_link() -> TestResult {
    let pages = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            vec![user_row(
                &format!("u{}", i + 1),
                &format!("{name}@contoso.com"),
                true,
            )]
        })
        .collect();
    let (_server, listing) = list_pages(Some(1), pages).await?;
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 3);
    Ok(())
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_never_followed() -> TestResult {
    let server = signed_in().await?;
    let foreign = "https://graph.evil.example/v1.0/users?$skiptoken=x";
    let first = vec![user_row("u1", "a@contoso.com", true)];
    page_mock(None, first, Some(foreign))
        .expect(1)
        .mount(&server)
        .await;
    users_mock(Some(foreign))
        .respond_with(users_page(vec![], None))
        .expect(0)
        .mount(&server)
        .await;
    assert_cut_short(&list_contoso(&server).await?, 1, "paging_guard");
    Ok(())
}

#[tokio::test]
async fn the_graph_host_is_configurable() -> TestResult {
    let server = server().await?;
    mount_token(&server, TOKEN_1, 2).await;
    let local = "https://graph.sandbox.test/v1.0/users?$skiptoken=2";
    mount_first_page(&server, local).await;
    let second = vec![user_row("u2", "b@contoso.com", true)];
    mount_page(&server, Some(local), second, None).await;
    let mut config = config(&server);
    config.graph_host = "graph.sandbox.test".to_string();
    let listing = CippProvider::new(config)?.list_users(CONTOSO).await?;
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 2);
    // The default host refuses the same link.
    let listing = list_contoso(&server).await?;
    assert!(!listing.complete);
    Ok(())
}

#[tokio::test]
async fn a_repeated_next_link_is_refused() -> TestResult {
    let server = signed_in().await?;
    let link = skip_link("loop");
    mount_first_page(&server, &link).await;
    mount_page_once(
        &server,
        Some(&link),
        vec![user_row("u2", "b@contoso.com", true)],
        Some(&link),
    )
    .await;
    assert_cut_short(&list_contoso(&server).await?, 2, "paging_guard");
    Ok(())
}

#[tokio::test]
async fn a_page_failing_half_way_leaves_the_listing_incomplete() -> TestResult {
    let server = signed_in().await?;
    let link = skip_link("page2");
    mount_first_page(&server, &link).await;
    users_mock(Some(&link))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            "Graph Error: Too many requests. Please try again later. - Endpoint: users",
        ))
        .mount(&server)
        .await;
    let listing = list_contoso(&server).await?;
    let error = assert_cut_short(&listing, 1, "throttled");
    assert!(
        error.message.contains("Too many requests"),
        "{}",
        error.message
    );
    Ok(())
}

#[tokio::test]
async fn a_row_without_account_enabled_is_left_out_and_the_listing_incomplete() -> TestResult {
    let server = signed_in().await?;
    let mut row = user_row("u2", "b@contoso.com", true);
    if let Some(fields) = row.as_object_mut() {
        fields.remove("accountEnabled");
    }
    let first = vec![user_row("u1", "a@contoso.com", true)];
    let second = vec![row.clone(), user_row("u3", "c@contoso.com", false)];
    mount_pages(&server, None, vec![first, second]).await;
    let listing = list_contoso(&server).await?;
    // Never taken as enabled: left out, and its absence must not count.
    assert!(!listing.complete);
    assert!(listing.error.is_none());
    let ids = user_ids(&listing.users);
    assert_eq!(ids, ["u1", "u3"]);
    assert_eq!(listing.warnings.len(), 1);
    let warning = &listing.warnings[0];
    assert_eq!(warning.code, "user_row_skipped");
    assert!(warning.message.contains("user u2"), "{}", warning.message);
    assert!(
        warning.message.contains("Results[0].accountEnabled"),
        "{}",
        warning.message
    );

    // A tenant whose only row is unreadable is not an error on every run either.
    let server = signed_in().await?;
    mount_page(&server, None, vec![row], None).await;
    let listing = list_contoso(&server).await?;
    assert!(!listing.complete);
    assert!(listing.users.is_empty());
    assert_eq!(listing.warnings[0].code, "user_row_skipped");
    Ok(())
}

#[tokio::test]
async fn a_user_repeated_across_pages_keeps_its_last_copy() -> TestResult {
    let (_server, listing) = list_pages(None, last_copy_pages(user_row)).await?;
    assert_last_copy_kept(&listing);
    Ok(())
}

/// CIPP's error answers, plain text or JSON, and the code, status and reason the provider keeps.
#[tokio::test]
async fn plain_text_errors_map_to_codes_and_keep_their_reason() -> TestResult {
    let text = |status: u16, body: &str, code: &'static str| {
        (
            Call::Users,
            ErrorCase::text("plain-text error", status, body, code),
        )
    };
    let rows = [
        text(
            403,
            "Access to this CIPP API endpoint is not allowed, the 'readonly' base role does not have the required permission: CIPP.Core.Read",
            "forbidden",
        ),
        text(
            403,
            "Access to this CIPP API endpoint is not allowed, you do not have the required permission: Identity.User.Read",
            "forbidden",
        ),
        text(
            403,
            "Access to this CIPP API endpoint is not allowed, the API Client does not have the required permission",
            "forbidden",
        ),
        text(403, "Access to this tenant is not allowed", "forbidden"),
        text(
            403,
            "Your CIPP subscription has ended. Access to this instance is no longer available.",
            "subscription_ended",
        ),
        text(404, "Endpoint not found", "not_found"),
        text(
            400,
            "Graph Error: We cannot access this tenant as consent has not been given, please try refreshing the CPV permissions in the application settings menu. - Endpoint: users",
            "consent_required",
        ),
        text(
            400,
            "Graph Error: Access has been blocked by Conditional Access policies. Please check the Conditional Access configuration documentation - Endpoint: users",
            "mfa_or_conditional_access",
        ),
        text(
            400,
            "Graph Error: The CIPP user access token has expired. Run the Setup Wizard to refresh your tokens. - Endpoint: users",
            "refresh_token_expired",
        ),
        text(
            400,
            "Graph Error: Exception at D:\\home\\site\\wwwroot\\Modules\\CIPPCore\\Public\\GraphRequests\\Get-GraphRequestList.ps1:179 - Graph request denied for 'contoso.com': the tenant is not in CIPP's tenant list. - Endpoint: users",
            "tenant_not_found",
        ),
        text(
            400,
            "Graph Error: Too many requests. - Endpoint: users",
            "throttled",
        ),
        text(
            400,
            "Graph Error: Invalid filter clause: Syntax error at position 3 - Endpoint: users",
            "bad_request",
        ),
        text(
            500,
            "Could not get token: invalid_grant:AADSTS700082: The refresh token has expired due to inactivity.",
            "upstream_unavailable",
        ),
        (
            Call::Users,
            ErrorCase::json(
                "queued answer, not an empty tenant",
                200,
                json!({
                    "Results": [],
                    "Metadata": {"Queued": true, "QueueMessage": "Still loading data for all tenants", "QueueId": "q1"}
                }),
                "unexpected_response",
            )
            .saying("queued"),
        ),
        (
            Call::Tenants,
            ErrorCase::json(
                "ListTenants error row",
                200,
                json!([{
                    "Results": "Failed to retrieve tenants: Could not connect to Partner Center",
                    "defaultDomainName": "",
                    "displayName": "Failed to retrieve tenants. Perform a permission check.",
                    "customerId": ""
                }]),
                "upstream_unavailable",
            )
            .saying("Failed to retrieve tenants"),
        ),
        (
            Call::Tenants,
            ErrorCase::text(
                "gateway errors outlasting the retries",
                503,
                "This feature has been disabled: Tenants",
                "upstream_unavailable",
            )
            .requested(u64::from(policy().max_retries) + 1),
        ),
    ];
    for (call, case) in &rows {
        run_error_case(*call, case).await?;
    }
    Ok(())
}

#[tokio::test]
async fn gateway_errors_are_retried_then_succeed() -> TestResult {
    let server = signed_in().await?;
    let gateway_errors = vec![
        ResponseTemplate::new(502).set_body_string("Bad Gateway"),
        ResponseTemplate::new(503).insert_header("Retry-After", "0"),
        ResponseTemplate::new(504),
    ];
    tenants_answer_first(&server, gateway_errors).await;
    mount_tenants(&server, None, Some(1)).await;
    let listing = list_tenants(&server).await?;
    assert_eq!(listing.tenants.len(), 2);
    assert_eq!(requests_to(&server, Some("/api/ListTenants")).await, 4);
    Ok(())
}

#[tokio::test]
async fn a_throttled_answer_waits_for_retry_after() -> TestResult {
    let server = signed_in().await?;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    tenants_answer_first(&server, vec![throttled]).await;
    mount_tenants(&server, None, Some(1)).await;
    let provider = provider(&server);
    let started = std::time::Instant::now();
    let listing = provider.list_managed_tenants().await?;
    // The backoff of the test policy is a few milliseconds: only Retry-After explains a second.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(listing.tenants.len(), 2);
    Ok(())
}

#[tokio::test]
async fn no_secret_or_token_appears_in_errors_or_debug_output() -> TestResult {
    let server = signed_in().await?;
    tenants_mock()
        .respond_with(ResponseTemplate::new(500).set_body_string(format!(
            "Unhandled: request with Authorization: Bearer {TOKEN_1} and client_secret={CLIENT_SECRET} failed; token {TOKEN_1}"
        )))
        .mount(&server)
        .await;
    users_mock(None)
        .respond_with(ResponseTemplate::new(403).set_body_string(format!(
            "Access to this tenant is not allowed for Bearer {TOKEN_1}"
        )))
        .mount(&server)
        .await;
    let provider = provider(&server);
    let tenants_err = provider.list_managed_tenants().await.unwrap_err();
    let users_err = provider.list_users(CONTOSO).await.unwrap_err();
    let report = provider.validate(None).await;
    let texts = [
        tenants_err.to_string(),
        format!("{tenants_err:?}"),
        serde_json::to_string(&tenants_err)?,
        users_err.to_string(),
        format!("{users_err:?}"),
        format!("{provider:?}"),
        format!("{:?}", config(&server)),
        format!("{report:?}"),
    ];
    for text in texts {
        for secret in [TOKEN_1, CLIENT_SECRET, "first-signature"] {
            assert!(!text.contains(secret), "leak of {secret} in {text}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn delta_is_not_offered() -> TestResult {
    let server = server().await?;
    let provider = provider(&server);
    assert_eq!(provider.connection_type(), ConnectionType::Cipp);
    assert!(!provider.supports_delta());
    let err = provider.list_users_delta(CONTOSO, None).await.unwrap_err();
    assert_eq!(err.code(), "unsupported");
    Ok(())
}

#[tokio::test]
async fn validation_reports_every_named_check() -> TestResult {
    let server = signed_in().await?;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .and(bearer_is(TOKEN_1))
        .respond_with(ok(json!({
            "clientPrincipal": {"appId": CLIENT_ID, "appRole": []},
            "permissions": ["CIPP.Core.Read"]
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_tenants(&server, None, None).await;
    mount_page_once(
        &server,
        None,
        vec![user_row("u1", "a@contoso.com", true)],
        Some(&skip_link("more")),
    )
    .await;
    let report = validate_cipp_connection(config(&server)).await;
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "configuration_valid",
            "token_minted",
            "api_me_accepted",
            "tenants_listed",
            "users_readable"
        ]
    );
    assert!(report.ok, "{report:?}");
    assert!(
        report.checks[2]
            .message
            .as_deref()
            .unwrap_or_default()
            .contains(CLIENT_ID)
    );
    assert!(
        report.checks[4]
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("Contoso Inc")
    );
    Ok(())
}

#[tokio::test]
async fn validation_names_the_failing_check_and_skips_the_rest() -> TestResult {
    let server = signed_in().await?;
    Mock::given(method("GET"))
        .and(path("/api/me"))
        .respond_with(ok(json!({
            "clientPrincipal": {"appId": CLIENT_ID, "appRole": []}, "permissions": []
        })))
        .mount(&server)
        .await;
    tenants_mock()
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "Access to this CIPP API endpoint is not allowed, you do not have the required permission: CIPP.Core.Read",
        ))
        .mount(&server)
        .await;
    let report = validate_cipp_connection(config(&server)).await;
    assert!(!report.ok);
    let failed = report
        .checks
        .iter()
        .find(|c| c.status == CheckStatus::Failed)
        .expect("a failure");
    assert_eq!(failed.name, "tenants_listed");
    assert_eq!(failed.error_code.as_deref(), Some("forbidden"));
    assert!(
        failed
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("CIPP.Core.Read")
    );
    let users = report.check("users_readable").expect("listed");
    assert_eq!(users.status, CheckStatus::Skipped);

    // Bad client secret: the token check fails with the login endpoint's code.
    let server = self::server().await?;
    token_mock()
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215]
        })))
        .mount(&server)
        .await;
    let report = validate_cipp_connection(config(&server)).await;
    let token = report.check("token_minted").expect("ran");
    assert_eq!(token.status, CheckStatus::Failed);
    assert_eq!(token.error_code.as_deref(), Some("invalid_client"));
    assert_eq!(report.checks.len(), 5);

    // Incomplete settings fail before any request.
    let mut incomplete = config(&server);
    incomplete.client_id = String::new();
    let report = validate_cipp_connection(incomplete).await;
    assert_eq!(report.checks[0].name, "configuration_valid");
    assert_eq!(
        report.checks[0].error_code.as_deref(),
        Some("configuration")
    );
    Ok(())
}

#[tokio::test]
async fn validation_from_the_secret_store() -> TestResult {
    let server = server().await?;
    let secrets = MemorySecrets::new();
    let report = validate_cipp_from_secrets(&secrets, "psa-tenant").await;
    assert!(!report.ok);
    assert_eq!(report.checks.len(), 5);
    assert_eq!(
        report.checks[0].error_code.as_deref(),
        Some("configuration")
    );
    assert_eq!(report.checks[1].status, CheckStatus::Skipped);

    // Once a URL is stored but no credentials, the settings check names what is missing.
    secrets
        .set(
            "psa-tenant",
            names::ENTRA_CIPP_BASE_URL,
            Secret::new(server.uri()),
        )
        .await?;
    secrets
        .set(
            "psa-tenant",
            names::ENTRA_CIPP_CLIENT_ID,
            Secret::new(CLIENT_ID),
        )
        .await?;
    let report = validate_cipp_from_secrets(&secrets, "psa-tenant").await;
    let settings = &report.checks[0];
    assert_eq!(settings.error_code.as_deref(), Some("configuration"));
    let message = settings.message.as_deref().unwrap_or_default();
    assert!(message.contains("entra_cipp_client_secret"), "{message}");
    assert!(!message.contains(CLIENT_ID), "{message}");
    assert_eq!(requests_to(&server, None).await, 0);
    Ok(())
}

/// Every log event the provider emits, as text.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<String>>>);

struct EventText(String);

impl Visit for EventText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl<S: tracing::Subscriber> Layer<S> for LogCapture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut text = EventText(event.metadata().target().to_string());
        event.record(&mut text);
        if let Ok(mut lines) = self.0.lock() {
            lines.push(text.0);
        }
    }
}

#[tokio::test]
async fn no_token_or_secret_reaches_a_log_line() -> TestResult {
    let capture = LogCapture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let server = server().await?;
    mount_remint(&server).await;
    tenants_mock()
        .and(bearer_is(TOKEN_1))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    tenants_mock()
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("Bearer {TOKEN_2}")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_tenants(&server, None, None).await;
    let link = skip_link("secret-skiptoken");
    Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(query_param_is_missing("nextLink"))
        .respond_with(users_page(
            vec![user_row("u1", "a@contoso.com", true)],
            Some(&link),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(query_param("nextLink", link.as_str()))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!(
            "failed for client_secret={CLIENT_SECRET} with Bearer {TOKEN_2}"
        )))
        .mount(&server)
        .await;
    let provider = provider(&server);
    provider.list_managed_tenants().await?;
    let listing = provider.list_users(CONTOSO).await?;
    assert!(!listing.complete);
    let lines = capture.0.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(!lines.is_empty(), "the flows log something");
    for line in lines {
        for secret in [TOKEN_1, TOKEN_2, CLIENT_SECRET, "secret-skiptoken"] {
            assert!(!line.contains(secret), "log line leaks {secret}: {line}");
        }
    }
    let error = format!("{:?}", listing.error);
    assert!(
        !error.contains(CLIENT_SECRET) && !error.contains(TOKEN_2),
        "{error}"
    );
    Ok(())
}
