//! What a host reads off a running sandbox, and the one-shot changes it makes to it, by name: one
//! table for every binding, so the Python and Node sandboxes offer the same views and actions
//! under the same names and a new view is added once.

use entra_core::CoreError;
use serde_json::Value;

use super::sandbox::{cipp_settings_json, credentials_json, graph_settings_json};
use crate::sandbox::Sandbox;

/// The error for a view or action name not in the table, listing the names there are.
fn unknown(what: &str, name: &str, names: &[&str]) -> CoreError {
    CoreError::invalid_input(format!(
        "no sandbox {what} is named `{name}` (expected one of {})",
        names.join(", ")
    ))
}

/// A view of a running sandbox, as JSON in the contract's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxView {
    /// The app credentials and the partner's refresh token (sandbox-only values).
    Credentials,
    /// `GraphProvider` settings pointing at the sandbox.
    GraphSettings,
    /// `CippProvider` settings pointing at the sandbox.
    CippSettings,
    /// The MSP's own tenant.
    PartnerTenant,
    /// The customer tenants, in estate order.
    Tenants,
    /// The live users of a tenant as the sandbox stores them (Graph property names).
    Users(String),
    /// The `EntraUser` records a correct provider returns for a tenant right now.
    ExpectedUsers(String),
    /// The clients the host's CRM already has.
    CrmClients,
    /// The contacts the host's CRM already has.
    CrmContacts,
    /// The faults currently active.
    Faults,
    /// Requests per path (`{path: count}`), faulted ones included.
    RequestCounts,
}

impl SandboxView {
    /// Every view's name, as the bindings pass it.
    pub const NAMES: &'static [&'static str] = &[
        "credentials",
        "graphSettings",
        "cippSettings",
        "partnerTenant",
        "tenants",
        "users",
        "expectedUsers",
        "crmClients",
        "crmContacts",
        "faults",
        "requestCounts",
    ];

    /// The view `name`; `users` and `expectedUsers` need `tenant_id`, the others take none.
    pub fn named(name: &str, tenant_id: Option<&str>) -> Result<Self, CoreError> {
        let tenant = || {
            tenant_id.map(str::to_owned).ok_or_else(|| {
                CoreError::invalid_input(format!("the sandbox view `{name}` needs a tenant id"))
            })
        };
        let view = match name {
            "credentials" => Self::Credentials,
            "graphSettings" => Self::GraphSettings,
            "cippSettings" => Self::CippSettings,
            "partnerTenant" => Self::PartnerTenant,
            "tenants" => Self::Tenants,
            "users" => Self::Users(tenant()?),
            "expectedUsers" => Self::ExpectedUsers(tenant()?),
            "crmClients" => Self::CrmClients,
            "crmContacts" => Self::CrmContacts,
            "faults" => Self::Faults,
            "requestCounts" => Self::RequestCounts,
            other => return Err(unknown("view", other, Self::NAMES)),
        };
        if tenant_id.is_some() && !matches!(view, Self::Users(_) | Self::ExpectedUsers(_)) {
            return Err(CoreError::invalid_input(format!(
                "the sandbox view `{name}` takes no tenant id"
            )));
        }
        Ok(view)
    }

    /// The view read off `sandbox` now.
    pub fn read(&self, sandbox: &Sandbox) -> Result<Value, CoreError> {
        let value = match self {
            Self::Credentials => return Ok(credentials_json(sandbox)),
            Self::GraphSettings => return Ok(graph_settings_json(sandbox)),
            Self::CippSettings => return Ok(cipp_settings_json(sandbox)),
            Self::Faults => return Ok(sandbox.faults().to_json()),
            Self::PartnerTenant => serde_json::to_value(sandbox.partner_tenant()),
            Self::Tenants => serde_json::to_value(sandbox.tenants()),
            Self::Users(tenant) => serde_json::to_value(sandbox.users(tenant)),
            Self::ExpectedUsers(tenant) => serde_json::to_value(sandbox.expected_users(tenant)),
            Self::CrmClients => serde_json::to_value(sandbox.crm_clients()),
            Self::CrmContacts => serde_json::to_value(sandbox.crm_contacts()),
            Self::RequestCounts => serde_json::to_value(sandbox.request_counts()),
        };
        value.map_err(|e| CoreError::invalid_input(format!("sandbox view: {e}")))
    }
}

/// A one-shot change to a running sandbox between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxAction {
    /// Every refresh token issued so far is revoked.
    RevokeRefreshTokens,
    /// Every access token issued so far stops working (Graph and CIPP answer 401).
    RevokeAccessTokens,
    /// Every delta link handed out so far expires.
    ExpireDeltaTokens,
    /// The request counts start again from zero.
    ResetRequestCounts,
}

impl SandboxAction {
    /// Every action's name, as the bindings pass it.
    pub const NAMES: &'static [&'static str] = &[
        "revokeRefreshTokens",
        "revokeAccessTokens",
        "expireDeltaTokens",
        "resetRequestCounts",
    ];

    /// The action `name`.
    pub fn named(name: &str) -> Result<Self, CoreError> {
        Ok(match name {
            "revokeRefreshTokens" => Self::RevokeRefreshTokens,
            "revokeAccessTokens" => Self::RevokeAccessTokens,
            "expireDeltaTokens" => Self::ExpireDeltaTokens,
            "resetRequestCounts" => Self::ResetRequestCounts,
            other => return Err(unknown("action", other, Self::NAMES)),
        })
    }

    /// Applies the action to `sandbox`.
    pub fn apply(self, sandbox: &Sandbox) {
        match self {
            Self::RevokeRefreshTokens => sandbox.revoke_refresh_tokens(),
            Self::RevokeAccessTokens => sandbox.revoke_access_tokens(),
            Self::ExpireDeltaTokens => sandbox.expire_delta_tokens(),
            Self::ResetRequestCounts => sandbox.reset_request_counts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SandboxConfig;
    use serde_json::json;

    #[test]
    fn every_name_is_read_back_and_wrong_names_or_tenants_are_refused() {
        for name in SandboxView::NAMES {
            let tenant = matches!(*name, "users" | "expectedUsers").then_some("t-1");
            assert!(SandboxView::named(name, tenant).is_ok(), "{name}");
            let other = if tenant.is_some() { None } else { Some("t-1") };
            assert!(
                SandboxView::named(name, other).is_err(),
                "{name} with {other:?}"
            );
        }
        for name in SandboxAction::NAMES {
            assert!(SandboxAction::named(name).is_ok(), "{name}");
        }
        for bad in ["", "Tenants", "users_json", "shutdown"] {
            let view = SandboxView::named(bad, None)
                .map(|_| ())
                .map_err(|e| e.code());
            assert_eq!(view, Err("invalid_input"), "{bad}");
            let action = SandboxAction::named(bad).map(|_| ()).map_err(|e| e.code());
            assert_eq!(action, Err("invalid_input"), "{bad}");
        }
    }

    #[tokio::test]
    async fn views_read_the_estate_and_actions_change_it() -> Result<(), Box<dyn std::error::Error>>
    {
        let config = SandboxConfig::from_json(&json!({"tenants": 2, "usersPerTenant": 3}))?;
        let sandbox = Sandbox::start(config).await?;
        let tenants = SandboxView::Tenants.read(&sandbox)?;
        assert_eq!(tenants.as_array().map(Vec::len), Some(2));
        let tenant = tenants[0]["tenantId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let users = SandboxView::named("users", Some(&tenant))?.read(&sandbox)?;
        let expected = SandboxView::named("expectedUsers", Some(&tenant))?.read(&sandbox)?;
        assert_eq!(users.as_array().map(Vec::len), Some(3));
        assert_eq!(expected.as_array().map(Vec::len), Some(3));
        assert_eq!(
            SandboxView::Credentials.read(&sandbox)?,
            credentials_json(&sandbox)
        );
        let client = reqwest::Client::new();
        client
            .get(format!("{}/v1.0/users", sandbox.graph_base_url()))
            .send()
            .await?;
        let counted = SandboxView::RequestCounts.read(&sandbox)?;
        assert!(
            counted.as_object().is_some_and(|m| !m.is_empty()),
            "{counted}"
        );
        SandboxAction::named("resetRequestCounts")?.apply(&sandbox);
        assert_eq!(SandboxView::RequestCounts.read(&sandbox)?, json!({}));
        sandbox.shutdown().await;
        Ok(())
    }
}
