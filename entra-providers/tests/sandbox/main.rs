//! The sandbox, driven with plain HTTP as a provider would drive the real services.

use std::collections::BTreeSet;

use entra_providers::sandbox::{
    CippDenial, CrmMatch, DeltaFault, FOREIGN_HOST, Faults, Mutation, NewUser, PageFault,
    PageFaultKind, Sandbox, SandboxConfig, SandboxError, TokenFault, UserKind,
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

/// The Graph scope of client credentials and customer-tenant tokens.
const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";
/// The scope of partner-tenant tokens.
const PARTNER_SCOPE: &str =
    "offline_access https://graph.microsoft.com/DelegatedAdminRelationship.Read.All";

/// A token-endpoint form of the direct app, with fields replaced or removed per request.
struct Form(Vec<(&'static str, String)>);

impl Form {
    /// Client credentials for `scope`.
    fn client_credentials(sandbox: &Sandbox, scope: &str) -> Self {
        let creds = sandbox.credentials();
        Self(vec![
            ("client_id", creds.client_id),
            ("client_secret", creds.client_secret),
            ("grant_type", "client_credentials".into()),
            ("scope", scope.into()),
        ])
    }

    /// A redemption of the partner refresh token for `scope`.
    fn partner_refresh(sandbox: &Sandbox, scope: &str) -> Self {
        let creds = sandbox.credentials();
        Self(vec![
            ("client_id", creds.client_id),
            ("client_secret", creds.client_secret),
            ("grant_type", "refresh_token".into()),
            ("refresh_token", creds.partner_refresh_token),
            ("scope", scope.into()),
        ])
    }

    /// The form with `key` set to `value`.
    fn with(mut self, key: &'static str, value: &str) -> Self {
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value.to_string()));
        self
    }

    /// The form without `key`.
    fn without(mut self, key: &str) -> Self {
        self.0.retain(|(k, _)| *k != key);
        self
    }

    /// POSTs the form to `tenant`'s token endpoint.
    async fn send(
        &self,
        sandbox: &Sandbox,
        tenant: &str,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let fields: Vec<(&str, &str)> = self.0.iter().map(|(k, v)| (*k, v.as_str())).collect();
        token_request(sandbox, tenant, &fields).await
    }

    /// Sends the form, which must be answered 200; returns the access token.
    async fn mint(
        &self,
        sandbox: &Sandbox,
        tenant: &str,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let (status, body) = self.send(sandbox, tenant).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        Ok(body["access_token"]
            .as_str()
            .ok_or("no access_token")?
            .to_string())
    }
}

/// A Graph token for a customer tenant, redeemed with the partner refresh token (GDAP).
async fn customer_token(
    sandbox: &Sandbox,
    tenant: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    Form::partner_refresh(sandbox, GRAPH_DEFAULT)
        .mint(sandbox, tenant)
        .await
}

/// A default sandbox, its first customer tenant and a Graph token for that tenant: where most
/// of the plain-HTTP Graph tests begin.
async fn first_tenant_session() -> Result<(Sandbox, String, String), Box<dyn std::error::Error>> {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let token = customer_token(&sandbox, &tenant).await?;
    Ok((sandbox, tenant, token))
}

/// A Graph token for the partner tenant.
async fn partner_token(sandbox: &Sandbox) -> Result<String, Box<dyn std::error::Error>> {
    let partner = sandbox.credentials().partner_tenant_id;
    Form::partner_refresh(sandbox, PARTNER_SCOPE)
        .mint(sandbox, &partner)
        .await
}

/// A CIPP API token (client credentials at the CIPP tenant).
async fn cipp_token(sandbox: &Sandbox) -> Result<String, Box<dyn std::error::Error>> {
    let creds = sandbox.credentials();
    let scope = format!("api://{}/.default", creds.cipp_client_id);
    Form::client_credentials(sandbox, &scope)
        .with("client_id", &creds.cipp_client_id)
        .with("client_secret", &creds.cipp_client_secret)
        .mint(sandbox, &creds.cipp_tenant_id)
        .await
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
