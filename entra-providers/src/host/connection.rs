//! The account's connection lifecycle, as hosts drive it: connect (direct or CIPP), record a
//! validation, disconnect, and save the CIPP settings. The connection record lives in the sync
//! store ([`SyncStore::save_account_connection`]); secrets live in the host's [`SecretProvider`]
//! under the canonical names ([`crate::secrets::names`]), scoped by the store's account id
//! ([`SyncStore::account_id`]), so each PSA account keeps its own credentials.
//!
//! None of these touches mappings, links, contacts or run history: disconnecting only clears
//! credentials and closes the connection record, so reconnecting finds everything as it was.

use entra_core::CoreError;
use entra_core::clock::rfc3339;
use entra_core::model::ConnectionType;
use entra_core::store::{AccountConnection, ConnectionStatus, StoreError, SyncStore};
use serde::Deserialize;

use crate::cipp::CippConfig;
use crate::secrets::{Secret, SecretProvider, names, switch_connection_type};
use crate::validation::ValidationReport;

use super::HostError;

/// The secret names to clear when connecting with `connecting` (the other type's), or when
/// disconnecting (`None`: both types'). The Microsoft app credentials are never among them.
pub fn secrets_to_clear(connecting: Option<ConnectionType>) -> Vec<&'static str> {
    match connecting {
        Some(ConnectionType::Direct) => names::CIPP_CONNECTION.to_vec(),
        Some(ConnectionType::Cipp) => names::DIRECT_CONNECTION.to_vec(),
        None => names::DIRECT_CONNECTION
            .iter()
            .chain(names::CIPP_CONNECTION.iter())
            .copied()
            .collect(),
    }
}

/// What connecting changed in the store: the active connection, and whether it is new (then the
/// other type's secrets must be cleared, see [`secrets_to_clear`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionChange {
    pub connection: AccountConnection,
    pub opened: bool,
}

/// The store half of [`connect`], for hosts that keep secrets in their own vault: opens the
/// account's connection of `connection_type` (closing an active one of the other type as
/// `disconnected`), or returns the active one of that type unchanged (`opened: false`).
pub async fn open_connection(
    store: &(dyn SyncStore + '_),
    connection_type: ConnectionType,
    now_ms: u64,
) -> Result<ConnectionChange, HostError> {
    let history = store.load_connection_history().await?;
    let active = history.iter().rev().find(|c| c.is_active());
    if let Some(active) = active
        && active.connection_type == connection_type
    {
        return Ok(ConnectionChange {
            connection: active.clone(),
            opened: false,
        });
    }
    let now = rfc3339(now_ms);
    if let Some(active) = active {
        let mut closed = active.clone();
        closed.status = ConnectionStatus::Disconnected;
        closed.disconnected_at = Some(now.clone());
        store.save_account_connection(&closed).await?;
    }
    let opened = AccountConnection {
        connection_id: format!("{}-{}", connection_type.as_str(), history.len() + 1),
        connection_type,
        status: ConnectionStatus::Connected,
        connected_at: Some(now),
        disconnected_at: None,
        last_validated_at: None,
        last_validation: None,
    };
    store.save_account_connection(&opened).await?;
    Ok(ConnectionChange {
        connection: opened,
        opened: true,
    })
}

/// Opens the account's connection of `connection_type`. The other type's secrets are cleared
/// first (switching types never leaves stale credentials behind, reusing
/// [`switch_connection_type`]); an active connection of the other type is closed as
/// `disconnected`. Connecting to the type already active returns it unchanged.
pub async fn connect(
    store: &(dyn SyncStore + '_),
    secrets: &(dyn SecretProvider + '_),
    connection_type: ConnectionType,
    now_ms: u64,
) -> Result<AccountConnection, HostError> {
    if let Some(active) = store.load_active_connection().await?
        && active.connection_type == connection_type
    {
        return Ok(active);
    }
    switch_connection_type(secrets, store.account_id(), connection_type).await?;
    Ok(open_connection(store, connection_type, now_ms)
        .await?
        .connection)
}

/// The store half of [`disconnect`]: closes the active connection as `disconnected` (returned;
/// `None` when none was active). The host then clears [`secrets_to_clear`]`(None)`.
pub async fn close_connection(
    store: &(dyn SyncStore + '_),
    now_ms: u64,
) -> Result<Option<AccountConnection>, HostError> {
    let Some(mut active) = store.load_active_connection().await? else {
        return Ok(None);
    };
    active.status = ConnectionStatus::Disconnected;
    active.disconnected_at = Some(rfc3339(now_ms));
    store.save_account_connection(&active).await?;
    Ok(Some(active))
}

/// Records a validation report on the active connection: `connected` when every check passed,
/// `validation_failed` otherwise, with the report and its time. Without an active connection:
/// `not_found`, nothing written.
pub async fn record_validation(
    store: &(dyn SyncStore + '_),
    report: &ValidationReport,
    now_ms: u64,
) -> Result<AccountConnection, HostError> {
    let mut active = store
        .load_active_connection()
        .await?
        .ok_or_else(|| StoreError::NotFound {
            message: "the account has no active connection to validate".into(),
        })?;
    active.status = if report.ok {
        ConnectionStatus::Connected
    } else {
        ConnectionStatus::ValidationFailed
    };
    active.last_validated_at = Some(rfc3339(now_ms));
    active.last_validation =
        Some(serde_json::to_value(report).map_err(|e| CoreError::invalid_input(e.to_string()))?);
    store.save_account_connection(&active).await?;
    Ok(active)
}

/// Disconnects the account: deletes BOTH connection types' secrets (direct sign-in tokens and
/// CIPP settings) through the secret provider, then closes the active connection as
/// `disconnected` (returned; `None` when none was active). History, mappings, links, contacts and
/// runs are kept. Safe to repeat: a failed secret deletion leaves the record active, so the call
/// can be retried.
pub async fn disconnect(
    store: &(dyn SyncStore + '_),
    secrets: &(dyn SecretProvider + '_),
    now_ms: u64,
) -> Result<Option<AccountConnection>, HostError> {
    let account = store.account_id();
    for name in secrets_to_clear(None) {
        secrets.delete(account, name).await?;
    }
    close_connection(store, now_ms).await
}

/// The CIPP settings an operator enters: `{baseUrl, clientId, clientSecret, tenantId}`, all
/// required. The secret never shows in `Debug` output.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CippSettingsInput {
    pub base_url: String,
    pub client_id: String,
    /// Kept as text only until it is written to the secret store.
    pub client_secret: String,
    pub tenant_id: String,
}

impl std::fmt::Debug for CippSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CippSettingsInput")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

impl CippSettingsInput {
    /// Reads the camelCase JSON form; a missing field, a wrong type or an unknown key is
    /// `invalid_input` naming it.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, CoreError> {
        entra_core::json::from_value(value)
    }

    /// Refuses empty fields (naming them) and settings the CIPP provider could not use (a base
    /// URL that is not `https`, or `http` on a loopback host; a tenant that is neither a GUID
    /// nor a domain), all as `invalid_input`.
    pub fn validate(&self) -> Result<(), CoreError> {
        let fields = [
            ("baseUrl", self.base_url.trim().is_empty()),
            ("clientId", self.client_id.trim().is_empty()),
            ("clientSecret", self.client_secret.trim().is_empty()),
            ("tenantId", self.tenant_id.trim().is_empty()),
        ];
        if let Some((name, _)) = fields.iter().find(|(_, empty)| *empty) {
            return Err(CoreError::invalid_input(format!(
                "`{name}` must not be empty"
            )));
        }
        CippConfig::new(
            self.base_url.trim(),
            self.tenant_id.trim(),
            self.client_id.trim(),
            Secret::new(self.client_secret.clone()),
        )
        .validate()
        .map_err(|e| CoreError::invalid_input(format!("CIPP settings: {}", e.message)))
    }
}

impl CippSettingsInput {
    /// The validated settings as `(canonical secret name, value)` pairs, for hosts that write
    /// their own vault; `invalid_input` when [`CippSettingsInput::validate`] refuses them.
    pub fn secret_values(&self) -> Result<Vec<(&'static str, Secret)>, CoreError> {
        self.validate()?;
        Ok(vec![
            (
                names::ENTRA_CIPP_BASE_URL,
                Secret::new(self.base_url.trim().trim_end_matches('/')),
            ),
            (
                names::ENTRA_CIPP_CLIENT_ID,
                Secret::new(self.client_id.trim()),
            ),
            (
                names::ENTRA_CIPP_CLIENT_SECRET,
                Secret::new(self.client_secret.clone()),
            ),
            (
                names::ENTRA_CIPP_TENANT_ID,
                Secret::new(self.tenant_id.trim()),
            ),
        ])
    }
}

/// Validates the CIPP settings, then writes them to the account's secrets under the canonical
/// names in one `set_many` (all or nothing where the provider supports it). Invalid settings are
/// `invalid_input` and nothing is written. Returns the names written.
pub async fn save_cipp_settings(
    store: &(dyn SyncStore + '_),
    secrets: &(dyn SecretProvider + '_),
    settings: &CippSettingsInput,
) -> Result<Vec<&'static str>, HostError> {
    let values = settings.secret_values()?;
    secrets.set_many(store.account_id(), &values).await?;
    Ok(values.iter().map(|(name, _)| *name).collect())
}
