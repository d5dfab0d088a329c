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

#[tokio::test]
async fn same_seed_builds_the_same_estate_and_another_seed_another() -> TestResult {
    let a = start(SandboxConfig::default()).await;
    let b = start(SandboxConfig::default()).await;
    let c = start(SandboxConfig {
        seed: 7,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(a.tenants(), b.tenants());
    assert_eq!(a.crm_clients(), b.crm_clients());
    assert_eq!(a.crm_contacts(), b.crm_contacts());
    assert_eq!(a.credentials().client_id, b.credentials().client_id);
    for t in a.tenants() {
        assert_eq!(a.users(&t.tenant_id), b.users(&t.tenant_id));
    }
    assert_ne!(a.tenants(), c.tenants());
    Ok(())
}

#[tokio::test]
async fn the_estate_holds_what_breaks_naive_sync_code() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenants = sandbox.tenants();
    assert_eq!(tenants.len(), 5);
    let all: Vec<_> = tenants
        .iter()
        .flat_map(|t| sandbox.users(&t.tenant_id))
        .collect();
    assert_eq!(all.len(), 5 * 15);
    let guest = all
        .iter()
        .find(|u| u.kind == UserKind::Guest)
        .ok_or("no guest")?;
    assert!(guest.user_principal_name.contains("#EXT#"));
    assert_eq!(guest.user_type, "Guest");
    let sync = all
        .iter()
        .find(|u| u.kind == UserKind::SyncAccount)
        .ok_or("no sync account")?;
    assert!(sync.user_principal_name.starts_with("Sync_"));
    assert!(sync.user_principal_name.ends_with(".onmicrosoft.com"));
    assert_eq!(
        sync.display_name,
        "On-Premises Directory Synchronization Service Account"
    );
    let shared = all
        .iter()
        .find(|u| u.kind == UserKind::SharedMailbox)
        .ok_or("no shared mailbox")?;
    assert!(!shared.account_enabled && shared.assigned_licenses.is_empty());
    assert!(all.iter().any(|u| u.surname.as_deref() == Some("Abbott")));
    assert!(all.iter().any(|u| u.surname.as_deref() == Some("Talbot")));
    assert!(
        all.iter()
            .any(|u| u.kind == UserKind::Person && !u.account_enabled)
    );
    assert!(
        all.iter()
            .any(|u| u.proxy_addresses.iter().any(|p| p.starts_with("smtp:")))
    );
    // The same extra address on two users of one tenant.
    let first = &tenants[0];
    let users = sandbox.users(&first.tenant_id);
    let dup: Vec<_> = users
        .iter()
        .filter(|u| u.other_mails.iter().any(|m| m.starts_with("office.")))
        .collect();
    assert_eq!(dup.len(), 2);
    // Company names with punctuation or diacritics, and verified domains.
    assert!(
        tenants
            .iter()
            .any(|t| t.display_name.contains(['&', '\'', ',', '.']))
    );
    for t in &tenants {
        assert!(t.domains.contains(&t.default_domain));
        assert!(t.initial_domain.ends_with(".onmicrosoft.com"));
    }
    // The CRM side: each match kind, unrelated clients, ambiguous and misfiled contacts.
    let clients = sandbox.crm_clients();
    assert_eq!(clients.len(), 6);
    let kinds: BTreeSet<String> = tenants
        .iter()
        .map(|t| format!("{:?}", t.crm_match))
        .collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    let exact = tenants
        .iter()
        .find(|t| t.crm_match == CrmMatch::ExactDomain)
        .ok_or("no exact-domain tenant")?;
    let exact_client = clients
        .iter()
        .find(|c| Some(&c.client_id) == exact.crm_client_id.as_ref())
        .ok_or("no client")?;
    assert_eq!(exact_client.domains, vec![exact.default_domain.clone()]);
    let contacts = sandbox.crm_contacts();
    let exact_users = sandbox.users(&exact.tenant_id);
    let mails: BTreeSet<String> = exact_users
        .iter()
        .filter_map(|u| u.mail.as_ref().map(|m| m.to_lowercase()))
        .collect();
    let mut by_email = std::collections::BTreeMap::<String, Vec<_>>::new();
    for c in contacts
        .iter()
        .filter(|c| c.client_id.as_ref() == exact.crm_client_id.as_ref())
    {
        if let Some(e) = &c.email {
            by_email.entry(e.to_lowercase()).or_default().push(c);
        }
    }
    assert!(by_email.values().any(|v| v.len() == 2), "an ambiguous pair");
    assert!(
        by_email.keys().any(|e| mails.contains(e)),
        "an exact email match"
    );
    let misfiled = contacts.iter().any(|c| {
        c.client_id.as_ref() != exact.crm_client_id.as_ref()
            && c.email
                .as_ref()
                .is_some_and(|e| mails.contains(&e.to_lowercase()))
    });
    assert!(
        misfiled,
        "a contact of this tenant's people filed under another client"
    );
    let ids: BTreeSet<&str> = contacts.iter().map(|c| c.contact_id.as_str()).collect();
    assert_eq!(ids.len(), contacts.len(), "contact ids are unique");
    Ok(())
}

#[tokio::test]
async fn client_credentials_work_and_a_bad_secret_is_invalid_client() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let creds = sandbox.credentials();
    let (status, body) = token_request(
        &sandbox,
        &creds.partner_tenant_id,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body.get("refresh_token").is_none());
    let (status, body) = token_request(
        &sandbox,
        &creds.partner_tenant_id,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", "wrong"),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], serde_json::json!([7000215]));
    let description = body["error_description"].as_str().unwrap_or("");
    assert!(description.starts_with("AADSTS7000215:"), "{description}");
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[field].is_string(), "{field}");
    }
    // A scope without /.default is refused for client credentials.
    let (status, body) = token_request(
        &sandbox,
        &creds.partner_tenant_id,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/User.Read.All"),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    // An unknown tenant.
    let (status, body) = token_request(
        &sandbox,
        "nobody.onmicrosoft.com",
        &[
            ("client_id", &creds.client_id),
            ("grant_type", "client_credentials"),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_codes"], serde_json::json!([90002]));
    Ok(())
}

#[tokio::test]
async fn refresh_tokens_rotate_and_can_be_revoked() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let creds = sandbox.credentials();
    let redeem = |rt: String| {
        let creds = creds.clone();
        let sandbox = &sandbox;
        async move {
            token_request(
                sandbox,
                &creds.partner_tenant_id,
                &[
                    ("client_id", &creds.client_id),
                    ("client_secret", &creds.client_secret),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("scope", "offline_access https://graph.microsoft.com/DelegatedAdminRelationship.Read.All"),
                ],
            )
            .await
        }
    };
    let (status, first) = redeem(creds.partner_refresh_token.clone()).await?;
    assert_eq!(status, StatusCode::OK);
    let rt1 = first["refresh_token"].as_str().ok_or("no rt")?.to_string();
    assert_ne!(
        rt1, creds.partner_refresh_token,
        "a new refresh token every time"
    );
    let (status, second) = redeem(rt1.clone()).await?;
    assert_eq!(status, StatusCode::OK);
    let rt2 = second["refresh_token"].as_str().ok_or("no rt")?.to_string();
    assert_ne!(rt2, rt1);
    let (status, body) = redeem("0.AXsA-not-issued".into()).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    sandbox.revoke_refresh_tokens();
    let (status, body) = redeem(rt2).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_codes"], serde_json::json!([700082]));
    Ok(())
}

#[tokio::test]
async fn a_token_reads_only_its_own_tenant_and_forged_tokens_are_refused() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenants = sandbox.tenants();
    let (a, b) = (&tenants[0], &tenants[1]);
    let url = format!(
        "{}/v1.0/users?$select=id,userPrincipalName,accountEnabled&$top=999",
        sandbox.graph_base_url()
    );
    let token_a = customer_token(&sandbox, &a.tenant_id).await?;
    let (rows, _) = all_pages(&url, &token_a).await?;
    let expected: BTreeSet<String> = sandbox
        .users(&a.tenant_id)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids(&rows), expected);
    // A verified domain works as the authority too.
    let token_b = customer_token(&sandbox, &b.default_domain).await?;
    let (rows_b, _) = all_pages(&url, &token_b).await?;
    let expected_b: BTreeSet<String> = sandbox
        .users(&b.tenant_id)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids(&rows_b), expected_b);
    assert!(ids(&rows).is_disjoint(&ids(&rows_b)));

    // Swap the claims of A's token for B's tenant, keeping A's signature: refused.
    let parts: Vec<&str> = token_a.split('.').collect();
    let parts_b: Vec<&str> = token_b.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], parts_b[1], parts[2]);
    let (status, body) = get_json(&url, &forged).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    assert!(body["error"]["innerError"]["date"].is_string());
    let (status, _) = get_json(&url, "not-a-token").await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A CIPP token is for another audience.
    let cipp = cipp_token(&sandbox).await?;
    let (status, body) = get_json(&url, &cipp).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("audience")
    );
    // Revoked tokens stop working; new ones work.
    sandbox.revoke_access_tokens();
    let (status, _) = get_json(&url, &token_a).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let fresh = customer_token(&sandbox, &a.tenant_id).await?;
    let (status, _) = get_json(&url, &fresh).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn token_faults_answer_the_real_aadsts_codes() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenants = sandbox.tenants();
    let creds = sandbox.credentials();
    let cases = [
        (TokenFault::ConsentMissing, 65001, "invalid_grant"),
        (TokenFault::UserNotInTenant, 50020, "invalid_grant"),
        (TokenFault::MfaRequired, 50076, "interaction_required"),
        (TokenFault::ConditionalAccess, 53003, "invalid_grant"),
        (TokenFault::RefreshTokenExpired, 700082, "invalid_grant"),
    ];
    for (fault, code, error) in cases {
        let tenant = &tenants[0].tenant_id;
        sandbox.update_faults(|f| {
            f.token_errors.insert(tenant.clone(), fault);
        });
        let (status, body) = token_request(
            &sandbox,
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
        assert_eq!(status, StatusCode::BAD_REQUEST, "{fault:?}");
        assert_eq!(body["error"], error, "{fault:?}");
        assert_eq!(body["error_codes"], serde_json::json!([code]));
        let description = body["error_description"].as_str().unwrap_or("");
        assert!(
            description.starts_with(&format!("AADSTS{code}:")),
            "{description}"
        );
    }
    // Another tenant is unaffected.
    customer_token(&sandbox, &tenants[1].tenant_id).await?;
    Ok(())
}

#[tokio::test]
async fn authorization_code_flow_with_pkce() -> TestResult {
    use base64::Engine;
    use sha2::Digest;
    let sandbox = start(SandboxConfig::default()).await;
    let creds = sandbox.credentials();
    let verifier = "a-long-random-verifier-string-of-enough-length-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:9/callback";
    let authorize = |state: &str| {
        format!(
            "{}/organizations/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri={}&scope={}&state={state}&code_challenge={challenge}&code_challenge_method=S256",
            sandbox.login_base_url(),
            creds.client_id,
            urlencode(redirect),
            urlencode(
                "openid offline_access https://graph.microsoft.com/DelegatedAdminRelationship.Read.All"
            ),
        )
    };
    let code_of = |response: &reqwest::Response| -> Result<String, Box<dyn std::error::Error>> {
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response
            .headers()
            .get("location")
            .ok_or("no location")?
            .to_str()?;
        let url = url::Url::parse(location)?;
        assert!(location.starts_with(redirect));
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.get("state").map(String::as_str), Some("xyz"));
        Ok(pairs.get("code").ok_or("no code")?.clone())
    };
    let response = http().get(authorize("xyz")).send().await?;
    let code = code_of(&response)?;
    let exchange = |code: String, verifier: &'static str, redirect: &'static str| {
        let creds = creds.clone();
        let sandbox = &sandbox;
        async move {
            token_request(
                sandbox,
                "organizations",
                &[
                    ("client_id", &creds.client_id),
                    ("client_secret", &creds.client_secret),
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                    ("scope", "openid offline_access https://graph.microsoft.com/DelegatedAdminRelationship.Read.All"),
                ],
            )
            .await
        }
    };
    let (status, body) = exchange(
        code.clone(),
        "wrong-verifier",
        "http://127.0.0.1:9/callback",
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_codes"], serde_json::json!([501481]));
    let (status, body) =
        exchange(code.clone(), verifier_static(), "http://127.0.0.1:9/other").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = exchange(
        code.clone(),
        verifier_static(),
        "http://127.0.0.1:9/callback",
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["refresh_token"].is_string());
    assert!(body["id_token"].is_string());
    assert_eq!(body["expires_in"], 3599);
    // Single use.
    let (status, body) = exchange(code, verifier_static(), "http://127.0.0.1:9/callback").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_codes"], serde_json::json!([54005]));
    // The new refresh token reads the partner's GDAP customers.
    let rt = body_rt(&sandbox, &creds).await?;
    assert!(!rt.is_empty());
    // A denied consent redirects with an error.
    sandbox.update_faults(|f| f.authorize_denied = true);
    let response = http().get(authorize("xyz")).send().await?;
    let location = response
        .headers()
        .get("location")
        .ok_or("no location")?
        .to_str()?
        .to_string();
    assert!(location.contains("error=access_denied"), "{location}");
    assert!(location.contains("state=xyz"));
    Ok(())
}

fn verifier_static() -> &'static str {
    "a-long-random-verifier-string-of-enough-length-0123456789"
}

async fn body_rt(
    sandbox: &Sandbox,
    creds: &entra_providers::sandbox::SandboxCredentials,
) -> Result<String, Box<dyn std::error::Error>> {
    let (_, body) = token_request(
        sandbox,
        &creds.partner_tenant_id,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", &creds.partner_refresh_token),
        ],
    )
    .await?;
    Ok(body["refresh_token"].as_str().unwrap_or("").to_string())
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn users_page_with_skiptoken_and_enforce_graph_query_rules() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].clone();
    let token = customer_token(&sandbox, &tenant.tenant_id).await?;
    let base = sandbox.graph_base_url();
    let (rows, pages) = all_pages(
        &format!("{base}/v1.0/users?$select=id,accountEnabled&$top=4"),
        &token,
    )
    .await?;
    assert_eq!(rows.len(), 15);
    assert_eq!(pages, 4);
    assert_eq!(ids(&rows).len(), 15, "no user twice");
    let (_, first) = get_json(&format!("{base}/v1.0/users?$select=id&$top=4"), &token).await?;
    let next = first["@odata.nextLink"].as_str().ok_or("no nextLink")?;
    assert!(next.starts_with(&format!("{base}/v1.0/users?")), "{next}");
    assert!(next.contains("$skiptoken="));
    assert!(next.contains("$select=id"));

    // Without $select, only the eleven default properties.
    let (_, body) = get_json(&format!("{base}/v1.0/users?$top=1"), &token).await?;
    let row = body["value"][0].as_object().ok_or("no row")?;
    assert_eq!(row.len(), 11, "{row:?}");
    assert!(!row.contains_key("accountEnabled"));

    let (status, body) = get_json(&format!("{base}/v1.0/users?$top=1000"), &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    );
    let (status, body) = get_json(&format!("{base}/v1.0/users?$select=id,nope"), &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "BadRequest");

    // Basic filters work; advanced operators need ConsistencyLevel + $count.
    let (rows, _) = all_pages(
        &format!("{base}/v1.0/users?$select=id,accountEnabled&$filter=accountEnabled%20eq%20false"),
        &token,
    )
    .await?;
    let disabled = sandbox
        .users(&tenant.tenant_id)
        .iter()
        .filter(|u| !u.account_enabled)
        .count();
    assert_eq!(rows.len(), disabled);
    assert!(rows.iter().all(|r| r["accountEnabled"] == false));
    let (rows, _) = all_pages(
        &format!("{base}/v1.0/users?$select=id,userType&$filter=userType%20eq%20%27Guest%27"),
        &token,
    )
    .await?;
    assert_eq!(rows.len(), 1);
    let advanced =
        format!("{base}/v1.0/users?$select=id&$filter=accountEnabled%20ne%20true&$count=true");
    let (status, body) = get_json(&advanced, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    let response = http()
        .get(&advanced)
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await?;
    assert_eq!(body["@odata.count"], disabled);
    Ok(())
}

#[tokio::test]
async fn partner_discovery_endpoints_follow_the_gdap_and_lighthouse_contracts() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let token = partner_token(&sandbox).await?;
    let base = sandbox.graph_base_url();
    let (rows, pages) = all_pages(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminCustomers?$top=2"),
        &token,
    )
    .await?;
    assert_eq!(pages, 3);
    let expected: BTreeSet<String> = sandbox.tenants().into_iter().map(|t| t.tenant_id).collect();
    let listed: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| r["tenantId"].as_str().map(str::to_string))
        .collect();
    assert_eq!(listed, expected);
    let (status, _) = get_json(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminCustomers?$top=301"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (all, _) = all_pages(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminRelationships"),
        &token,
    )
    .await?;
    let (active, _) = all_pages(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminRelationships?$filter=status%20eq%20%27active%27"),
        &token,
    )
    .await?;
    assert!(
        all.len() > active.len(),
        "expired relationships are filtered out"
    );
    assert!(active.iter().all(|r| r["status"] == "active"));
    assert_eq!(active.len(), 5);
    let (lighthouse, _) = all_pages(
        &format!("{base}/beta/tenantRelationships/managedTenants/tenants"),
        &token,
    )
    .await?;
    let onboarded: Vec<_> = sandbox
        .tenants()
        .into_iter()
        .filter(|t| t.lighthouse)
        .collect();
    assert_eq!(lighthouse.len(), onboarded.len());
    for row in &lighthouse {
        let t = onboarded
            .iter()
            .find(|t| row["tenantId"] == t.tenant_id.as_str())
            .ok_or("unknown tenant")?;
        assert_eq!(
            row["contract"]["defaultDomainName"],
            t.default_domain.as_str()
        );
        assert!(row.get("defaultDomainName").is_none());
    }
    let (status, body) = get_json(
        &format!("{base}/beta/tenantRelationships/managedTenants/users"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'users'."
    );
    // Domains of a customer tenant, with the customer's token.
    let tenant = sandbox.tenants()[1].clone();
    let customer = customer_token(&sandbox, &tenant.tenant_id).await?;
    let (_, body) = get_json(&format!("{base}/v1.0/domains"), &customer).await?;
    let verified: BTreeSet<String> = body["value"]
        .as_array()
        .ok_or("no value")?
        .iter()
        .filter(|d| d["isVerified"] == true)
        .filter_map(|d| d["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(verified, tenant.domains.iter().cloned().collect());
    Ok(())
}

#[tokio::test]
async fn a_tenant_without_a_gdap_role_answers_403() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[2].tenant_id.clone();
    sandbox.update_faults(|f| {
        f.gdap_role_missing.insert(tenant.clone());
    });
    let token = customer_token(&sandbox, &tenant).await?;
    let (status, body) = get_json(
        &format!("{}/v1.0/users?$select=id", sandbox.graph_base_url()),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    Ok(())
}

#[tokio::test]
async fn delta_reports_changes_and_removals_after_mutations() -> TestResult {
    let sandbox = start(SandboxConfig {
        delta_page_size: 4,
        ..SandboxConfig::default()
    })
    .await;
    let tenant = sandbox.tenants()[0].clone();
    let token = customer_token(&sandbox, &tenant.tenant_id).await?;
    let first = format!(
        "{}/v1.0/users/delta?$select=id,displayName,mail,accountEnabled",
        sandbox.graph_base_url()
    );
    // Full enumeration: nextLink pages, then a deltaLink.
    let mut url = first.clone();
    let mut rows = Vec::new();
    let mut pages = 0;
    let delta_link = loop {
        let (status, body) = get_json(&url, &token).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        rows.extend(body["value"].as_array().cloned().unwrap_or_default());
        if let Some(next) = body["@odata.nextLink"].as_str() {
            url = next.to_string();
        } else {
            break body["@odata.deltaLink"]
                .as_str()
                .ok_or("no deltaLink")?
                .to_string();
        }
    };
    assert_eq!(pages, 4);
    assert_eq!(rows.len(), 15);
    assert!(delta_link.contains("$deltatoken="));

    let people: Vec<_> = sandbox
        .users(&tenant.tenant_id)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person && u.account_enabled)
        .collect();
    let disabled = sandbox.mutate(Mutation::Disable {
        user_id: people[0].id.clone(),
    })?;
    let soft = sandbox.mutate(Mutation::SoftDelete {
        user_id: people[1].id.clone(),
    })?;
    let hard = sandbox.mutate(Mutation::HardDelete {
        user_id: people[2].id.clone(),
    })?;
    let renamed = sandbox.mutate(Mutation::Rename {
        user_id: people[3].id.clone(),
        display_name: "Renamed Person".into(),
        given_name: Some("Renamed".into()),
        surname: Some("Person".into()),
    })?;
    let new_mail = format!("new.address@{}", tenant.default_domain);
    let moved = sandbox.mutate(Mutation::ChangeEmail {
        user_id: people[4].id.clone(),
        email: new_mail.clone(),
    })?;
    let added = sandbox.mutate(Mutation::AddUser {
        tenant_id: tenant.tenant_id.clone(),
        user: NewUser {
            display_name: "Nora Newhire".into(),
            given_name: Some("Nora".into()),
            surname: Some("Newhire".into()),
            email: format!("nora.newhire@{}", tenant.default_domain),
            job_title: None,
            account_enabled: true,
        },
    })?;
    // A change to an unselected property does not show.
    let unselected = people
        .iter()
        .find(|u| ![&disabled, &soft, &hard, &renamed, &moved].contains(&&u.id))
        .ok_or("no spare person")?;
    sandbox.mutate(Mutation::AddAlias {
        user_id: unselected.id.clone(),
        address: format!("extra.alias@{}", tenant.default_domain),
    })?;

    let (changes, pages) = all_pages(&delta_link, &token).await?;
    assert_eq!(pages, 2, "six changes in pages of four");
    let find = |id: &str| changes.iter().find(|r| r["id"] == id).cloned();
    assert_eq!(
        find(&disabled).ok_or("disabled missing")?["accountEnabled"],
        false
    );
    assert_eq!(
        find(&soft).ok_or("soft missing")?["@removed"]["reason"],
        "changed"
    );
    assert_eq!(
        find(&hard).ok_or("hard missing")?["@removed"]["reason"],
        "deleted"
    );
    assert_eq!(
        find(&renamed).ok_or("renamed missing")?["displayName"],
        "Renamed Person"
    );
    assert_eq!(
        find(&moved).ok_or("moved missing")?["mail"],
        new_mail.as_str()
    );
    assert_eq!(
        find(&added).ok_or("added missing")?["displayName"],
        "Nora Newhire"
    );
    assert!(find(&unselected.id).is_none());
    assert_eq!(changes.len(), 6);
    // Deleted users are gone from the listing.
    assert!(
        !sandbox
            .users(&tenant.tenant_id)
            .iter()
            .any(|u| u.id == soft || u.id == hard)
    );

    // The round's own deltaLink: nothing new.
    let mut url = delta_link.clone();
    let next_link = loop {
        let (_, body) = get_json(&url, &token).await?;
        match body["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => {
                break body["@odata.deltaLink"]
                    .as_str()
                    .ok_or("no link")?
                    .to_string();
            }
        }
    };
    let (_, body) = get_json(&next_link, &token).await?;
    assert_eq!(body["value"], serde_json::json!([]));

    // Prefer: return=minimal sends only what changed.
    sandbox.mutate(Mutation::Rename {
        user_id: renamed.clone(),
        display_name: "Renamed Again".into(),
        given_name: None,
        surname: None,
    })?;
    let response = http()
        .get(&next_link)
        .bearer_auth(&token)
        .header("Prefer", "return=minimal")
        .send()
        .await?;
    let body: Value = response.json().await?;
    let row = body["value"][0].as_object().ok_or("no row")?;
    assert_eq!(row.get("displayName"), Some(&Value::from("Renamed Again")));
    assert!(!row.contains_key("mail"));

    // A delta link is bound to its tenant.
    let other = customer_token(&sandbox, &sandbox.tenants()[1].tenant_id).await?;
    let (status, _) = get_json(&next_link, &other).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn expired_delta_tokens_force_a_resync() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let token = customer_token(&sandbox, &tenant).await?;
    let (_, body) = get_json(
        &format!(
            "{}/v1.0/users/delta?$select=id,mail",
            sandbox.graph_base_url()
        ),
        &token,
    )
    .await?;
    let link = body["@odata.deltaLink"]
        .as_str()
        .ok_or("no deltaLink")?
        .to_string();
    sandbox.expire_delta_tokens();
    let (status, body) = get_json(&link, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "syncStateNotFound");
    // A fresh round works again, and Graph can also force a resync with 410 Gone.
    let (_, body) = get_json(
        &format!(
            "{}/v1.0/users/delta?$select=id,mail",
            sandbox.graph_base_url()
        ),
        &token,
    )
    .await?;
    let link = body["@odata.deltaLink"]
        .as_str()
        .ok_or("no deltaLink")?
        .to_string();
    let (status, _) = get_json(&link, &token).await?;
    assert_eq!(status, StatusCode::OK);
    sandbox.update_faults(|f| f.delta = DeltaFault::Gone);
    let (status, headers, _) = get(&link, &token).await?;
    assert_eq!(status, StatusCode::GONE);
    let location = headers.get("location").ok_or("no location")?.to_str()?;
    assert!(location.contains("$deltatoken="), "{location}");
    Ok(())
}

#[tokio::test]
async fn throttling_and_outages_carry_retry_after() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let token = customer_token(&sandbox, &tenant).await?;
    let url = format!("{}/v1.0/users?$select=id", sandbox.graph_base_url());
    sandbox.update_faults(|f| {
        f.graph_throttle_next = 2;
        f.retry_after_secs = 3;
    });
    for _ in 0..2 {
        let (status, headers, text) = get(&url, &token).await?;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers.get("retry-after").ok_or("no retry-after")?, "3");
        let scope = headers
            .get("x-ms-throttle-scope")
            .ok_or("no scope")?
            .to_str()?;
        assert!(scope.starts_with("Tenant_Application/ReadWrite/") && scope.ends_with(&tenant));
        let body: Value = serde_json::from_str(&text)?;
        assert_eq!(body["error"]["code"], "TooManyRequests");
    }
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::OK);
    sandbox.update_faults(|f| {
        f.graph_unavailable_next = 1;
        f.unavailable_retry_after_secs = Some(2);
    });
    let (status, headers, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers.get("retry-after").ok_or("no retry-after")?, "2");
    sandbox.update_faults(|f| {
        f.graph_unavailable_next = 1;
        f.unavailable_retry_after_secs = None;
    });
    let (status, headers, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.get("retry-after").is_none());
    // A rate of one throttles everything; a rate of zero nothing.
    sandbox.update_faults(|f| f.graph_throttle_rate = 1.0);
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    sandbox.update_faults(|f| f.graph_throttle_rate = 0.0);
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_page_can_fail_half_way() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    sandbox.update_faults(|f| {
        f.failing_page.insert(tenant.clone(), 1);
    });
    let token = customer_token(&sandbox, &tenant).await?;
    let (status, body) = get_json(
        &format!("{}/v1.0/users?$select=id&$top=5", sandbox.graph_base_url()),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let next = body["@odata.nextLink"].as_str().ok_or("no nextLink")?;
    let (status, body) = get_json(next, &token).await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["error"]["innerError"]["request-id"].is_string());
    Ok(())
}

#[tokio::test]
async fn cipp_authenticates_like_easyauth_and_answers_plain_text() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let response = http().get(format!("{base}/api/ListTenants")).send().await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.text().await?, "");
    let graph = partner_token(&sandbox).await?;
    let (status, _, text) = get(&format!("{base}/api/ListTenants"), &graph).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(text, "");
    let token = cipp_token(&sandbox).await?;
    let (status, body) = get_json(&format!("{base}/api/me"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["clientPrincipal"]["appId"],
        sandbox.credentials().cipp_client_id.as_str()
    );
    let (status, _, text) = get(&format!("{base}/api/ListTenantz"), &token).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(text, "Endpoint not found");
    sandbox.update_faults(|f| f.cipp_denial = Some(CippDenial::RoleLacksPermission));
    let (status, _, text) = get(
        &format!(
            "{base}/api/ListUsers?tenantFilter={}",
            sandbox.tenants()[0].tenant_id
        ),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.ends_with("Identity.User.Read"), "{text}");
    let (status, _, _) = get(&format!("{base}/api/me"), &token).await?;
    assert_eq!(
        status,
        StatusCode::OK,
        "the probe proves the token, not the role"
    );
    sandbox.update_faults(|f| f.cipp_denial = Some(CippDenial::SubscriptionEnded));
    let (status, _, text) = get(&format!("{base}/api/me"), &token).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.starts_with("Your CIPP subscription has ended."));
    sandbox.update_faults(|f| {
        f.cipp_denial = None;
        f.cipp_gateway_error_next = 1;
        f.cipp_gateway_status = 502;
    });
    let (status, _, _) = get(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let (status, _, _) = get(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn cipp_list_tenants_rows_and_their_odd_modes() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let token = cipp_token(&sandbox).await?;
    let broken = sandbox.tenants()[3].tenant_id.clone();
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(broken.clone(), TokenFault::ConsentMissing);
    });
    let (status, body) = get_json(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    let rows = body.as_array().ok_or("not a bare array")?;
    assert_eq!(rows.len(), 5);
    let names: Vec<String> = rows
        .iter()
        .filter_map(|r| r["displayName"].as_str().map(str::to_lowercase))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by displayName");
    for row in rows {
        assert_eq!(row["customerId"], row["RowKey"]);
        assert!(row.get("tenantId").is_none());
        assert!(row["defaultDomainName"].is_string() && row["initialDomainName"].is_string());
    }
    let broken_row = rows
        .iter()
        .find(|r| r["customerId"] == broken.as_str())
        .ok_or("no row")?;
    assert!(broken_row["GraphErrorCount"].as_u64().unwrap_or(0) > 0);
    assert!(
        broken_row["LastGraphError"]
            .as_str()
            .unwrap_or("")
            .contains("AADSTS65001")
    );

    let (_, body) = get_json(
        &format!("{base}/api/ListTenants?AllTenantSelector=true"),
        &token,
    )
    .await?;
    assert_eq!(body[0]["customerId"], "AllTenants");
    sandbox.update_faults(|f| {
        f.cipp_tenants_null_row = true;
        f.cipp_partner_row = true;
    });
    let (_, body) = get_json(&format!("{base}/api/ListTenants"), &token).await?;
    let rows = body.as_array().ok_or("not an array")?;
    assert!(rows.iter().any(Value::is_null));
    assert!(rows.iter().any(|r| r["displayName"] == "*Partner Tenant"));
    sandbox.update_faults(|f| f.cipp_tenants_error_row = true);
    let (status, body) = get_json(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["customerId"], "");
    Ok(())
}

#[tokio::test]
async fn cipp_list_users_trusts_nothing_it_cannot_resolve() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let token = cipp_token(&sandbox).await?;
    let tenant = sandbox.tenants()[0].clone();
    let (status, body) = get_json(
        &format!(
            "{base}/api/ListUsers?tenantFilter={}",
            tenant.default_domain
        ),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let rows = body.as_array().ok_or("not an array")?;
    assert_eq!(rows.len(), 15);
    assert!(
        rows.iter()
            .all(|r| r["accountEnabled"].is_boolean() && r["Aliases"].is_string())
    );
    let (status, body) = get_json(
        &format!("{base}/api/ListUsers?tenantFilter=unknown.example"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!([]));
    // tenantId is not a CIPP parameter: the partner's own staff come back.
    let (_, body) = get_json(
        &format!("{base}/api/ListUsers?tenantId={}", tenant.tenant_id),
        &token,
    )
    .await?;
    let partner_ids: BTreeSet<String> = sandbox
        .users(&sandbox.partner_tenant().tenant_id)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids(body.as_array().ok_or("not an array")?), partner_ids);
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(tenant.tenant_id.clone(), TokenFault::ConsentMissing);
    });
    let (status, _, text) = get(
        &format!("{base}/api/ListUsers?tenantFilter={}", tenant.tenant_id),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        text.starts_with("Could not get token: invalid_grant:AADSTS65001"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn cipp_list_graph_request_pages_through_graph_next_links() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let token = cipp_token(&sandbox).await?;
    let tenant = sandbox.tenants()[1].clone();
    let first = format!(
        "{base}/api/ListGraphRequest?Endpoint=users&tenantFilter={}&$select=id,userPrincipalName,accountEnabled&$top=4&manualPagination=true&Version=v1.0",
        tenant.tenant_id
    );
    let mut url = first.clone();
    let mut rows = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = get_json(&url, &token).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        let results = body["Results"].as_array().ok_or("no Results")?;
        assert!(
            results
                .iter()
                .all(|r| r["CippStatus"] == "Good" && r["Tenant"] == tenant.tenant_id.as_str())
        );
        rows.extend(results.iter().cloned());
        match body["Metadata"].get("nextLink").and_then(Value::as_str) {
            Some(next) => {
                let parsed = url::Url::parse(next)?;
                assert_eq!(parsed.host_str(), Some("graph.microsoft.com"));
                assert_eq!(parsed.scheme(), "https");
                url = format!("{first}&nextLink={}", urlencode(next));
            }
            None => break,
        }
    }
    assert_eq!(pages, 4);
    let expected: BTreeSet<String> = sandbox
        .users(&tenant.tenant_id)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids(&rows), expected);

    // A nextLink to any other host is refused.
    let (status, _, text) = get(
        &format!(
            "{first}&nextLink={}",
            urlencode("https://evil.example/v1.0/users?$skiptoken=x")
        ),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.starts_with("Graph Error: ") && text.ends_with(" - Endpoint: users"),
        "{text}"
    );
    // Unknown tenant: 400, not an empty success.
    let (status, _, text) = get(
        &format!("{base}/api/ListGraphRequest?Endpoint=users&tenantFilter=unknown.example&manualPagination=true"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not in CIPP's tenant list"), "{text}");
    // Version defaults to beta, which returns the broad property set.
    let (_, body) = get_json(
        &format!("{base}/api/ListGraphRequest?Endpoint=users&tenantFilter={}&manualPagination=true&$top=1", tenant.tenant_id),
        &token,
    )
    .await?;
    assert_eq!(body["Metadata"]["Version"], "beta");
    assert!(body["Results"][0]["accountEnabled"].is_boolean());
    // Upstream failures become 400 Graph Error with CIPP's normalized wording.
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(tenant.tenant_id.clone(), TokenFault::ConsentMissing);
    });
    let (status, _, text) = get(&first, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("consent has not been given"), "{text}");
    // A half-failing listing: the first page works, the second fails.
    sandbox.update_faults(|f| {
        f.token_errors.clear();
        f.failing_page.insert(tenant.tenant_id.clone(), 1);
    });
    let (status, body) = get_json(&first, &token).await?;
    assert_eq!(status, StatusCode::OK);
    let next = body["Metadata"]["nextLink"].as_str().ok_or("no nextLink")?;
    let (status, _, text) = get(&format!("{first}&nextLink={}", urlencode(next)), &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.starts_with("Graph Error: "));
    Ok(())
}

#[tokio::test]
async fn counters_mutation_errors_and_shutdown() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].clone();
    let token = customer_token(&sandbox, &tenant.tenant_id).await?;
    let url = format!("{}/v1.0/users?$select=id", sandbox.graph_base_url());
    get(&url, &token).await?;
    get(&url, &token).await?;
    assert_eq!(sandbox.request_count("/v1.0/users"), 2);
    assert_eq!(
        sandbox.request_count(&format!("/{}/oauth2/v2.0/token", tenant.tenant_id)),
        1
    );
    let user = sandbox.users(&tenant.tenant_id)[0].id.clone();
    let err = sandbox
        .mutate(Mutation::ChangeEmail {
            user_id: user.clone(),
            email: "someone@not-their-domain.example".into(),
        })
        .err()
        .ok_or("a foreign domain must be refused")?;
    assert_eq!(err.code(), "invalid_mutation");
    let err = sandbox
        .mutate(Mutation::Disable {
            user_id: "no-such-user".into(),
        })
        .err()
        .ok_or("unknown users are refused")?;
    assert!(matches!(err, SandboxError::UnknownUser(_)));
    assert_eq!(err.code(), "unknown_user");
    // Debug output never shows secrets.
    let creds = sandbox.credentials();
    let debug = format!("{creds:?}");
    assert!(!debug.contains(&creds.client_secret) && !debug.contains(&creds.partner_refresh_token));
    assert!(!debug.contains(&creds.cipp_client_secret));
    let graph = sandbox.graph_base_url();
    sandbox.shutdown().await;
    assert!(
        http()
            .get(format!("{graph}/v1.0/users"))
            .send()
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test]
async fn invalid_configurations_are_refused() {
    let err = Sandbox::start(SandboxConfig {
        default_page_size: 0,
        ..SandboxConfig::default()
    })
    .await
    .err();
    assert_eq!(err.map(|e| e.code()), Some("invalid_config"));
}

#[tokio::test]
async fn faults_can_be_read_back() {
    let sandbox = start(SandboxConfig {
        faults: Faults {
            graph_throttle_rate: 0.25,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(sandbox.faults().graph_throttle_rate, 0.25);
    sandbox.set_faults(Faults::default());
    assert_eq!(sandbox.faults(), Faults::default());
}

#[tokio::test]
async fn user_count_is_an_advanced_query() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let token = customer_token(&sandbox, &tenant).await?;
    let url = format!("{}/v1.0/users/$count", sandbox.graph_base_url());
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response = http()
        .get(&url)
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await?,
        sandbox.users(&tenant).len().to_string()
    );
    Ok(())
}

#[tokio::test]
async fn large_tenants_page_at_most_999_users() -> TestResult {
    let sandbox = start(SandboxConfig {
        tenants: 1,
        users_per_tenant: 1_200,
        crm_clients: 1,
        ..SandboxConfig::default()
    })
    .await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let token = customer_token(&sandbox, &tenant).await?;
    let (rows, pages) = all_pages(
        &format!(
            "{}/v1.0/users?$select=id&$top=999",
            sandbox.graph_base_url()
        ),
        &token,
    )
    .await?;
    assert_eq!(pages, 2);
    assert_eq!(ids(&rows).len(), 1_200);
    // Without $top, Graph's default page of 100.
    let (_, pages) = all_pages(
        &format!("{}/v1.0/users?$select=id", sandbox.graph_base_url()),
        &token,
    )
    .await?;
    assert_eq!(pages, 12);
    Ok(())
}

#[test]
fn the_sandbox_can_be_shared_across_tasks() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Sandbox>();
}

#[tokio::test]
async fn config_from_json_starts_the_described_estate() -> TestResult {
    let config = SandboxConfig::from_json(&serde_json::json!({
        "seed": 3,
        "tenants": 2,
        "usersPerTenant": 12,
        "crmClients": 3,
        "faults": {"graphThrottleNext": 1, "retryAfterSecs": 1}
    }))?;
    let sandbox = start(config).await;
    assert_eq!(sandbox.tenants().len(), 2);
    assert_eq!(sandbox.crm_clients().len(), 3);
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    assert_eq!(sandbox.users(&tenant).len(), 12);
    let token = customer_token(&sandbox, &tenant).await?;
    let (status, _, _) = get(&format!("{}/v1.0/users", sandbox.graph_base_url()), &token).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

#[tokio::test]
async fn ignore_errors_turns_cipp_graph_errors_into_200() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let token = cipp_token(&sandbox).await?;
    let url = format!(
        "{}/api/ListGraphRequest?Endpoint=users&tenantFilter=unknown.example&IgnoreErrors=true",
        sandbox.cipp_base_url()
    );
    let (status, _, text) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(text.starts_with("Graph Error: "), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_refresh_token_belongs_to_its_client() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let creds = sandbox.credentials();
    let (status, body) = token_request(
        &sandbox,
        &creds.cipp_tenant_id,
        &[
            ("client_id", &creds.cipp_client_id),
            ("client_secret", &creds.cipp_client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", &creds.partner_refresh_token),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"], serde_json::json!([70000]));
    Ok(())
}

#[tokio::test]
async fn expired_tokens_are_refused_by_graph_and_cipp() -> TestResult {
    let sandbox = start(SandboxConfig {
        token_lifetime: std::time::Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let creds = sandbox.credentials();
    let (_, body) = token_request(
        &sandbox,
        &tenant,
        &[
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", &creds.partner_refresh_token),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await?;
    assert_eq!(body["expires_in"], 1);
    let graph = body["access_token"].as_str().ok_or("no token")?.to_string();
    let cipp = cipp_token(&sandbox).await?;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, body) = get_json(
        &format!("{}/v1.0/users?$select=id", sandbox.graph_base_url()),
        &graph,
    )
    .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["error"]["message"],
        "Access token has expired or is not yet valid."
    );
    let (status, _, text) = get(&format!("{}/api/me", sandbox.cipp_base_url()), &cipp).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(text, "");
    Ok(())
}
