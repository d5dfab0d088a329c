//! Shared fixtures for the CIPP provider tests: a loopback fake of CIPP and its login endpoint
//! (one server for both), with payloads shaped like a real instance's.
#![allow(dead_code)]

use entra_providers::cipp::{CippConfig, CippProvider};
use entra_providers::http::HttpPolicy;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const CIPP_TENANT: &str = "7a1c2b3d-0000-4000-8000-00000000aaaa";
pub const CLIENT_ID: &str = "0b9c8d7e-1111-4222-8333-444455556666";
pub const CLIENT_SECRET: &str = "cipp-client-secret-value-Zq9";
pub const TOKEN_1: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly8xIn0.first-signature";
pub const TOKEN_2: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly8yIn0.second-signature";
pub const CONTOSO: &str = "52eaad04-13a2-4a2f-9ce8-93a294fadf36";
pub const FABRIKAM: &str = "6f1e7c44-8d2b-4c1a-9e55-0a1b2c3d4e5f";
pub const TOKEN_PATH: &str = "/7a1c2b3d-0000-4000-8000-00000000aaaa/oauth2/v2.0/token";

pub async fn server() -> Result<MockServer, std::io::Error> {
    Ok(loopback().await)
}

pub fn policy() -> HttpPolicy {
    HttpPolicy {
        retry_bad_gateway: true,
        ..HttpPolicy::fast_for_tests()
    }
}

pub fn config(server: &MockServer) -> CippConfig {
    let mut config = CippConfig::new(server.uri(), CIPP_TENANT, CLIENT_ID, CLIENT_SECRET);
    config.login_base = server.uri();
    config.policy = policy();
    config
}

pub fn provider(server: &MockServer) -> CippProvider {
    CippProvider::new(config(server)).expect("valid config")
}

/// Matches a form-encoded body that carries every given field with exactly that value.
pub struct FormHas(pub Vec<(&'static str, String)>);

impl Match for FormHas {
    fn matches(&self, request: &Request) -> bool {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        self.0
            .iter()
            .all(|(k, v)| fields.iter().any(|(fk, fv)| fk == k && fv == v))
    }
}

pub fn token_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": token
    }))
}

pub fn client_credentials_form() -> FormHas {
    FormHas(vec![
        ("client_id", CLIENT_ID.to_string()),
        ("client_secret", CLIENT_SECRET.to_string()),
        ("scope", format!("api://{CLIENT_ID}/.default")),
        ("grant_type", "client_credentials".to_string()),
    ])
}

pub async fn mount_token(server: &MockServer, token: &str, expected_calls: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(client_credentials_form())
        .respond_with(token_answer(token))
        .expect(expected_calls)
        .mount(server)
        .await;
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn tenant_row(
    id: &str,
    name: &str,
    default_domain: &str,
    initial: &str,
    domains: &str,
) -> Value {
    json!({
        "PartitionKey": "Tenants",
        "RowKey": id,
        "customerId": id,
        "displayName": name,
        "defaultDomainName": default_domain,
        "initialDomainName": initial,
        "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges",
        "relationshipEnd": "2027-02-10T11:24:42.3148266Z",
        "relationshipCount": 1,
        "hasAutoExtend": true,
        "domains": domains,
        "Excluded": false,
        "ExcludeUser": "",
        "ExcludeDate": "",
        "GraphErrorCount": 0,
        "LastGraphError": "",
        "RequiresRefresh": false,
        "LastRefresh": "2026-08-07T03:12:55.123Z",
        "Timestamp": "2026-08-07T03:12:55.6+00:00",
        "ETag": "W/\"datetime'2026-08-07T03%3A12%3A55.6Z'\""
    })
}

pub fn tenants_answer() -> Value {
    let mut fabrikam = tenant_row(
        FABRIKAM,
        "Fabrikam, Ltd.",
        "fabrikam.co.uk",
        "fabrikamltd.onmicrosoft.com",
        "fabrikam.co.uk, fabrikam.com",
    );
    fabrikam["GraphErrorCount"] = json!(2);
    fabrikam["LastGraphError"] = json!(
        "invalid_grant:AADSTS65001: The user or administrator has not consented to use the application"
    );
    json!([
        null,
        {"customerId":"AllTenants","defaultDomainName":"AllTenants","displayName":"*All Tenants","domains":"AllTenants","GraphErrorCount":0},
        tenant_row(CIPP_TENANT, "*Partner Tenant", "msp.example", "msp.onmicrosoft.com", "PartnerTenant"),
        tenant_row(CONTOSO, "Contoso Inc", "contoso.com", "contoso.onmicrosoft.com", ""),
        fabrikam
    ])
}

pub fn user_row(id: &str, upn: &str, enabled: bool) -> Value {
    json!({
        "id": id,
        "userPrincipalName": upn,
        "mail": upn,
        "otherMails": [],
        "proxyAddresses": [format!("SMTP:{upn}")],
        "displayName": upn.split('@').next().unwrap_or_default(),
        "givenName": null,
        "surname": null,
        "accountEnabled": enabled,
        "userType": "Member",
        "jobTitle": null,
        "mobilePhone": null,
        "businessPhones": [],
        "department": null,
        "companyName": null,
        "onPremisesSyncEnabled": null,
        "assignedLicenses": [{"disabledPlans": [], "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
        "createdDateTime": "2024-01-10T08:00:00Z",
        "Tenant": CONTOSO,
        "CippStatus": "Good"
    })
}

pub fn users_page(rows: Vec<Value>, next_link: Option<&str>) -> ResponseTemplate {
    let mut metadata = json!({
        "Endpoint": "users",
        "Parameters": {"$select": "accountEnabled,assignedLicenses", "$top": "999"},
        "CippLink": null,
        "TenantFilter": CONTOSO,
        "Version": "v1.0",
        "ManualPagination": true,
        "GraphHeaders": {"request-id": ["f00d"]}
    });
    if let Some(link) = next_link {
        metadata["nextLink"] = json!(link);
    }
    ResponseTemplate::new(200).set_body_json(json!({"Results": rows, "Metadata": metadata}))
}

pub fn skip_link(token: &str) -> String {
    format!(
        "https://graph.microsoft.com/v1.0/users?$top=999&$select=id,accountEnabled&$skiptoken={token}"
    )
}

/// A ListGraphRequest users mock for the first page (`link` None) or the page after `link`.
pub fn users_mock(link: Option<&str>) -> wiremock::MockBuilder {
    let builder = Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(query_param("Endpoint", "users"))
        .and(query_param("tenantFilter", CONTOSO))
        .and(query_param("Version", "v1.0"))
        .and(query_param("manualPagination", "true"))
        .and(query_param("$top", "999"))
        .and(query_param_is_missing("tenantId"))
        .and(bearer_is(TOKEN_1));
    match link {
        None => builder.and(query_param_is_missing("nextLink")),
        Some(link) => builder.and(query_param("nextLink", link)),
    }
}

/// A token mint that answers `token` as often as asked, whatever the form.
pub async fn mount_token_any(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer(token))
        .mount(server)
        .await;
}

pub const LIST_TENANTS: &str = "/api/ListTenants";

/// A fresh server whose token mint answers TOKEN_1 exactly once, to the client-credentials form.
pub async fn signed_in() -> Result<MockServer, std::io::Error> {
    let server = server().await?;
    mount_token(&server, TOKEN_1, 1).await;
    Ok(server)
}

/// The first mint answers TOKEN_1 (once), the re-mint TOKEN_2 (exactly once, to the
/// client-credentials form).
pub async fn mount_remint(server: &MockServer) {
    token_mock()
        .respond_with(token_answer(TOKEN_1))
        .up_to_n_times(1)
        .expect(1)
        .mount(server)
        .await;
    mount_token(server, TOKEN_2, 1).await;
}

/// A server whose token mint answers TOKEN_1 and whose ListGraphRequest must never be called.
pub async fn users_never_requested() -> Result<MockServer, std::io::Error> {
    let server = server().await?;
    mount_token_any(&server, TOKEN_1).await;
    api("/api/ListGraphRequest")
        .respond_with(users_page(vec![], None))
        .expect(0)
        .mount(&server)
        .await;
    Ok(server)
}

/// A POST to the CIPP tenant's token endpoint.
pub fn token_mock() -> MockBuilder {
    Mock::given(method("POST")).and(path(TOKEN_PATH))
}

/// A GET on ListTenants.
pub fn tenants_mock() -> MockBuilder {
    api(LIST_TENANTS)
}

/// Mounts ListTenants answering [`tenants_answer`], only to the bearer token `bearer` when given,
/// requested exactly `calls` times when given.
pub async fn mount_tenants(server: &MockServer, bearer: Option<&str>, calls: Option<u64>) {
    let mock = match bearer {
        Some(token) => tenants_mock().and(bearer_is(token)),
        None => tenants_mock(),
    }
    .respond_with(ok(tenants_answer()));
    match calls {
        Some(calls) => mock.expect(calls),
        None => mock,
    }
    .mount(server)
    .await;
}

/// ListTenants answers `answers` in order, each exactly once, before what is mounted after them.
pub async fn tenants_answer_first(server: &MockServer, answers: Vec<ResponseTemplate>) {
    for answer in answers {
        tenants_mock()
            .respond_with(answer)
            .up_to_n_times(1)
            .expect(1)
            .mount(server)
            .await;
    }
}

/// Matches requests carrying `token` as their bearer token.
pub fn bearer_is(token: &str) -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", bearer(token).as_str())
}

/// A users page: the first one (`after` None) or the one after `after`, answering `rows` and
/// linking to `next`.
pub fn page_mock(after: Option<&str>, rows: Vec<Value>, next: Option<&str>) -> Mock {
    users_mock(after).respond_with(users_page(rows, next))
}

/// Mounts [`page_mock`].
pub async fn mount_page(
    server: &MockServer,
    after: Option<&str>,
    rows: Vec<Value>,
    next: Option<&str>,
) {
    page_mock(after, rows, next).mount(server).await;
}

/// Mounts [`page_mock`], to be requested exactly once.
pub async fn mount_page_once(
    server: &MockServer,
    after: Option<&str>,
    rows: Vec<Value>,
    next: Option<&str>,
) {
    page_mock(after, rows, next).expect(1).mount(server).await;
}

/// Mounts `pages` as one chain of users pages linked by skip links (`page2`, `page3`, …), each
/// requested exactly `calls` times when given; returns the links.
pub async fn mount_pages(
    server: &MockServer,
    calls: Option<u64>,
    pages: Vec<Vec<Value>>,
) -> Vec<String> {
    let links: Vec<String> = (2..=pages.len())
        .map(|i| skip_link(&format!("page{i}")))
        .collect();
    for (i, rows) in pages.into_iter().enumerate() {
        let after = i.checked_sub(1).map(|j| links[j].as_str());
        let mock = page_mock(after, rows, links.get(i).map(String::as_str));
        match calls {
            Some(calls) => mock.expect(calls),
            None => mock,
        }
        .mount(server)
        .await;
    }
    links
}

/// Lists CONTOSO's users from a signed-in server serving `pages` (see [`mount_pages`]).
pub async fn list_pages(
    calls: Option<u64>,
    pages: Vec<Vec<Value>>,
) -> Result<(MockServer, entra_core::provider::UserListing), Box<dyn std::error::Error>> {
    let server = signed_in().await?;
    mount_pages(&server, calls, pages).await;
    let listing = list_contoso(&server).await?;
    Ok((server, listing))
}

/// Discovery through a default provider on `server`.
pub async fn list_tenants(
    server: &MockServer,
) -> Result<entra_core::provider::TenantListing, entra_core::provider::ProviderError> {
    use entra_core::provider::EntraProvider;
    provider(server).list_managed_tenants().await
}

/// CONTOSO's users through a default provider on `server`.
pub async fn list_contoso(
    server: &MockServer,
) -> Result<entra_core::provider::UserListing, entra_core::provider::ProviderError> {
    use entra_core::provider::EntraProvider;
    provider(server).list_users(CONTOSO).await
}

/// Mounts a first users page holding one enabled user `u1` and linking to `next`.
pub async fn mount_first_page(server: &MockServer, next: &str) {
    mount_page(
        server,
        None,
        vec![user_row("u1", "a@contoso.com", true)],
        Some(next),
    )
    .await;
}

/// A GET on a CIPP API path.
pub fn api(api_path: &str) -> MockBuilder {
    Mock::given(method("GET")).and(path(api_path))
}

/// Which provider call a row makes.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    /// `list_managed_tenants`: ListTenants.
    Tenants,
    /// `list_users(CONTOSO)`: the first ListGraphRequest page.
    Users,
}

/// Runs one error row against a fresh server whose token mint answers TOKEN_1 exactly once.
pub async fn run_error_case(call: Call, case: &ErrorCase) -> Result<MockServer, std::io::Error> {
    use entra_core::provider::EntraProvider;
    let server = signed_in().await?;
    let cipp = provider(&server);
    match call {
        Call::Tenants => {
            let answer = || async { cipp.list_managed_tenants().await.map(|_| ()) };
            case.run(&server, tenants_mock(), answer).await;
        }
        Call::Users => {
            let answer = || async { cipp.list_users(CONTOSO).await.map(|_| ()) };
            case.run(&server, users_mock(None), answer).await;
        }
    }
    Ok(server)
}

#[path = "../support/mod.rs"]
mod common;
pub use common::*;
