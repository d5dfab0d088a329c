//! The sandbox's login endpoint: client credentials, refresh-token rotation and revocation,
//! token scoping and forgery, AADSTS faults and the authorization-code flow with PKCE.

use super::*;

#[tokio::test]
async fn client_credentials_work_and_a_bad_secret_is_invalid_client() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let creds = sandbox.credentials();
    let (status, body) = Form::client_credentials(&sandbox, GRAPH_DEFAULT)
        .send(&sandbox, &creds.partner_tenant_id)
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body.get("refresh_token").is_none());
    let (status, body) = Form::client_credentials(&sandbox, GRAPH_DEFAULT)
        .with("client_secret", "wrong")
        .send(&sandbox, &creds.partner_tenant_id)
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
    let (status, body) =
        Form::client_credentials(&sandbox, "https://graph.microsoft.com/User.Read.All")
            .send(&sandbox, &creds.partner_tenant_id)
            .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    // An unknown tenant.
    let (status, body) = Form::client_credentials(&sandbox, GRAPH_DEFAULT)
        .without("client_secret")
        .without("scope")
        .send(&sandbox, "nobody.onmicrosoft.com")
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
            Form::partner_refresh(sandbox, PARTNER_SCOPE)
                .with("refresh_token", &rt)
                .send(sandbox, &creds.partner_tenant_id)
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
        let (status, body) = Form::partner_refresh(&sandbox, GRAPH_DEFAULT)
            .send(&sandbox, tenant)
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
    let (_, body) = Form::partner_refresh(sandbox, GRAPH_DEFAULT)
        .without("scope")
        .send(sandbox, &creds.partner_tenant_id)
        .await?;
    Ok(body["refresh_token"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn a_refresh_token_belongs_to_its_client() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let creds = sandbox.credentials();
    let (status, body) = Form::partner_refresh(&sandbox, GRAPH_DEFAULT)
        .with("client_id", &creds.cipp_client_id)
        .with("client_secret", &creds.cipp_client_secret)
        .send(&sandbox, &creds.cipp_tenant_id)
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
    let (_, body) = Form::partner_refresh(&sandbox, GRAPH_DEFAULT)
        .send(&sandbox, &tenant)
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
