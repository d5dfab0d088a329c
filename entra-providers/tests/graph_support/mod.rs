//! Shared fixtures for the direct-provider tests: loopback wiremock servers standing in for the
//! Microsoft login endpoint and Graph, with payloads shaped like the real ones.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use entra_providers::auth::{CloudEndpoints, TokenRotationSink, TokenSet};
use entra_providers::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use entra_providers::http::HttpPolicy;
use entra_providers::secrets::Secret;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

#[path = "../support/mod.rs"]
mod common;
pub use common::*;

pub const PARTNER: &str = "partner-tenant";
pub const CLIENT_ID: &str = "app-client-id";
pub const CLIENT_SECRET: &str = "SECRET-client-secret-7f3a";
pub const PARTNER_RT: &str = "RT-partner-refresh-0001";
pub const CONTOSO: &str = "52eaad04-13a2-4a2f-9ce8-93a294fadf36";
pub const FABRIKAM: &str = "4fdbff88-9d6b-42e0-9713-45c922ba8001";

/// The request id inside [`graph_error_body`].
pub const BODY_REQUEST_ID: &str = "2bd5b4b8-f877-4bf9-9390-1d9fca785d26";
pub const DISCOVERY: &str = "/v1.0/tenantRelationships/delegatedAdminCustomers";
pub const USERS: &str = "/v1.0/users";
pub const DELTA: &str = "/v1.0/users/delta";
pub const DOMAINS: &str = "/v1.0/domains";
pub const LIGHTHOUSE: &str = "/beta/tenantRelationships/managedTenants/tenants";

pub async fn server() -> MockServer {
    loopback().await
}

/// Options that skip the GDAP relationship enrichment (one Graph call fewer per discovery).
pub fn no_enrichment() -> GraphOptions {
    GraphOptions {
        enrich_from_relationships: false,
        ..GraphOptions::default()
    }
}

/// A GET on a Graph path.
pub fn get(graph_path: &str) -> MockBuilder {
    Mock::given(method("GET")).and(path(graph_path))
}

/// Which provider call a row makes.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    /// `list_managed_tenants` (discovery).
    Tenants,
    /// `list_users(CONTOSO)`.
    Users,
}

impl Call {
    /// The Graph path the call reads first.
    pub fn path(self) -> &'static str {
        match self {
            Call::Tenants => DISCOVERY,
            Call::Users => USERS,
        }
    }
}

pub struct Fixture {
    pub login: MockServer,
    pub graph: MockServer,
}

impl Fixture {
    pub async fn start() -> Self {
        Self {
            login: server().await,
            graph: server().await,
        }
    }

    /// A fixture whose partner token and CONTOSO's customer token are minted on demand.
    pub async fn signed_in() -> Self {
        let fx = Self::start().await;
        fx.mount_partner_refresh("AT-partner-1", None).await;
        fx.mount_customer_token(CONTOSO, "AT-contoso").await;
        fx
    }

    /// Mounts `answer` for GETs on `graph_path`.
    pub async fn answer(&self, graph_path: &str, answer: impl wiremock::Respond + 'static) {
        get(graph_path)
            .respond_with(answer)
            .mount(&self.graph)
            .await;
    }

    /// Answers GETs on `graph_path` (once) with `status` and a `Location` on another loopback
    /// server, which must never be requested; returns that server.
    pub async fn redirect_elsewhere(
        &self,
        graph_path: &str,
        status: u16,
        location: &str,
    ) -> MockServer {
        let elsewhere = server().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})),
            )
            .expect(0)
            .mount(&elsewhere)
            .await;
        let target = format!("{}{location}", elsewhere.uri());
        get(graph_path)
            .respond_with(ResponseTemplate::new(status).insert_header("Location", target.as_str()))
            .expect(1)
            .mount(&self.graph)
            .await;
        elsewhere
    }

    /// `graph_path` refuses the bearer token `stale` once as expired, then answers `body` to the
    /// bearer token `fresh` once.
    pub async fn refused_then_accepted(
        &self,
        graph_path: &str,
        stale: &str,
        fresh: &str,
        body: Value,
    ) {
        get(graph_path)
            .and(header("authorization", format!("Bearer {stale}").as_str()))
            .respond_with(graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            ))
            .expect(1)
            .mount(&self.graph)
            .await;
        get(graph_path)
            .and(header("authorization", format!("Bearer {fresh}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&self.graph)
            .await;
    }

    /// The delta endpoint answers one last page of `rows`, handing on a `next` delta link.
    pub async fn answer_delta_round(&self, rows: Value) {
        let delta_link = self.graph_url("v1.0/users/delta?$deltatoken=next");
        let body = serde_json::json!({"@odata.deltaLink": delta_link, "value": rows});
        self.answer(DELTA, ResponseTemplate::new(200).set_body_json(body))
            .await;
    }

    /// A delta round from a stored link (`$deltatoken=old`).
    pub async fn delta_from_old_link(&self) -> entra_core::provider::DeltaListing {
        let link = self.graph_url("v1.0/users/delta?$deltatoken=old");
        self.delta(Some(&link)).await
    }

    /// Makes `call` with a provider without enrichment.
    pub async fn call(&self, call: Call) -> Result<(), entra_core::provider::ProviderError> {
        use entra_core::provider::EntraProvider;
        let provider = self.provider(no_enrichment());
        match call {
            Call::Tenants => provider.list_managed_tenants().await.map(|_| ()),
            Call::Users => provider.list_users(CONTOSO).await.map(|_| ()),
        }
    }

    /// `list_users(CONTOSO)` with a provider without enrichment; panics on an error.
    pub async fn users(&self) -> entra_core::provider::UserListing {
        use entra_core::provider::EntraProvider;
        self.provider(no_enrichment())
            .list_users(CONTOSO)
            .await
            .expect("the users listing")
    }

    /// Discovery with a provider without enrichment; panics on an error.
    pub async fn tenants(&self) -> entra_core::provider::TenantListing {
        use entra_core::provider::EntraProvider;
        self.provider(no_enrichment())
            .list_managed_tenants()
            .await
            .expect("the tenant listing")
    }

    /// A delta round for CONTOSO from `link` (a full enumeration when `None`); panics on an error.
    pub async fn delta(&self, link: Option<&str>) -> entra_core::provider::DeltaListing {
        use entra_core::provider::EntraProvider;
        self.provider(no_enrichment())
            .list_users_delta(CONTOSO, link)
            .await
            .expect("the delta round")
    }

    /// Runs one error row: signed in, the row answers `call`'s path, the call fails as expected.
    /// Returns the fixture, so that a table can look at what else was requested.
    pub async fn run_error_case(call: Call, case: &ErrorCase) -> Self {
        let fx = Self::signed_in().await;
        case.run(&fx.graph, get(call.path()), || fx.call(call))
            .await;
        fx
    }

    pub fn endpoints(&self) -> CloudEndpoints {
        CloudEndpoints::custom(&self.login.uri(), &self.graph.uri()).unwrap()
    }

    pub fn config(&self, options: GraphOptions) -> GraphConfig {
        GraphConfig {
            endpoints: self.endpoints(),
            options,
            policy: HttpPolicy::fast_for_tests(),
        }
    }

    pub fn settings(&self, options: GraphOptions, tokens: TokenSet) -> GraphSettings {
        GraphSettings {
            client_id: CLIENT_ID.to_string(),
            client_secret: Secret::new(CLIENT_SECRET),
            partner_tenant_id: PARTNER.to_string(),
            tokens,
            config: self.config(options),
        }
    }

    /// A provider whose partner token must be refreshed before first use.
    pub fn provider(&self, options: GraphOptions) -> GraphProvider {
        GraphProvider::new(self.settings(
            options,
            TokenSet::from_refresh_token(Secret::new(PARTNER_RT)),
        ))
        .unwrap()
    }

    /// Like [`Fixture::provider`], under another HTTP policy.
    pub fn provider_with_policy(&self, options: GraphOptions, policy: HttpPolicy) -> GraphProvider {
        let mut settings = self.settings(
            options,
            TokenSet::from_refresh_token(Secret::new(PARTNER_RT)),
        );
        settings.config.policy = policy;
        GraphProvider::new(settings).unwrap()
    }

    pub fn graph_url(&self, path_and_query: &str) -> String {
        format!("{}/{}", self.graph.uri(), path_and_query)
    }

    /// The partner refresh at the partner authority answers `access` (and rotates the RT).
    pub async fn mount_partner_refresh(&self, access: &str, new_rt: Option<&str>) {
        Mock::given(method("POST"))
            .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(access, new_rt)))
            .mount(&self.login)
            .await;
    }

    /// A customer-tenant token minted from the partner refresh token.
    pub async fn mount_customer_token(&self, tenant: &str, access: &str) {
        Mock::given(method("POST"))
            .and(path(format!("/{tenant}/oauth2/v2.0/token")))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(access, None)))
            .mount(&self.login)
            .await;
    }
}

pub fn token_body(access: &str, refresh: Option<&str>) -> Value {
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": access,
        "scope": "https://graph.microsoft.com/.default"
    });
    if let Some(rt) = refresh {
        body["refresh_token"] = json!(rt);
    }
    body
}

/// An AAD token-endpoint error body, as the identity platform sends it.
pub fn aad_error(error: &str, code: u64, text: &str) -> Value {
    json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2026-08-01 10:00:00Z"),
        "error_codes": [code],
        "timestamp": "2026-08-01 10:00:00Z",
        "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
        "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd"
    })
}

/// A Graph error body with `innerError`.
pub fn graph_error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "innerError": {
        "date": "2024-09-24T13:40:08",
        "request-id": "2bd5b4b8-f877-4bf9-9390-1d9fca785d26",
        "client-request-id": "2bd5b4b8-f877-4bf9-9390-1d9fca785d26"}}})
}

/// A Graph error answer: `status` with [`graph_error_body`].
pub fn graph_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(graph_error_body(code, message))
}

/// A user row as `/v1.0/users?$select=…` returns it.
pub fn user_row(id: &str, upn: &str, enabled: bool) -> Value {
    json!({
        "id": id, "userPrincipalName": upn, "mail": upn, "otherMails": [],
        "proxyAddresses": [format!("SMTP:{upn}")], "displayName": format!("User {id}"),
        "givenName": "Given", "surname": "Sur", "accountEnabled": enabled, "userType": "Member",
        "jobTitle": null, "mobilePhone": null, "businessPhones": ["425-555-0100"],
        "department": null, "companyName": null, "onPremisesSyncEnabled": null,
        "assignedLicenses": [{"disabledPlans": [], "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
        "createdDateTime": "2024-03-01T09:15:00Z"
    })
}

/// Records every token set reported as rotated.
#[derive(Default, Clone)]
pub struct Rotations(pub Arc<Mutex<Vec<TokenSet>>>);

#[async_trait::async_trait]
impl TokenRotationSink for Rotations {
    async fn tokens_rotated(
        &self,
        tokens: &TokenSet,
    ) -> Result<(), entra_core::provider::ProviderError> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}
