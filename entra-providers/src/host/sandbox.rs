//! The sandbox as a host sees it: its credentials and ready-made settings for the two providers
//! in the shape [`super::graph_provider_from_json`] and [`super::cipp_provider_from_json`] read,
//! so every binding points its providers at a sandbox the same way.

use serde_json::{Value, json};

use crate::sandbox::Sandbox;

/// The sandbox's app credentials and the partner's refresh token (sandbox-only values, worthless
/// anywhere else).
pub fn credentials_json(sandbox: &Sandbox) -> Value {
    let c = sandbox.credentials();
    json!({
        "clientId": c.client_id,
        "clientSecret": c.client_secret,
        "partnerTenantId": c.partner_tenant_id,
        "partnerRefreshToken": c.partner_refresh_token,
        "cippTenantId": c.cipp_tenant_id,
        "cippClientId": c.cipp_client_id,
        "cippClientSecret": c.cipp_client_secret,
    })
}

/// Graph provider settings pointing at the sandbox, with short retry delays and the tenants'
/// verified domains read (mapping suggestions need them).
pub fn graph_settings_json(sandbox: &Sandbox) -> Value {
    let c = sandbox.credentials();
    json!({
        "clientId": c.client_id,
        "clientSecret": c.client_secret,
        "partnerTenantId": c.partner_tenant_id,
        "refreshToken": c.partner_refresh_token,
        "loginBase": sandbox.login_base_url(),
        "graphBase": sandbox.graph_base_url(),
        "cloud": cloud_name(sandbox.cloud()),
        "includeDomains": true,
        "policy": fast_policy(),
    })
}

/// The settings' name of the cloud the sandbox plays, so the provider asks for that cloud's
/// Graph resource and APIs.
fn cloud_name(cloud: crate::auth::NationalCloud) -> &'static str {
    use crate::auth::NationalCloud;
    match cloud {
        NationalCloud::Global => "global",
        NationalCloud::UsGovHigh => "us_gov_high",
        NationalCloud::UsGovDod => "us_gov_dod",
        NationalCloud::China => "china",
    }
}

/// CIPP provider settings pointing at the sandbox, with short retry delays.
pub fn cipp_settings_json(sandbox: &Sandbox) -> Value {
    let c = sandbox.credentials();
    json!({
        "baseUrl": sandbox.cipp_base_url(),
        "loginBase": sandbox.login_base_url(),
        "tenantId": c.cipp_tenant_id,
        "clientId": c.cipp_client_id,
        "clientSecret": c.cipp_client_secret,
        "partnerTenantId": c.partner_tenant_id,
        "policy": fast_policy(),
    })
}

/// Short retry delays for loopback tests: throttling is exercised without slow suites.
fn fast_policy() -> Value {
    json!({
        "connectTimeout": 2.0,
        "requestTimeout": 10.0,
        "maxRetries": 4,
        "baseDelay": 0.001,
        "maxDelay": 0.01,
        "maxTotalWait": 5.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{cipp_provider_from_json, graph_provider_from_json};
    use crate::sandbox::SandboxConfig;
    use entra_core::provider::EntraProvider;

    #[tokio::test]
    async fn providers_built_from_the_sandbox_settings_list_its_estate()
    -> Result<(), Box<dyn std::error::Error>> {
        let config = SandboxConfig::from_json(&json!({"tenants": 2, "usersPerTenant": 10}))?;
        let sandbox = Sandbox::start(config).await?;
        let graph = graph_provider_from_json(&graph_settings_json(&sandbox), None)?;
        let cipp = cipp_provider_from_json(&cipp_settings_json(&sandbox))?;
        assert_eq!(graph.list_managed_tenants().await?.tenants.len(), 2);
        assert_eq!(cipp.list_managed_tenants().await?.tenants.len(), 2);
        let credentials = credentials_json(&sandbox);
        assert_eq!(
            credentials["partnerTenantId"],
            json!(sandbox.credentials().partner_tenant_id)
        );
        sandbox.shutdown().await;
        Ok(())
    }

    #[tokio::test]
    async fn the_whole_sign_in_against_the_sandbox_login() -> Result<(), Box<dyn std::error::Error>>
    {
        use crate::auth::StateExpectation;
        use crate::host::{auth, auth_settings_from_json};
        const KEY: &str = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
        const REDIRECT: &str = "https://psa.example/entra/callback";
        let sandbox = Sandbox::start(SandboxConfig::from_json(&json!({}))?).await?;
        let c = sandbox.credentials();
        let settings = auth_settings_from_json(&json!({
            "clientId": c.client_id,
            "clientSecret": c.client_secret,
            "authority": c.partner_tenant_id,
            "redirectUri": REDIRECT,
            "loginBase": sandbox.login_base_url(),
            "graphBase": sandbox.graph_base_url(),
            "policy": {"baseDelay": 0.001, "maxDelay": 0.01},
        }))?;
        let start = auth::authorization_start_json(&settings, KEY.into(), "host", "user-1")?;
        // The sandbox's consent screen approves at once and redirects to the callback.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let consent = client
            .get(start["url"].as_str().unwrap_or_default())
            .send()
            .await?;
        let location = consent
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let callback = url::Url::parse(&location)?;
        let query = |name: &str| {
            callback
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let expected = StateExpectation {
            tenant: "host".into(),
            user: "user-1".into(),
            redirect_uri: REDIRECT.into(),
        };
        let claims =
            auth::verify_state_json(&query("state"), KEY.into(), &expected, None, None).await?;
        assert_eq!(claims["user"], "user-1");
        let verifier = start["codeVerifier"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let tokens = auth::exchange_code(&settings, query("code"), verifier.clone()).await?;
        let refresh = tokens["refreshToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!refresh.is_empty() && tokens["expiresAt"].as_u64() > Some(0));
        let rotated = auth::refresh_tokens(&settings, refresh.clone(), None).await?;
        assert!(
            rotated["refreshToken"]
                .as_str()
                .is_some_and(|t| t != refresh)
        );
        // The code is single-use; the error does not quote it.
        let again = auth::exchange_code(&settings, query("code"), verifier).await;
        let err = again.err().map(|e| (e.kind(), e.to_string()));
        assert!(
            err.as_ref().is_some_and(|(kind, message)| {
                *kind == entra_core::ErrorKind::Auth && !message.contains(&query("code"))
            }),
            "{err:?}"
        );
        sandbox.revoke_refresh_tokens();
        let revoked = auth::refresh_tokens(&settings, c.partner_refresh_token.clone(), None).await;
        assert_eq!(
            revoked.err().map(|e| e.code()),
            Some("refresh_token_expired")
        );
        sandbox.shutdown().await;
        Ok(())
    }
}
