//! The account's connection to Microsoft (direct) or CIPP, as the library manages it: its type,
//! its lifecycle status with timestamps, and the last validation report. Secrets are never part
//! of it (they live in the host's secret store under canonical names). A record is never
//! deleted: disconnecting marks it `disconnected`, and connecting again opens a new record, so
//! the history stays. At most one connection per account is active (not `disconnected`).

use serde::{Deserialize, Serialize};

use super::error::StoreError;
use crate::model::ConnectionType;

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Connected; the last validation (if any) passed.
    Connected,
    /// Disconnected by an operator: its secrets were cleared. Final.
    Disconnected,
    /// Connected, but the last validation failed (see `lastValidation`).
    ValidationFailed,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::Disconnected => "disconnected",
            ConnectionStatus::ValidationFailed => "validation_failed",
        }
    }
}

/// One connection of an account, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConnection {
    /// Unique within the account.
    pub connection_id: String,
    pub connection_type: ConnectionType,
    pub status: ConnectionStatus,
    /// RFC 3339 times.
    #[serde(default)]
    pub connected_at: Option<String>,
    #[serde(default)]
    pub disconnected_at: Option<String>,
    #[serde(default)]
    pub last_validated_at: Option<String>,
    /// The last validation report as the provider produced it (`{ok, checks: [...]}`).
    #[serde(default)]
    pub last_validation: Option<serde_json::Value>,
}

impl AccountConnection {
    /// Whether the connection is in use (not disconnected).
    pub fn is_active(&self) -> bool {
        self.status != ConnectionStatus::Disconnected
    }
}

/// The rules every store checks before writing `record` over the account's `existing`
/// connections: an id, at most one active connection, and a disconnected record stays
/// disconnected (a new connection is a new record).
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
pub(crate) fn check_connection_write(
    existing: &[AccountConnection],
    record: &AccountConnection,
) -> Result<(), StoreError> {
    if record.connection_id.trim().is_empty() {
        return Err(StoreError::invalid("a connection needs `connectionId`"));
    }
    if let Some(stored) = existing
        .iter()
        .find(|c| c.connection_id == record.connection_id)
        && !stored.is_active()
        && record.is_active()
    {
        return Err(StoreError::Refused {
            message: format!(
                "connection {} is disconnected; connecting again opens a new connection",
                record.connection_id
            ),
        });
    }
    if record.is_active()
        && let Some(other) = existing
            .iter()
            .find(|c| c.is_active() && c.connection_id != record.connection_id)
    {
        return Err(StoreError::Refused {
            message: format!(
                "connection {} is still active; an account has at most one active connection",
                other.connection_id
            ),
        });
    }
    Ok(())
}
