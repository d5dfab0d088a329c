//! Where credentials live: a [`SecretProvider`] the host implements over its own vault, the
//! canonical secret names every adapter reads and writes, and the resolution chain for the
//! Microsoft app credentials.
//!
//! Secret values travel as [`Secret`], whose `Debug` and `Display` print `[redacted]`, so a value
//! cannot reach a log line or an error message by accident.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use entra_core::model::ConnectionType;
use entra_core::provider::{ProviderError, ProviderErrorCode};
use thiserror::Error;
use tokio::sync::RwLock;

/// A secret value. Only [`Secret::expose`] reveals it; formatting never does.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// The canonical secret names, shared by hosts, adapters and bindings.
pub mod names {
    /// The Microsoft app registration's client id (direct connection).
    pub const MICROSOFT_CLIENT_ID: &str = "microsoft_client_id";
    /// The Microsoft app registration's client secret.
    pub const MICROSOFT_CLIENT_SECRET: &str = "microsoft_client_secret";
    /// The tenant the app registration lives in (the partner tenant).
    pub const MICROSOFT_TENANT_ID: &str = "microsoft_tenant_id";
    /// The partner's current access token.
    pub const ENTRA_DIRECT_ACCESS_TOKEN: &str = "entra_direct_access_token";
    /// The partner's current refresh token (rotates on every use).
    pub const ENTRA_DIRECT_REFRESH_TOKEN: &str = "entra_direct_refresh_token";
    /// When the access token expires, as Unix seconds.
    pub const ENTRA_DIRECT_TOKEN_EXPIRES_AT: &str = "entra_direct_token_expires_at";
    /// The partner tenant the refresh token was issued in.
    pub const ENTRA_DIRECT_PARTNER_TENANT_ID: &str = "entra_direct_partner_tenant_id";
    /// The scopes the partner consented to.
    pub const ENTRA_DIRECT_TOKEN_SCOPE: &str = "entra_direct_token_scope";
    /// The CIPP Function App URL.
    pub const ENTRA_CIPP_BASE_URL: &str = "entra_cipp_base_url";
    /// The CIPP API client's app id.
    pub const ENTRA_CIPP_CLIENT_ID: &str = "entra_cipp_client_id";
    /// The CIPP API client's secret.
    pub const ENTRA_CIPP_CLIENT_SECRET: &str = "entra_cipp_client_secret";
    /// The tenant CIPP's API client lives in.
    pub const ENTRA_CIPP_TENANT_ID: &str = "entra_cipp_tenant_id";
    /// A pre-minted CIPP bearer token (legacy; expires after about an hour).
    pub const ENTRA_CIPP_API_TOKEN: &str = "entra_cipp_api_token";

    /// Secrets that belong to the direct connection's sign-in (cleared when switching to CIPP).
    /// The Microsoft app credentials are not among them: the host may use that app elsewhere.
    pub const DIRECT_CONNECTION: [&str; 5] = [
        ENTRA_DIRECT_ACCESS_TOKEN,
        ENTRA_DIRECT_REFRESH_TOKEN,
        ENTRA_DIRECT_TOKEN_EXPIRES_AT,
        ENTRA_DIRECT_PARTNER_TENANT_ID,
        ENTRA_DIRECT_TOKEN_SCOPE,
    ];

    /// Secrets that belong to the CIPP connection (cleared when switching to direct).
    pub const CIPP_CONNECTION: [&str; 5] = [
        ENTRA_CIPP_BASE_URL,
        ENTRA_CIPP_CLIENT_ID,
        ENTRA_CIPP_CLIENT_SECRET,
        ENTRA_CIPP_TENANT_ID,
        ENTRA_CIPP_API_TOKEN,
    ];
}

/// The scope under which application-wide (not per-tenant) secrets are kept.
pub const APP_SCOPE: &str = "app";

/// A failure of the secret store.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    /// The store could not be reached or refused the operation.
    #[error("secret store unavailable: {message}")]
    Unavailable { message: String },
    /// The store is read-only (for example the process environment).
    #[error("secret store is read-only: cannot change `{name}`")]
    ReadOnly { name: String },
}

entra_core::error_codes! {
    /// The codes of [`SecretError`], one per variant. A provider turns them into its own
    /// `configuration` error; hosts that call the secret store directly meet them as such.
    pub enum SecretErrorCode {
        /// The store could not be reached or refused the operation.
        Unavailable = "secret_store_unavailable" => Configuration,
        /// The store is read-only.
        ReadOnly = "secret_store_read_only" => Configuration,
    }
}

impl SecretError {
    /// The typed code of this error.
    pub fn typed_code(&self) -> SecretErrorCode {
        match self {
            SecretError::Unavailable { .. } => SecretErrorCode::Unavailable,
            SecretError::ReadOnly { .. } => SecretErrorCode::ReadOnly,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// The kind of failure: always [`entra_core::ErrorKind::Configuration`].
    pub fn kind(&self) -> entra_core::ErrorKind {
        self.typed_code().kind()
    }

    /// `{name}` (the secret's name, never its value) for a read-only store; nothing otherwise.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            SecretError::ReadOnly { name } => Some(serde_json::json!({"name": name})),
            SecretError::Unavailable { .. } => None,
        }
    }
}

entra_core::classified!(SecretError);

impl From<SecretError> for ProviderError {
    fn from(err: SecretError) -> Self {
        ProviderError::new(ProviderErrorCode::Configuration, err.to_string())
    }
}

/// A vault of secrets keyed by (host tenant, name). The host tenant is the PSA's own tenant
/// (one MSP), not an Entra tenant; [`APP_SCOPE`] holds application-wide values.
#[async_trait]
pub trait SecretProvider: Send + Sync {
    async fn get(&self, tenant: &str, name: &str) -> Result<Option<Secret>, SecretError>;
    async fn set(&self, tenant: &str, name: &str, value: Secret) -> Result<(), SecretError>;
    /// Deleting a missing secret succeeds.
    async fn delete(&self, tenant: &str, name: &str) -> Result<(), SecretError>;

    /// Writes several secrets of one tenant as one unit. A store that has transactions should
    /// override this to write all or nothing (as [`MemorySecrets`] does). The default writes
    /// them one by one **in the order given** and stops at the first failure, so callers list
    /// the value that must never be lost first: [`crate::auth::store_token_set`] writes the
    /// refresh token, then the access token, then its expiry, then the scope (see there why a
    /// crash at any point leaves a usable set).
    async fn set_many(&self, tenant: &str, values: &[(&str, Secret)]) -> Result<(), SecretError> {
        for (name, value) in values {
            self.set(tenant, name, value.clone()).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl<T: SecretProvider + ?Sized> SecretProvider for Arc<T> {
    async fn get(&self, tenant: &str, name: &str) -> Result<Option<Secret>, SecretError> {
        (**self).get(tenant, name).await
    }
    async fn set(&self, tenant: &str, name: &str, value: Secret) -> Result<(), SecretError> {
        (**self).set(tenant, name, value).await
    }
    async fn set_many(&self, tenant: &str, values: &[(&str, Secret)]) -> Result<(), SecretError> {
        (**self).set_many(tenant, values).await
    }
    async fn delete(&self, tenant: &str, name: &str) -> Result<(), SecretError> {
        (**self).delete(tenant, name).await
    }
}

/// An in-memory store, for tests, examples and short-lived tools.
#[derive(Default)]
pub struct MemorySecrets {
    values: RwLock<HashMap<(String, String), Secret>>,
}

impl fmt::Debug for MemorySecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySecrets").finish_non_exhaustive()
    }
}

impl MemorySecrets {
    pub fn new() -> Self {
        Self::default()
    }

    /// The names stored for one tenant, sorted (values stay hidden).
    pub async fn names(&self, tenant: &str) -> Vec<String> {
        let values = self.values.read().await;
        let mut names: Vec<String> = values
            .keys()
            .filter(|(t, _)| t == tenant)
            .map(|(_, n)| n.clone())
            .collect();
        names.sort();
        names
    }
}

#[async_trait]
impl SecretProvider for MemorySecrets {
    async fn get(&self, tenant: &str, name: &str) -> Result<Option<Secret>, SecretError> {
        let values = self.values.read().await;
        Ok(values.get(&(tenant.to_string(), name.to_string())).cloned())
    }

    async fn set(&self, tenant: &str, name: &str, value: Secret) -> Result<(), SecretError> {
        let mut values = self.values.write().await;
        values.insert((tenant.to_string(), name.to_string()), value);
        Ok(())
    }

    async fn delete(&self, tenant: &str, name: &str) -> Result<(), SecretError> {
        let mut values = self.values.write().await;
        values.remove(&(tenant.to_string(), name.to_string()));
        Ok(())
    }

    /// All under one write lock: a reader sees either none or all of the values.
    async fn set_many(&self, tenant: &str, values: &[(&str, Secret)]) -> Result<(), SecretError> {
        let mut stored = self.values.write().await;
        for (name, value) in values {
            stored.insert((tenant.to_string(), (*name).to_string()), value.clone());
        }
        Ok(())
    }
}

/// The Microsoft app credentials from the process environment (`MICROSOFT_CLIENT_ID`,
/// `MICROSOFT_CLIENT_SECRET`, `MICROSOFT_TENANT_ID`), the same for every tenant. Read-only.
#[derive(Clone, Default)]
pub struct EnvSecrets {
    values: HashMap<&'static str, Secret>,
}

impl fmt::Debug for EnvSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.values.keys().copied().collect();
        names.sort_unstable();
        f.debug_struct("EnvSecrets")
            .field("present", &names)
            .finish()
    }
}

const ENV_VARS: [(&str, &str); 3] = [
    ("MICROSOFT_CLIENT_ID", names::MICROSOFT_CLIENT_ID),
    ("MICROSOFT_CLIENT_SECRET", names::MICROSOFT_CLIENT_SECRET),
    ("MICROSOFT_TENANT_ID", names::MICROSOFT_TENANT_ID),
];

impl EnvSecrets {
    /// Reads the variables once, now.
    pub fn from_env() -> Self {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads the variables through `lookup` (a map in tests, the environment in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let values = ENV_VARS
            .iter()
            .filter_map(|(var, name)| {
                lookup(var)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*name, Secret::new(v)))
            })
            .collect();
        Self { values }
    }
}

#[async_trait]
impl SecretProvider for EnvSecrets {
    async fn get(&self, _tenant: &str, name: &str) -> Result<Option<Secret>, SecretError> {
        Ok(self.values.get(name).cloned())
    }
    async fn set(&self, _tenant: &str, name: &str, _value: Secret) -> Result<(), SecretError> {
        Err(SecretError::ReadOnly {
            name: name.to_string(),
        })
    }
    async fn delete(&self, _tenant: &str, name: &str) -> Result<(), SecretError> {
        Err(SecretError::ReadOnly {
            name: name.to_string(),
        })
    }
}

/// Which link of the chain supplied the app credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    TenantSecrets,
    Environment,
    AppSecrets,
}

/// The Microsoft app credentials, client id and secret always from one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    /// The app's home tenant, from the same source when it has one.
    pub tenant_id: Option<String>,
    pub source: CredentialSource,
}

/// The resolution chain for the Microsoft app credentials: the host tenant's own secrets, then
/// the environment, then application-wide secrets ([`APP_SCOPE`]). The first source holding
/// both a client id and a client secret wins; a source with only one of the two is skipped, so
/// an id from one place is never paired with a secret from another.
#[derive(Clone)]
pub struct CredentialChain {
    tenant_secrets: Arc<dyn SecretProvider>,
    environment: Option<EnvSecrets>,
    app_secrets: Option<Arc<dyn SecretProvider>>,
}

impl fmt::Debug for CredentialChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialChain")
            .field("environment", &self.environment)
            .field("app_secrets", &self.app_secrets.is_some())
            .finish_non_exhaustive()
    }
}

impl CredentialChain {
    pub fn new(tenant_secrets: Arc<dyn SecretProvider>) -> Self {
        Self {
            tenant_secrets,
            environment: None,
            app_secrets: None,
        }
    }

    /// Consults these environment values after the tenant's secrets.
    pub fn with_environment(mut self, env: EnvSecrets) -> Self {
        self.environment = Some(env);
        self
    }

    /// Consults this store's [`APP_SCOPE`] values last.
    pub fn with_app_secrets(mut self, app: Arc<dyn SecretProvider>) -> Self {
        self.app_secrets = Some(app);
        self
    }

    /// Resolves the app credentials for one host tenant; none found is a `configuration` error.
    pub async fn resolve(&self, tenant: &str) -> Result<AppCredentials, ProviderError> {
        if let Some(found) = pair_from(
            self.tenant_secrets.as_ref(),
            tenant,
            CredentialSource::TenantSecrets,
        )
        .await?
        {
            return Ok(found);
        }
        if let Some(env) = &self.environment
            && let Some(found) = pair_from(env, tenant, CredentialSource::Environment).await?
        {
            return Ok(found);
        }
        if let Some(app) = &self.app_secrets
            && let Some(found) =
                pair_from(app.as_ref(), APP_SCOPE, CredentialSource::AppSecrets).await?
        {
            return Ok(found);
        }
        Err(ProviderError::new(
            ProviderErrorCode::Configuration,
            "no Microsoft app credentials: set microsoft_client_id and microsoft_client_secret \
             for the tenant, MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET in the environment, \
             or both as application secrets",
        ))
    }
}

async fn pair_from(
    store: &(dyn SecretProvider + '_),
    tenant: &str,
    source: CredentialSource,
) -> Result<Option<AppCredentials>, ProviderError> {
    let id = store.get(tenant, names::MICROSOFT_CLIENT_ID).await?;
    let secret = store.get(tenant, names::MICROSOFT_CLIENT_SECRET).await?;
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            let tenant_id = store
                .get(tenant, names::MICROSOFT_TENANT_ID)
                .await?
                .filter(|t| !t.is_empty())
                .map(|t| t.expose().trim().to_string());
            Ok(Some(AppCredentials {
                client_id: id.expose().trim().to_string(),
                client_secret: secret,
                tenant_id,
                source,
            }))
        }
        (Some(_), None) | (None, Some(_)) => {
            tracing::warn!(
                ?source,
                "only one of the client id and client secret is set; this source is skipped"
            );
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Switches a host tenant to `new_type` by deleting the other connection type's secrets
/// (through the trait, so the host's vault is cleaned too). Returns the names deleted.
pub async fn switch_connection_type(
    secrets: &(dyn SecretProvider + '_),
    tenant: &str,
    new_type: ConnectionType,
) -> Result<Vec<&'static str>, SecretError> {
    let stale: &[&'static str] = match new_type {
        ConnectionType::Direct => &names::CIPP_CONNECTION,
        ConnectionType::Cipp => &names::DIRECT_CONNECTION,
    };
    for name in stale {
        secrets.delete(tenant, name).await?;
    }
    Ok(stale.to_vec())
}
