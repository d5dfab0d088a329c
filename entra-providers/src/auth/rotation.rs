use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use entra_core::provider::{ProviderError, ProviderErrorCode};

use super::token_set::TokenSet;
use crate::secrets::{Secret, SecretProvider, names};

/// Told every time the partner token set changes (refresh tokens rotate on every use, so the
/// newest one must be persisted or the connection is eventually lost).
#[async_trait]
pub trait TokenRotationSink: Send + Sync {
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError>;
}

/// Persists rotated tokens through a [`SecretProvider`] under the canonical names.
#[derive(Clone)]
pub struct SecretsTokenSink {
    secrets: Arc<dyn SecretProvider>,
    tenant: String,
}

impl fmt::Debug for SecretsTokenSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretsTokenSink")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl SecretsTokenSink {
    pub fn new(secrets: Arc<dyn SecretProvider>, tenant: impl Into<String>) -> Self {
        Self {
            secrets,
            tenant: tenant.into(),
        }
    }
}

#[async_trait]
impl TokenRotationSink for SecretsTokenSink {
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError> {
        store_token_set(self.secrets.as_ref(), &self.tenant, tokens).await
    }
}

/// Calls a closure with every new token set (e.g. to write it in the host's own transaction).
/// The closure returns nothing (it cannot fail) or a `Result`: an error becomes the
/// `token_persist_failed` error of the operation that rotated the tokens.
pub struct CallbackSink<F>(pub F);

/// What a [`CallbackSink`] closure may return.
pub trait PersistOutcome {
    fn into_result(self) -> Result<(), ProviderError>;
}

impl PersistOutcome for () {
    fn into_result(self) -> Result<(), ProviderError> {
        Ok(())
    }
}

impl PersistOutcome for Result<(), ProviderError> {
    fn into_result(self) -> Result<(), ProviderError> {
        self
    }
}

/// A message for people (it must not carry a token).
impl PersistOutcome for Result<(), String> {
    fn into_result(self) -> Result<(), ProviderError> {
        self.map_err(|message| ProviderError::new(ProviderErrorCode::TokenPersistFailed, message))
    }
}

#[async_trait]
impl<F, R> TokenRotationSink for CallbackSink<F>
where
    F: Fn(&TokenSet) -> R + Send + Sync,
    R: PersistOutcome,
{
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError> {
        (self.0)(tokens).into_result()
    }
}

/// Writes a token set under the canonical `entra_direct_*` names as one unit
/// ([`SecretProvider::set_many`]). Where the store cannot write atomically, the order makes any
/// interruption safe: the refresh token first (a spent one cannot be got back, so the newest
/// must never be lost), then the access token, then its expiry (a stored expiry never belongs to
/// a newer access token than the stored one, so a stale token is never taken for fresh: at
/// worst a valid one is refreshed early), then the scope.
pub async fn store_token_set(
    secrets: &(dyn SecretProvider + '_),
    tenant: &str,
    tokens: &TokenSet,
) -> Result<(), ProviderError> {
    let mut values: Vec<(&str, Secret)> = Vec::with_capacity(4);
    if let Some(rt) = &tokens.refresh_token {
        values.push((names::ENTRA_DIRECT_REFRESH_TOKEN, rt.clone()));
    }
    values.push((
        names::ENTRA_DIRECT_ACCESS_TOKEN,
        tokens.access_token.clone(),
    ));
    values.push((
        names::ENTRA_DIRECT_TOKEN_EXPIRES_AT,
        Secret::new(tokens.expires_at.to_string()),
    ));
    if let Some(scope) = &tokens.scope {
        values.push((names::ENTRA_DIRECT_TOKEN_SCOPE, Secret::new(scope.clone())));
    }
    secrets.set_many(tenant, &values).await?;
    Ok(())
}

/// Reads the token set stored under the canonical names; `None` when there is no refresh token
/// and no access token.
pub async fn load_token_set(
    secrets: &(dyn SecretProvider + '_),
    tenant: &str,
) -> Result<Option<TokenSet>, ProviderError> {
    let refresh_token = secrets
        .get(tenant, names::ENTRA_DIRECT_REFRESH_TOKEN)
        .await?
        .filter(|s| !s.is_empty());
    let access_token = secrets
        .get(tenant, names::ENTRA_DIRECT_ACCESS_TOKEN)
        .await?
        .unwrap_or_default();
    if refresh_token.is_none() && access_token.is_empty() {
        return Ok(None);
    }
    let expires_at = secrets
        .get(tenant, names::ENTRA_DIRECT_TOKEN_EXPIRES_AT)
        .await?
        .and_then(|s| s.expose().trim().parse::<u64>().ok())
        .unwrap_or(0);
    let scope = secrets
        .get(tenant, names::ENTRA_DIRECT_TOKEN_SCOPE)
        .await?
        .map(|s| s.expose().to_string());
    Ok(Some(TokenSet {
        access_token,
        refresh_token,
        expires_at,
        scope,
    }))
}
