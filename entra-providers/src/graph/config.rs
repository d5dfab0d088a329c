use std::time::Duration;

use crate::auth::{CloudEndpoints, CustomerGrant, TokenSet};
use crate::http::HttpPolicy;
use crate::secrets::Secret;

/// What the direct provider reads besides customers and users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphOptions {
    /// How customer-tenant tokens are obtained.
    pub customer_grant: CustomerGrant,
    /// Also read active GDAP relationships: names customers, and flags a customer without an
    /// active relationship (its users cannot be read).
    pub enrich_from_relationships: bool,
    /// Also read Lighthouse (`beta/tenantRelationships/managedTenants/tenants`, global cloud only).
    pub include_lighthouse: bool,
    /// Read each customer's verified domains (one call per customer, with its token). On by
    /// default: GDAP customer listings carry no domain, and domains are the strongest evidence
    /// for mapping a tenant to a client. A tenant whose domains cannot be read becomes a warning.
    pub include_domains: bool,
    /// Also read legacy DAP contracts (`/v1.0/contracts`): customers without a GDAP relationship
    /// are listed with a warning (their users cannot be read until one is approved). In a
    /// cloud without the GDAP APIs, contracts are the customer listing whatever this says.
    pub include_contracts: bool,
    /// Count each customer's users (`GET /users/$count`, `ConsistencyLevel: eventual`) into
    /// `sourceUserCount`; a count the token may not read stays empty, never guessed.
    pub include_user_counts: bool,
    /// `$top` for GDAP listings (Graph allows at most 300).
    pub customers_page_size: u32,
    /// `$top` for user listings (Graph allows at most 999).
    pub users_page_size: u32,
    /// The scope the partner token is refreshed for; `None`: `{graph resource}/.default offline_access`.
    pub partner_scope: Option<String>,
    /// A partner token expiring within this margin is refreshed before use.
    pub refresh_margin: Duration,
    /// A cached customer token expiring within this margin is replaced.
    pub customer_margin: Duration,
    /// How many customer tenants are asked for their domains at once.
    pub domain_concurrency: usize,
}

impl Default for GraphOptions {
    fn default() -> Self {
        Self {
            customer_grant: CustomerGrant::PartnerRefreshToken,
            enrich_from_relationships: true,
            include_lighthouse: false,
            include_domains: true,
            include_contracts: true,
            include_user_counts: true,
            customers_page_size: 300,
            users_page_size: 999,
            partner_scope: None,
            refresh_margin: Duration::from_secs(60),
            customer_margin: Duration::from_secs(120),
            domain_concurrency: 4,
        }
    }
}

/// Where and how the direct provider talks to Microsoft.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphConfig {
    pub endpoints: CloudEndpoints,
    pub options: GraphOptions,
    pub policy: HttpPolicy,
}

/// Everything needed to build a [`GraphProvider`](super::GraphProvider) without a secret store.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    pub client_id: String,
    pub client_secret: Secret,
    /// The partner tenant the token set was issued in.
    pub partner_tenant_id: String,
    /// The partner's token set (a refresh token is enough).
    pub tokens: TokenSet,
    pub config: GraphConfig,
}
