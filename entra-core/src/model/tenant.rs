use serde::{Deserialize, Serialize};

use super::nullable::or_default;

/// A customer tenant the MSP manages, as discovered through a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedTenant {
    pub entra_tenant_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub primary_domain: Option<String>,
    /// Every verified domain the provider knows (the primary one included).
    #[serde(default, deserialize_with = "or_default")]
    pub domains: Vec<String>,
    #[serde(default)]
    pub source_user_count: Option<u64>,
    #[serde(default, deserialize_with = "or_default")]
    pub status: TenantStatus,
    /// The upstream's own view of the tenant's health (e.g. CIPP's last Graph error), shown to operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_note: Option<String>,
    /// Where `primaryDomain` and `domains` came from, so an operator can weigh a domain match:
    /// the tenant's own verified domain list, or a partner-side fallback when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_source: Option<DomainSource>,
}

/// The source of a tenant's domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainSource {
    /// The tenant's own verified domains (`GET /domains` with a token for the tenant).
    TenantDomains,
    /// The partner-side `findTenantInformationByTenantId`: the default domain only.
    TenantInformation,
    /// A Microsoft 365 Lighthouse row's contract (the default domain only).
    Lighthouse,
    /// A legacy DAP contract (`/contracts`): the default domain recorded when the partnership
    /// began, not updated since.
    Contract,
    /// The CIPP tenant list.
    Cipp,
}

impl ManagedTenant {
    pub fn new(entra_tenant_id: impl Into<String>) -> Self {
        Self {
            entra_tenant_id: entra_tenant_id.into(),
            display_name: None,
            primary_domain: None,
            domains: Vec::new(),
            source_user_count: None,
            status: TenantStatus::Active,
            health_note: None,
            domain_source: None,
        }
    }
}

/// Whether the last complete discovery still listed the tenant. Tenants are never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    #[default]
    Active,
    NotListed,
}

/// The operator's decision for one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantMapping {
    pub entra_tenant_id: String,
    /// `null` when the tenant is skipped.
    #[serde(default)]
    pub client_id: Option<String>,
    pub state: MappingState,
    #[serde(default)]
    pub confirmed_at: Option<String>,
    /// Set when the row was superseded (remapped, unmapped, re-decided): closed rows are kept as
    /// history and are not the tenant's current mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
}

/// A tenant is either mapped to one client or deliberately skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingState {
    Mapped,
    Skipped,
}

/// Which upstream a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionType {
    /// Microsoft Graph with the MSP's partner (GDAP) access.
    Direct,
    /// The CIPP API.
    Cipp,
}

impl ConnectionType {
    /// The snake_case name hosts see (`direct`, `cipp`), as in the contract's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Direct => "direct",
            ConnectionType::Cipp => "cipp",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_type_names_are_their_json_names() {
        for kind in [ConnectionType::Direct, ConnectionType::Cipp] {
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::json!(kind.as_str()))
            );
        }
    }
}
