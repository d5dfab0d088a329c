//! The state the three services share: the estate, issued grants, the change log that feeds delta
//! queries, the active faults and the request counters.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;

use super::clock::unix_now;
use super::config::Faults;
use super::estate::{Deletion, Estate};
use super::ids::{guid, opaque};
use super::tokens::{Claims, TokenSigner};

/// The credentials a host needs to talk to the sandbox, as it would to Microsoft and CIPP.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    /// The partner's multi-tenant app (Graph direct).
    pub client_id: String,
    pub client_secret: String,
    /// The MSP's own tenant.
    pub partner_tenant_id: String,
    /// A partner user's refresh token, as the consent flow would have left it.
    pub partner_refresh_token: String,
    /// The tenant of the CIPP instance's app registrations (the partner tenant).
    pub cipp_tenant_id: String,
    /// The CIPP API client.
    pub cipp_client_id: String,
    pub cipp_client_secret: String,
}

impl std::fmt::Debug for SandboxCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("partner_tenant_id", &self.partner_tenant_id)
            .field("partner_refresh_token", &"[redacted]")
            .field("cipp_tenant_id", &self.cipp_tenant_id)
            .field("cipp_client_id", &self.cipp_client_id)
            .field("cipp_client_secret", &"[redacted]")
            .finish()
    }
}

/// A refresh token the login service issued.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub client_id: String,
    pub user_id: String,
    pub upn: String,
    /// Delegated scopes consented at sign-in.
    pub scope: String,
    /// Revoked by the host (as a password reset or an admin would): redeeming it fails.
    pub revoked: bool,
    /// Redeemed at least once (refused again under `Faults::one_time_refresh_tokens`).
    pub redeemed: bool,
}

/// An authorization code waiting to be redeemed.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub tenant_id: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires: u64,
    pub redeemed: bool,
}

/// One entry of the directory change log.
#[derive(Debug, Clone)]
pub struct Change {
    pub seq: u64,
    pub tenant_id: String,
    pub user_id: String,
    pub kind: ChangeKind,
}

/// What changed about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// These Graph properties changed.
    Updated(Vec<&'static str>),
    Added,
    Removed(Deletion),
    Restored,
}

/// Mutable state, behind one mutex that is never held across an await.
#[derive(Debug)]
pub struct State {
    pub estate: Estate,
    pub faults: Faults,
    /// Decides fault rates; seeded from the config.
    pub rng: StdRng,
    /// Seeded too, for tokens and codes the services issue.
    pub estate_rng: StdRng,
    /// Seeded, and used by mutations alone: the ids of users they create follow the seed and the
    /// mutations made, whatever traffic the services saw meanwhile (two sandboxes of one seed
    /// given the same mutations create the same users).
    pub mutation_rng: StdRng,
    pub counters: BTreeMap<String, u64>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    /// Authorization codes by value.
    pub codes: HashMap<String, AuthCode>,
    pub token_generation: u64,
    pub delta_epoch: u64,
    pub seq: u64,
    pub changes: Vec<Change>,
}

impl State {
    /// Records a change and returns its sequence number.
    pub fn record(&mut self, tenant_id: &str, user_id: &str, kind: ChangeKind) -> u64 {
        self.seq += 1;
        self.changes.push(Change {
            seq: self.seq,
            tenant_id: tenant_id.to_string(),
            user_id: user_id.to_string(),
            kind,
        });
        self.seq
    }

    /// The delay for the next answer: the configured latency plus a seeded share of the jitter.
    pub fn latency(&mut self) -> Duration {
        let jitter = self.faults.latency_jitter.as_millis() as u64;
        let extra = if jitter > 0 {
            self.rng.random_range(0..=jitter)
        } else {
            0
        };
        self.faults.latency + Duration::from_millis(extra)
    }

    /// A new refresh token for a user of the partner app.
    pub fn issue_refresh_token(&mut self, grant: RefreshGrant) -> String {
        let token = format!("0.AXsA{}", opaque(&mut self.estate_rng, 120));
        self.refresh_tokens.insert(token.clone(), grant);
        token
    }
}

/// Everything the handlers of the three services share.
#[derive(Debug)]
pub struct Shared {
    pub signer: TokenSigner,
    pub token_lifetime: u64,
    pub default_page_size: usize,
    pub delta_page_size: usize,
    pub redirect_uris: Vec<String>,
    pub credentials: SandboxCredentials,
    pub login_base: String,
    pub graph_base: String,
    pub cipp_base: String,
    /// The cloud the sandbox plays, and the Graph resource its tokens are minted for.
    pub cloud: crate::auth::NationalCloud,
    pub graph_audience: String,
    pub state: Mutex<State>,
}

impl Shared {
    /// The state, recovering from a poisoned lock (a panicking handler must not wedge the rest).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Mints an access token.
    pub fn mint(
        &self,
        state: &mut State,
        aud: &str,
        tenant_id: &str,
        app_id: &str,
        user: Option<(&str, &str)>,
        scope: Option<String>,
    ) -> String {
        let now = unix_now();
        let claims = Claims {
            aud: aud.to_string(),
            iss: format!("https://sts.windows.net/{tenant_id}/"),
            tid: tenant_id.to_string(),
            appid: app_id.to_string(),
            oid: user.map(|(id, _)| id.to_string()),
            upn: user.map(|(_, upn)| upn.to_string()),
            scp: scope,
            iat: now,
            nbf: now,
            exp: now + self.token_lifetime,
            generation: state.token_generation,
            uti: opaque(&mut state.estate_rng, 22),
        };
        self.signer.sign(&claims)
    }
}

/// A fresh request id (not seeded: it identifies a request, it does not shape the estate).
pub fn request_id() -> String {
    guid(&mut rand::rng())
}

/// A random 32-byte key for the token signer.
pub fn signing_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    key
}
