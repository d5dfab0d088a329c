//! What estate the sandbox serves and which failures it injects.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::page_faults::PageFault;
#[cfg(doc)]
use super::page_faults::PageFaultKind;
use crate::auth::NationalCloud;

/// The size and shape of the synthetic estate, plus the faults active from the start.
///
/// Everything the estate contains is a deterministic function of `seed` and the sizes, so a host
/// test can rely on the same tenants, users and CRM records on every run.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// Seeds the estate and every random fault decision.
    pub seed: u64,
    /// Customer tenants the MSP manages (the partner tenant comes on top).
    pub tenants: usize,
    /// Users in each customer tenant, special accounts (admin, guest, sync, shared mailbox, ...)
    /// included; the first few slots go to those special accounts.
    pub users_per_tenant: usize,
    /// CRM clients the host already has. Client `k < tenants` is meant to be tenant `k`'s client
    /// and is recognizable, in rotation, by the tenant's default domain, only a similar name, only a
    /// secondary domain, or another verified domain of the tenant; every fifth is an unrelated
    /// company instead (its tenant stays unmatched), as is every client beyond `tenants`.
    pub crm_clients: usize,
    /// Page size of Graph and CIPP listings when the caller sends no `$top` (Graph's is 100).
    pub default_page_size: usize,
    /// Users per page of a delta round (Graph chooses it; the caller cannot).
    pub delta_page_size: usize,
    /// Lifetime of every access token, reported as `expires_in` (Microsoft's is 3599 s).
    pub token_lifetime: Duration,
    /// Redirect URIs the partner app accepts at the authorize endpoint; empty accepts any.
    pub redirect_uris: Vec<String>,
    /// Faults active from the start; [`crate::sandbox::Sandbox::set_faults`] replaces them later.
    pub faults: Faults,
    /// The national cloud the sandbox plays: tokens carry that cloud's Graph resource as their
    /// audience (a global-audience token is refused), and the APIs that cloud lacks answer as
    /// Graph answers an unknown segment (400 `BadRequest`): no Lighthouse outside the global
    /// cloud, no GDAP APIs nor tenant information in China.
    pub cloud: NationalCloud,
}

impl Default for SandboxConfig {
    /// Small and fast: five tenants of fifteen users, six CRM clients, no faults.
    fn default() -> Self {
        Self {
            seed: 42,
            tenants: 5,
            users_per_tenant: 15,
            crm_clients: 6,
            default_page_size: 100,
            delta_page_size: 50,
            token_lifetime: Duration::from_secs(3599),
            redirect_uris: Vec::new(),
            faults: Faults::default(),
            cloud: NationalCloud::Global,
        }
    }
}

/// Injected failures. Rates are decided per request by an RNG seeded from the config seed.
///
/// Tenant-keyed knobs take customer tenant ids (see [`crate::sandbox::Sandbox::tenants`]); the
/// partner tenant id works too where it makes sense (e.g. an expired partner refresh token).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Added before every answer of every service.
    pub latency: Duration,
    /// Up to this much more, drawn per request by the seeded RNG.
    pub latency_jitter: Duration,
    /// Share (0..=1) of Graph requests answered `429 TooManyRequests`.
    pub graph_throttle_rate: f64,
    /// The next N Graph requests are answered 429, whatever the rate.
    pub graph_throttle_next: u32,
    /// `Retry-After` seconds sent with every 429 (0 unless set, which keeps tests fast; Graph
    /// itself sends a positive value).
    pub retry_after_secs: u64,
    /// 429 answers carry no `Retry-After` at all (Graph omits it at times): the client must
    /// choose its own backoff.
    pub omit_retry_after: bool,
    /// Share (0..=1) of Graph requests answered `503 serviceNotAvailable`.
    pub graph_unavailable_rate: f64,
    /// The next N Graph requests are answered 503.
    pub graph_unavailable_next: u32,
    /// `Retry-After` seconds on 503 answers; `None` sends none (Graph does both).
    pub unavailable_retry_after_secs: Option<u64>,
    /// Share (0..=1) of CIPP requests answered with a gateway error.
    pub cipp_gateway_error_rate: f64,
    /// The next N CIPP requests are answered with a gateway error.
    pub cipp_gateway_error_next: u32,
    /// Status of CIPP gateway errors: 502, 503 or 504 (0 means 503).
    pub cipp_gateway_status: u16,
    /// Per tenant, the error the token endpoint answers when a token for that tenant is asked.
    pub token_errors: BTreeMap<String, TokenFault>,
    /// The GDAP customer and relationship listings answer 403 `Authorization_RequestDenied` (a
    /// partner user without the permission): discovery must fall back.
    pub gdap_unavailable: bool,
    /// Lighthouse (`managedTenants/tenants`) answers 403 `Authorization_RequestDenied`.
    pub lighthouse_unavailable: bool,
    /// `/v1.0/contracts` answers 403 `Authorization_RequestDenied`.
    pub contracts_unavailable: bool,
    /// `findTenantInformationByTenantId` answers 403 `Authorization_RequestDenied`.
    pub tenant_information_unavailable: bool,
    /// Tenants whose `/domains` answers 403 `Authorization_RequestDenied` (the rest of the
    /// directory stays readable).
    pub domains_denied: BTreeSet<String>,
    /// Tenants whose `/users/$count` answers 403 `Authorization_RequestDenied`.
    pub user_count_denied: BTreeSet<String>,
    /// Tenants the partner reaches only through a legacy DAP contract: absent from the GDAP
    /// listings, listed by `/contracts`, and their directory answers 403.
    pub dap_only: BTreeSet<String>,
    /// Tenants where the partner has no GDAP role able to read the directory: Graph answers 403
    /// `Authorization_RequestDenied` (CIPP: 400 `Graph Error: Insufficient privileges ...`).
    pub gdap_role_missing: BTreeSet<String>,
    /// Per tenant, the zero-based page of the user listing that fails (later pages are unreachable).
    pub failing_page: BTreeMap<String, usize>,
    /// Status of the failing page on Graph (0 means 500); CIPP always answers its 400 `Graph Error`.
    pub failing_page_status: u16,
    /// Per tenant, a fault on one page of the Graph user listing and of every delta round: a cut
    /// connection, a stall, a malformed body, a foreign or repeated `nextLink`, a token expiring
    /// mid-listing or a row without `accountEnabled`.
    pub page_faults: BTreeMap<String, PageFault>,
    /// How long a [`PageFaultKind::Stall`] page waits before it is answered.
    pub page_stall: Duration,
    /// Per group id, the zero-based page of the group's transitive member listing that fails
    /// (with `failingPageStatus`), so a group listing can break off half-way.
    pub failing_group_page: BTreeMap<String, usize>,
    /// How delta tokens that were handed out are treated.
    pub delta: DeltaFault,
    /// A CIPP access denial (403 plain text) for every CIPP endpoint but `/api/me`.
    pub cipp_denial: Option<CippDenial>,
    /// `ListTenants` answers its 200 error row (empty `customerId`) instead of the tenants.
    pub cipp_tenants_error_row: bool,
    /// `ListTenants` carries a `null` entry, as a PowerShell `@($null)` serializes.
    pub cipp_tenants_null_row: bool,
    /// `ListTenants` includes the `*Partner Tenant` row (CIPP's `PartnerTenantAvailable` mode).
    pub cipp_partner_row: bool,
    /// The authorize endpoint redirects with `error=access_denied` instead of a code.
    pub authorize_denied: bool,
    /// Every refresh token can be redeemed once: a second redemption (at any authority) is
    /// refused with 400 `invalid_grant` AADSTS50173, as an upstream enforcing one-time use of
    /// rotated refresh tokens does. Microsoft itself accepts a refresh token until it expires.
    pub one_time_refresh_tokens: bool,
}

/// A token-endpoint failure, with the AADSTS code the real service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFault {
    /// AADSTS65001: the app is not consented in the tenant.
    ConsentMissing,
    /// AADSTS50020: the partner user has no GDAP access to the tenant.
    UserNotInTenant,
    /// AADSTS50076: MFA required.
    MfaRequired,
    /// AADSTS53003: blocked by Conditional Access.
    ConditionalAccess,
    /// AADSTS700082: the refresh token expired through inactivity.
    RefreshTokenExpired,
    /// AADSTS7000222: the client secret expired (401 invalid_client).
    ClientSecretExpired,
}

impl TokenFault {
    /// The AADSTS number.
    pub fn aadsts(self) -> u32 {
        match self {
            Self::ConsentMissing => 65001,
            Self::UserNotInTenant => 50020,
            Self::MfaRequired => 50076,
            Self::ConditionalAccess => 53003,
            Self::RefreshTokenExpired => 700082,
            Self::ClientSecretExpired => 7000222,
        }
    }
}

/// How the Graph delta endpoint treats delta tokens it handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaFault {
    /// Tokens work.
    #[default]
    None,
    /// Every delta token is expired: 400 `syncStateNotFound`.
    Expired,
    /// Graph forces a full resync: 410 Gone with a `Location` header.
    Gone,
}

/// The reasons CIPP gives (as 403 plain text) for refusing an API client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CippDenial {
    /// The client's role lacks the endpoint's permission.
    RoleLacksPermission,
    /// The request came from outside the client's IP range.
    IpNotAllowed,
    /// A restricted role may not touch the requested tenant.
    TenantNotAllowed,
    /// The hosted subscription ended (also refuses `/api/me`).
    SubscriptionEnded,
}
