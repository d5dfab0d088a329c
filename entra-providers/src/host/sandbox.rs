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
        "includeDomains": true,
        "policy": fast_policy(),
    })
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
}
