use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use tokio::sync::Mutex;

use super::jwt::token_tenant_id;
use super::rotation::TokenRotationSink;
use super::token_client::TokenClient;
use super::token_set::{TokenSet, unix_now};
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

/// Hands out valid access tokens: the partner's (for discovery) and one per customer tenant
/// (for users). A token expiring within the margin is refreshed first; concurrent callers for
/// the same tenant wait for one refresh instead of racing (single flight); every rotation of
/// the partner token set is reported to the [`TokenRotationSink`].
pub struct TokenManager {
    client: TokenClient,
    config: TokenManagerConfig,
    partner: Mutex<TokenSet>,
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

impl TokenManager {
    pub fn new(client: TokenClient, config: TokenManagerConfig, partner_tokens: TokenSet) -> Self {
        Self {
            client,
            config,
            partner: Mutex::new(partner_tokens),
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

    /// The current partner token set (for hosts that persist it themselves).
    pub async fn partner_tokens(&self) -> TokenSet {
        self.partner.lock().await.clone()
    }

    /// A partner access token valid for at least the refresh margin.
    pub async fn partner_token(&self) -> Result<Secret, ProviderError> {
        let mut current = self.partner.lock().await;
        if current.is_fresh(unix_now(), self.config.refresh_margin) {
            return Ok(current.access_token.clone());
        }
        self.refresh_partner_locked(&mut current).await
    }

    /// After Graph refused `rejected` with 401: refreshes once, unless another caller already
    /// replaced that token, and returns the token to retry with.
    pub async fn partner_token_after_rejection(
        &self,
        rejected: &Secret,
    ) -> Result<Secret, ProviderError> {
        let mut current = self.partner.lock().await;
        if current.access_token != *rejected
            && current.is_fresh(unix_now(), self.config.refresh_margin)
        {
            return Ok(current.access_token.clone());
        }
        self.refresh_partner_locked(&mut current).await
    }

    /// Forces a refresh of the partner token set now (the validation report uses it).
    pub async fn refresh_partner(&self) -> Result<TokenSet, ProviderError> {
        let mut current = self.partner.lock().await;
        self.refresh_partner_locked(&mut current).await?;
        Ok(current.clone())
    }

    async fn refresh_partner_locked(
        &self,
        current: &mut TokenSet,
    ) -> Result<Secret, ProviderError> {
        let refresh_token = current.refresh_token.clone().ok_or_else(|| {
            ProviderError::new(
                ProviderErrorCode::RefreshTokenExpired,
                "the partner connection has no refresh token: sign in again",
            )
        })?;
        let fresh = self
            .client
            .refresh(
                &self.config.partner_tenant_id,
                &refresh_token,
                &self.config.partner_scope,
            )
            .await?;
        *current = fresh;
        self.report(current).await;
        Ok(current.access_token.clone())
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
                let partner_rt = {
                    let current = self.partner.lock().await;
                    current.refresh_token.clone()
                }
                .ok_or_else(|| {
                    ProviderError::new(
                        ProviderErrorCode::RefreshTokenExpired,
                        "the partner connection has no refresh token: sign in again",
                    )
                })?;
                let minted = self.client.refresh(tenant, &partner_rt, scope).await?;
                if let Some(rotated) = &minted.refresh_token
                    && *rotated != partner_rt
                {
                    let mut current = self.partner.lock().await;
                    // Keep whichever is newest: only replace the token this mint started from.
                    if current.refresh_token.as_ref() == Some(&partner_rt) {
                        current.refresh_token = Some(rotated.clone());
                        self.report(&current).await;
                    }
                }
                minted
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

    async fn report(&self, tokens: &TokenSet) {
        if let Some(sink) = &self.sink
            && let Err(err) = sink.tokens_rotated(tokens).await
        {
            tracing::warn!(
                code = err.code(),
                "could not persist the rotated partner tokens"
            );
        }
    }
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
