//! The connection lifecycle in the JSON both bindings pass. A binding's host keeps secrets in
//! its own vault, so these calls manage the store's connection record and answer which secrets
//! to clear (`secretsToClear`, canonical names) or write (`secrets`, validated CIPP settings); the
//! host applies those to its vault. Rust hosts with a [`crate::secrets::SecretProvider`] call
//! [`super::connect`], [`super::disconnect`] and [`super::save_cipp_settings`] instead.

use entra_core::CoreError;
use entra_core::model::ConnectionType;
use entra_core::store::SyncStore;
use serde_json::{Map, Value, json};

use super::HostError;
use super::connection::{
    CippSettingsInput, close_connection, open_connection, record_validation, secrets_to_clear,
};
use crate::validation::ValidationReport;

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, HostError> {
    serde_json::to_value(value)
        .map_err(|e| HostError::Input(CoreError::invalid_input(e.to_string())))
}

/// Reads a connection type name (`direct`, `cipp`); another value is `invalid_input`.
pub fn connection_type_from_name(name: &str) -> Result<ConnectionType, CoreError> {
    entra_core::json::from_value(&Value::String(name.to_string())).map_err(|_| {
        CoreError::invalid_input(format!(
            "`connectionType`: unknown connection type `{name}` (direct, cipp)"
        ))
    })
}

/// Connects with `connection_type`: `{connection, secretsToClear}`; `secretsToClear` names the
/// other type's secrets when the connection is new, and is empty when that type was already
/// connected.
pub async fn connect_json(
    store: &(dyn SyncStore + '_),
    connection_type: &str,
    now_ms: u64,
) -> Result<Value, HostError> {
    let connection_type = connection_type_from_name(connection_type)?;
    let change = open_connection(store, connection_type, now_ms).await?;
    let clear = if change.opened {
        secrets_to_clear(Some(connection_type))
    } else {
        Vec::new()
    };
    Ok(json!({"connection": to_json(&change.connection)?, "secretsToClear": clear}))
}

/// Records a validation report (`{ok, checks}` as the providers produce it) on the active
/// connection and returns it.
pub async fn record_validation_json(
    store: &(dyn SyncStore + '_),
    report: &Value,
    now_ms: u64,
) -> Result<Value, HostError> {
    let report: ValidationReport = entra_core::json::from_value(report)?;
    to_json(&record_validation(store, &report, now_ms).await?)
}

/// Disconnects: `{connection, secretsToClear}` with the closed connection (or `null`) and BOTH
/// types' secret names, which the host deletes from its vault. Mappings, links and history stay.
pub async fn disconnect_json(
    store: &(dyn SyncStore + '_),
    now_ms: u64,
) -> Result<Value, HostError> {
    let closed = close_connection(store, now_ms).await?;
    Ok(json!({"connection": to_json(&closed)?, "secretsToClear": secrets_to_clear(None)}))
}

/// The account's connections: `{active, history}` (`active` is `null` when disconnected).
pub async fn connection_status_json(store: &(dyn SyncStore + '_)) -> Result<Value, HostError> {
    let history = store.load_connection_history().await?;
    let active = history.iter().rev().find(|c| c.is_active()).cloned();
    Ok(json!({"active": to_json(&active)?, "history": to_json(&history)?}))
}

/// Validates CIPP settings (`{baseUrl, clientId, clientSecret, tenantId}`) and returns
/// `{secrets: {<canonical name>: value}}` for the host to write; `invalid_input`, naming the
/// field, when they are unusable.
pub fn cipp_secrets_json(settings: &Value) -> Result<Value, HostError> {
    let values = CippSettingsInput::from_json(settings)?.secret_values()?;
    let mut secrets = Map::new();
    for (name, value) in values {
        secrets.insert(name.to_string(), Value::String(value.expose().to_string()));
    }
    Ok(json!({ "secrets": secrets }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_core::store::MemoryStore;

    #[tokio::test]
    async fn the_json_lifecycle_names_the_secrets_to_clear() -> Result<(), HostError> {
        let store = MemoryStore::new();
        // (connection type, secret names to clear)
        let cases = [("direct", 5), ("direct", 0), ("cipp", 5)];
        for (kind, cleared) in cases {
            let out = connect_json(&store, kind, 0).await?;
            assert_eq!(out["connection"]["connectionType"], json!(kind));
            assert_eq!(
                out["secretsToClear"].as_array().map(Vec::len),
                Some(cleared),
                "{kind}"
            );
        }
        let status = connection_status_json(&store).await?;
        assert_eq!(status["history"].as_array().map(Vec::len), Some(2));
        let out = disconnect_json(&store, 1_000).await?;
        assert_eq!(out["connection"]["status"], json!("disconnected"));
        assert_eq!(out["secretsToClear"].as_array().map(Vec::len), Some(10));
        assert_eq!(connection_status_json(&store).await?["active"], Value::Null);
        let err = connect_json(&store, "graph", 0)
            .await
            .err()
            .map(|e| e.code());
        assert_eq!(err, Some("invalid_input"));
        Ok(())
    }
}
