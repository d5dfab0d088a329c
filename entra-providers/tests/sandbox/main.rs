//! The sandbox, driven with plain HTTP as a provider would drive the real services.

use std::collections::BTreeSet;

use entra_providers::sandbox::{
    CippDenial, CrmMatch, DeltaFault, Faults, Mutation, NewUser, Sandbox, SandboxConfig,
    SandboxError, TokenFault, UserKind,
};
use reqwest::StatusCode;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

thread_local! {
    // One client per test thread (each test has its own runtime, and so its own pool).
    static CLIENT: reqwest::Client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client builds");
}

fn http() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the sandbox starts")
}

/// POSTs a form to a tenant's token endpoint.
async fn token_request(
    sandbox: &Sandbox,
    tenant: &str,
    form: &[(&str, &str)],
) -> Result<(StatusCode, Value), reqwest::Error> {
    let url = format!("{}/{tenant}/oauth2/v2.0/token", sandbox.login_base_url());
    let response = http().post(url).form(form).send().await?;
    let status = response.status();
    Ok((status, response.json().await?))
}

/// A Graph token for a customer tenant, redeemed with the partner refresh token (GDAP).
async fn customer_token(
    sandbox: &Sandbox,
    tenant: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let creds = sandbox.credentials();
    let (status, body) = token_request(
        sandbox,
        tenant,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", &creds.partner_refresh_token),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    Ok(body["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_string())
}

/// A Graph token for the partner tenant.
async fn partner_token(sandbox: &Sandbox) -> Result<String, Box<dyn std::error::Error>> {
    let partner = sandbox.credentials().partner_tenant_id;
    let creds = sandbox.credentials();
    let (status, body) = token_request(
        sandbox,
        &partner,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", &creds.partner_refresh_token),
            (
                "scope",
                "offline_access https://graph.microsoft.com/DelegatedAdminRelationship.Read.All",
            ),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    Ok(body["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_string())
}

/// A CIPP API token (client credentials at the CIPP tenant).
async fn cipp_token(sandbox: &Sandbox) -> Result<String, Box<dyn std::error::Error>> {
    let creds = sandbox.credentials();
    let scope = format!("api://{}/.default", creds.cipp_client_id);
    let (status, body) = token_request(
        sandbox,
        &creds.cipp_tenant_id,
        &[
            ("client_id", &creds.cipp_client_id),
            ("client_secret", &creds.cipp_client_secret),
            ("grant_type", "client_credentials"),
            ("scope", &scope),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    Ok(body["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_string())
}

async fn get(
    url: &str,
    token: &str,
) -> Result<(StatusCode, reqwest::header::HeaderMap, String), reqwest::Error> {
    let response = http().get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    Ok((status, headers, response.text().await?))
}

async fn get_json(
    url: &str,
    token: &str,
) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
    let (status, _, text) = get(url, token).await?;
    Ok((status, serde_json::from_str(&text)?))
}

/// Follows `@odata.nextLink` to the end; returns every row and the number of pages.
async fn all_pages(
    first: &str,
    token: &str,
) -> Result<(Vec<Value>, usize), Box<dyn std::error::Error>> {
    let mut url = first.to_string();
    let mut rows = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = get_json(&url, token).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        rows.extend(body["value"].as_array().cloned().unwrap_or_default());
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return Ok((rows, pages)),
        }
    }
}

fn ids(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

mod cipp;
mod estate;
mod graph;
mod login;
