use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use tokio::sync::{Mutex, Notify};

use super::jwt::token_tenant_id;
use super::rotation::TokenRotationSink;
use super::token_client::TokenClient;
use super::token_set::{TokenSet, unix_now};
use crate::http::redact_known;
use crate::secrets::Secret;

/// How a token for a customer tenant is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CustomerGrant {
    /// The partner's refresh token redeemed at the customer's authority (GDAP, delegated).
    #[default]
    PartnerRefreshToken,
    /// App-only client credentials at the customer's authority (the app is consented there).
    ClientCredentials,
}

/// Settings of a [`TokenManager`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenManagerConfig {
    /// The partner tenant the partner token set belongs to.
    pub partner_tenant_id: String,
    /// The scope the partner token is refreshed for.
    pub partner_scope: String,
    /// The scope of customer-tenant tokens (`{graph}/.default`).
    pub customer_scope: String,
    pub customer_grant: CustomerGrant,
    /// A partner token expiring within this margin is refreshed before use.
    pub refresh_margin: Duration,
    /// A cached customer token expiring within this margin is replaced.
    pub customer_margin: Duration,
}

type Slot = Arc<Mutex<Option<TokenSet>>>;

/// At most this many redemptions by one caller. A refused redemption is retried only after a
/// concurrent one rotated the token, so every retry follows progress; with `n` callers at once
/// the last needs `n` attempts against an upstream enforcing one-time use. The bound only guards
/// against an upstream that keeps rotating and refusing forever.
const MAX_REDEMPTIONS: usize = 32;

/// The partner token set and what is known about its rotations.
#[derive(Debug)]
struct Partner {
    tokens: TokenSet,
    /// Bumped whenever the refresh token changes.
    rotation: u64,
    /// Bumped whenever anything in `tokens` changes; persistence writes only newer versions.
    version: u64,
    /// Redemptions of the partner refresh token in flight, by the rotation they redeem.
    in_flight: BTreeMap<u64, usize>,
}

/// What a successful redemption changes in the partner set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adopt {
    /// A partner refresh: the new access token, and the rotated refresh token.
    Partner,
    /// A customer mint: only the rotated refresh token (the access token is the customer's).
    RefreshTokenOnly,
}

/// Hands out valid access tokens: the partner's (for discovery) and one per customer tenant
/// (for users). A token expiring within the margin is refreshed first; concurrent callers for
/// the same tenant wait for one refresh instead of racing (single flight).
///
/// Customer tokens are minted concurrently from the one partner refresh token, which rotates on
/// use. An upstream that allows each refresh token to be redeemed only once refuses all but one
/// of the concurrent redemptions; a refused redemption waits for the others of the same token
/// and, when one of them rotated it, retries with the newest. Only a rotation of the token that
/// is still current is adopted, so an older rotation never replaces a newer one.
///
/// Every change of the partner set is reported to the [`TokenRotationSink`] in order: writes
/// are serialized and only a set newer than the last one written is written. A failed write is
/// the `token_persist_failed` error of the call that rotated the tokens.
pub struct TokenManager {
    client: TokenClient,
    config: TokenManagerConfig,
    partner: StdMutex<Partner>,
    /// Woken when a redemption of the partner refresh token ends.
    redeemed: Notify,
    /// One partner refresh at a time.
    partner_refresh: Mutex<()>,
    /// The newest partner-set version written to the sink; held while writing.
    persisted: Mutex<u64>,
    customers: StdMutex<HashMap<String, Slot>>,
    sink: Option<Arc<dyn TokenRotationSink>>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("client", &self.client)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Counts one redemption in flight; ending it (even by cancellation) wakes the waiting ones.
struct InFlight<'a> {
    manager: &'a TokenManager,
    rotation: u64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        {
            let mut partner = self.manager.lock_partner();
            if let Some(count) = partner.in_flight.get_mut(&self.rotation) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    partner.in_flight.remove(&self.rotation);
                }
            }
        }
        self.manager.redeemed.notify_waiters();
    }
}

fn no_refresh_token() -> ProviderError {
    ProviderError::new(
        ProviderErrorCode::RefreshTokenExpired,
        "the partner connection has no refresh token: sign in again",
    )
}

impl TokenManager {
    pub fn new(client: TokenClient, config: TokenManagerConfig, partner_tokens: TokenSet) -> Self {
        Self {
            client,
            config,
            partner: StdMutex::new(Partner {
                tokens: partner_tokens,
                rotation: 0,
                version: 0,
                in_flight: BTreeMap::new(),
            }),
            redeemed: Notify::new(),
            partner_refresh: Mutex::new(()),
            persisted: Mutex::new(0),
            customers: StdMutex::new(HashMap::new()),
            sink: None,
        }
    }

    /// Reports every rotation of the partner token set to `sink`.
    pub fn with_rotation_sink(mut self, sink: Arc<dyn TokenRotationSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    pub fn config(&self) -> &TokenManagerConfig {
        &self.config
    }

    pub fn client(&self) -> &TokenClient {
        &self.client
    }

    fn lock_partner(&self) -> std::sync::MutexGuard<'_, Partner> {
        match self.partner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The current partner token set (for hosts that persist it themselves).
    pub async fn partner_tokens(&self) -> TokenSet {
        self.lock_partner().tokens.clone()
    }

    /// The partner access token when it lives past the margin and is not `rejected`.
    fn fresh_partner_access(&self, rejected: Option<&Secret>) -> Option<Secret> {
        let partner = self.lock_partner();
        let current = &partner.tokens;
        (current.is_fresh(unix_now(), self.config.refresh_margin)
            && rejected.is_none_or(|r| current.access_token != *r))
        .then(|| current.access_token.clone())
    }

    /// A partner access token valid for at least the refresh margin.
    pub async fn partner_token(&self) -> Result<Secret, ProviderError> {
        self.partner_token_unless(None).await
    }

    /// After Graph refused `rejected` with 401: refreshes once, unless another caller already
    /// replaced that token, and returns the token to retry with.
    pub async fn partner_token_after_rejection(
        &self,
        rejected: &Secret,
    ) -> Result<Secret, ProviderError> {
        self.partner_token_unless(Some(rejected)).await
    }

    async fn partner_token_unless(
        &self,
        rejected: Option<&Secret>,
    ) -> Result<Secret, ProviderError> {
        if let Some(token) = self.fresh_partner_access(rejected) {
            return Ok(token);
        }
        let _single_flight = self.partner_refresh.lock().await;
        if let Some(token) = self.fresh_partner_access(rejected) {
            return Ok(token);
        }
        let fresh = self
            .redeem(
                &self.config.partner_tenant_id,
                &self.config.partner_scope,
                Adopt::Partner,
            )
            .await?;
        Ok(fresh.access_token)
    }

    /// Forces a refresh of the partner token set now (the validation report uses it).
    pub async fn refresh_partner(&self) -> Result<TokenSet, ProviderError> {
        let _single_flight = self.partner_refresh.lock().await;
        self.redeem(
            &self.config.partner_tenant_id,
            &self.config.partner_scope,
            Adopt::Partner,
        )
        .await?;
        Ok(self.lock_partner().tokens.clone())
    }

    /// Writes the newest partner token set to the rotation sink if it has not been written yet:
    /// after a `token_persist_failed`, a host can call it once its store is back.
    pub async fn persist_rotated(&self) -> Result<(), ProviderError> {
        let Some(sink) = &self.sink else {
            return Ok(());
        };
        let mut persisted = self.persisted.lock().await;
        let (version, tokens) = {
            let partner = self.lock_partner();
            (partner.version, partner.tokens.clone())
        };
        if version <= *persisted {
            return Ok(());
        }
        sink.tokens_rotated(&tokens)
            .await
            .map_err(|err| persist_failed(err, &tokens))?;
        *persisted = version;
        Ok(())
    }

    /// Redeems the current partner refresh token at `authority` for `scope`, adopting what the
    /// answer rotates. A refusal while a concurrent redemption of the same token is rotating it
    /// is retried with the newest token.
    async fn redeem(
        &self,
        authority: &str,
        scope: &str,
        adopt: Adopt,
    ) -> Result<TokenSet, ProviderError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (refresh_token, rotation) = {
                let mut partner = self.lock_partner();
                let refresh_token = partner
                    .tokens
                    .refresh_token
                    .clone()
                    .ok_or_else(no_refresh_token)?;
                let rotation = partner.rotation;
                *partner.in_flight.entry(rotation).or_default() += 1;
                (refresh_token, rotation)
            };
            let in_flight = InFlight {
                manager: self,
                rotation,
            };
            let result = self.client.refresh(authority, &refresh_token, scope).await;
            match result {
                Ok(fresh) => {
                    let changed = self.adopt(rotation, &fresh, adopt);
                    drop(in_flight);
                    if changed {
                        self.persist_rotated().await?;
                    }
                    return Ok(fresh);
                }
                Err(err) => {
                    drop(in_flight);
                    if err.code != ProviderErrorCode::RefreshTokenExpired
                        || attempts >= MAX_REDEMPTIONS
                        || !self.rotated_past(rotation).await
                    {
                        return Err(err);
                    }
                    tracing::debug!(
                        authority,
                        "the refresh token was already redeemed concurrently; retrying with the newest"
                    );
                }
            }
        }
    }

    /// Applies a successful redemption of the refresh token of `rotation`; whether the set
    /// changed. A rotated refresh token is adopted only while the one redeemed is still
    /// current: a concurrent redemption that rotated it first wins, and its token is kept.
    fn adopt(&self, rotation: u64, fresh: &TokenSet, adopt: Adopt) -> bool {
        let mut partner = self.lock_partner();
        let mut changed = false;
        if partner.rotation == rotation
            && let Some(rotated) = &fresh.refresh_token
            && partner.tokens.refresh_token.as_ref() != Some(rotated)
        {
            partner.tokens.refresh_token = Some(rotated.clone());
            partner.rotation += 1;
            changed = true;
        }
        if adopt == Adopt::Partner {
            partner.tokens.access_token = fresh.access_token.clone();
            partner.tokens.expires_at = fresh.expires_at;
            partner.tokens.scope = fresh.scope.clone();
            changed = true;
        }
        if changed {
            partner.version += 1;
        }
        changed
    }

    /// Waits until the refresh token of `rotation` was rotated (`true`) or every redemption of
    /// it ended without rotating it (`false`: the refusal stands).
    async fn rotated_past(&self, rotation: u64) -> bool {
        loop {
            let notified = self.redeemed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let partner = self.lock_partner();
                if partner.rotation > rotation {
                    return true;
                }
                if !partner.in_flight.contains_key(&rotation) {
                    return false;
                }
            }
            notified.await;
        }
    }

    /// An access token for `tenant` (a customer tenant id), minted and cached per tenant.
    pub async fn customer_token(&self, tenant: &str) -> Result<Secret, ProviderError> {
        let slot = self.slot(tenant);
        let mut cached = slot.lock().await;
        if let Some(tokens) = cached.as_ref()
            && tokens.is_fresh(unix_now(), self.config.customer_margin)
        {
            return Ok(tokens.access_token.clone());
        }
        let minted = self.mint_customer(tenant).await?;
        let token = minted.access_token.clone();
        *cached = Some(minted);
        Ok(token)
    }

    /// After Graph refused a customer token with 401: drops it (unless already replaced) so
    /// the next [`TokenManager::customer_token`] mints a new one.
    pub async fn customer_token_rejected(&self, tenant: &str, rejected: &Secret) {
        let slot = self.slot(tenant);
        let mut cached = slot.lock().await;
        if cached.as_ref().is_some_and(|t| t.access_token == *rejected) {
            *cached = None;
        }
    }

    fn slot(&self, tenant: &str) -> Slot {
        let mut slots = match self.customers.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        slots.entry(tenant.to_string()).or_default().clone()
    }

    async fn mint_customer(&self, tenant: &str) -> Result<TokenSet, ProviderError> {
        let scope = &self.config.customer_scope;
        let mut minted = match self.config.customer_grant {
            CustomerGrant::ClientCredentials => {
                self.client.client_credentials(tenant, scope).await?
            }
            CustomerGrant::PartnerRefreshToken => {
                self.redeem(tenant, scope, Adopt::RefreshTokenOnly).await?
            }
        };
        // A tenant named by a domain cannot be compared with the token's `tid` (a GUID).
        if let Some(tid) = token_tenant_id(minted.access_token.expose())
            && is_guid(tenant)
            && !tid.eq_ignore_ascii_case(tenant.trim())
        {
            return Err(ProviderError::new(
                ProviderErrorCode::UnexpectedResponse,
                format!(
                    "the token endpoint issued a token for tenant {tid} when {tenant} was asked for"
                ),
            ));
        }
        minted.refresh_token = None;
        Ok(minted)
    }
}

/// The `token_persist_failed` error for a sink failure: the sink's code and message, with any
/// value of the token set scrubbed from it.
fn persist_failed(err: ProviderError, tokens: &TokenSet) -> ProviderError {
    let cause = err.code();
    let error = ProviderError::new(
        ProviderErrorCode::TokenPersistFailed,
        format!(
            "the rotated partner tokens could not be persisted ({cause}): {}; the connection is lost once the stored refresh token is spent",
            err.message
        ),
    );
    let known: Vec<&str> = [tokens.refresh_token.as_ref(), Some(&tokens.access_token)]
        .into_iter()
        .flatten()
        .map(Secret::expose)
        .collect();
    redact_known(error, &known)
}

/// Whether `value` is shaped like a tenant id (`8-4-4-4-12` hex digits).
fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.trim().split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_guid;

    #[test]
    fn only_guid_shaped_tenants_are_compared_with_the_token() {
        assert!(is_guid("52eaad04-13a2-4a2f-9ce8-93a294fadf36"));
        assert!(is_guid("52EAAD04-13A2-4A2F-9CE8-93A294FADF36"));
        assert!(!is_guid("contoso.onmicrosoft.com"));
        assert!(!is_guid("52eaad04-13a2-4a2f-9ce8"));
        assert!(!is_guid("zzzzzzzz-13a2-4a2f-9ce8-93a294fadf36"));
    }
}
