//! The connection lifecycle through the host layer: connect, validate, switch, disconnect and the
//! CIPP settings, over a store and the in-memory secret provider.

use entra_core::model::{ConnectionType, MappingState, TenantMapping};
use entra_core::store::{ConnectionStatus, MappingUpdate, MemoryStore, SyncStore};
use entra_providers::host::{
    CippSettingsInput, connect, disconnect, record_validation, save_cipp_settings,
};
use entra_providers::secrets::{MemorySecrets, Secret, SecretProvider, names};
use entra_providers::validation::ValidationReport;
use serde_json::json;

const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn report(ok: bool) -> ValidationReport {
    serde_json::from_value(json!({
        "ok": ok,
        "checks": [{"name": "token_refreshable", "status": if ok { "passed" } else { "failed" },
                    "errorCode": if ok { serde_json::Value::Null } else { json!("consent_required") }}]
    }))
    .unwrap()
}

fn cipp_input(v: serde_json::Value) -> CippSettingsInput {
    CippSettingsInput::from_json(&v).unwrap()
}

fn good_cipp() -> serde_json::Value {
    json!({
        "baseUrl": "https://cipp.contoso.com/",
        "clientId": "11111111-1111-1111-1111-111111111111",
        "clientSecret": "s3cr3t-value",
        "tenantId": "contoso.onmicrosoft.com"
    })
}

async fn seed_all_secrets(secrets: &MemorySecrets, account: &str) {
    for name in names::DIRECT_CONNECTION
        .iter()
        .chain(names::CIPP_CONNECTION.iter())
    {
        secrets.set(account, name, Secret::new("v")).await.unwrap();
    }
    secrets
        .set(account, names::MICROSOFT_CLIENT_ID, Secret::new("app"))
        .await
        .unwrap();
}

#[tokio::test]
async fn connect_validate_and_switch_types_keep_one_active_connection() {
    let store = MemoryStore::new();
    let secrets = MemorySecrets::new();
    seed_all_secrets(&secrets, "default").await;

    let direct = connect(&store, &secrets, ConnectionType::Direct, T0)
        .await
        .unwrap();
    assert_eq!(direct.status, ConnectionStatus::Connected);
    assert_eq!(
        direct.connected_at.as_deref(),
        Some("2026-01-01T00:00:00.000Z")
    );
    // Connecting to the direct type cleared the CIPP secrets only.
    let left = secrets.names("default").await;
    assert!(
        names::CIPP_CONNECTION
            .iter()
            .all(|n| !left.contains(&n.to_string()))
    );
    assert!(left.contains(&names::ENTRA_DIRECT_REFRESH_TOKEN.to_string()));
    // The same type again is the same connection.
    let again = connect(&store, &secrets, ConnectionType::Direct, T0 + 1)
        .await
        .unwrap();
    assert_eq!(again, direct);

    // (report ok, expected status)
    for (ok, status) in [
        (false, ConnectionStatus::ValidationFailed),
        (true, ConnectionStatus::Connected),
    ] {
        let validated = record_validation(&store, &report(ok), T0 + 60_000)
            .await
            .unwrap();
        assert_eq!(validated.status, status);
        assert_eq!(
            validated.last_validated_at.as_deref(),
            Some("2026-01-01T00:01:00.000Z")
        );
        assert_eq!(validated.last_validation.as_ref().unwrap()["ok"], json!(ok));
    }

    let cipp = connect(&store, &secrets, ConnectionType::Cipp, T0 + 120_000)
        .await
        .unwrap();
    assert_eq!(cipp.connection_type, ConnectionType::Cipp);
    let history = store.load_connection_history().await.unwrap();
    let statuses: Vec<_> = history
        .iter()
        .map(|c| (c.connection_id.as_str(), c.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("direct-1", ConnectionStatus::Disconnected),
            ("cipp-2", ConnectionStatus::Connected)
        ]
    );
    let left = secrets.names("default").await;
    assert!(
        names::DIRECT_CONNECTION
            .iter()
            .all(|n| !left.contains(&n.to_string()))
    );
}

#[tokio::test]
async fn disconnect_clears_both_types_secrets_and_keeps_mappings_and_history() {
    let store = MemoryStore::new();
    let secrets = MemorySecrets::new();
    connect(&store, &secrets, ConnectionType::Cipp, T0)
        .await
        .unwrap();
    seed_all_secrets(&secrets, "default").await;
    seed_all_secrets(&secrets, "other-account").await;
    store
        .write_mapping_changes(&[MappingUpdate {
            entra_tenant_id: "t1".into(),
            mapping: Some(TenantMapping {
                entra_tenant_id: "t1".into(),
                client_id: Some("c1".into()),
                state: MappingState::Mapped,
                confirmed_at: None,
                closed_at: None,
            }),
            changed_at: "2026-01-01T00:00:00Z".into(),
        }])
        .await
        .unwrap();

    let closed = disconnect(&store, &secrets, T0 + 5_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, ConnectionStatus::Disconnected);
    assert_eq!(
        closed.disconnected_at.as_deref(),
        Some("2026-01-01T00:00:05.000Z")
    );
    // Only the app credentials stay; the other account's secrets are untouched.
    assert_eq!(
        secrets.names("default").await,
        vec![names::MICROSOFT_CLIENT_ID.to_string()]
    );
    assert_eq!(secrets.names("other-account").await.len(), 11);
    assert_eq!(store.load_mapped_tenants().await.unwrap().len(), 1);
    assert_eq!(store.load_connection_history().await.unwrap(), vec![closed]);
    assert_eq!(store.load_active_connection().await.unwrap(), None);
    // Disconnecting again is harmless; validating without a connection is not_found.
    assert_eq!(
        disconnect(&store, &secrets, T0 + 6_000).await.unwrap(),
        None
    );
    let err = record_validation(&store, &report(true), T0)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    // Reconnecting opens a new record; the old one stays in the history.
    let reopened = connect(&store, &secrets, ConnectionType::Cipp, T0 + 7_000)
        .await
        .unwrap();
    assert_eq!(reopened.connection_id, "cipp-2");
    assert_eq!(store.load_connection_history().await.unwrap().len(), 2);
}

#[tokio::test]
async fn cipp_settings_are_validated_before_anything_is_written() {
    let store = MemoryStore::for_account("acme").unwrap();
    let secrets = MemorySecrets::new();
    // (change to the good settings, text the error must name)
    let cases = [
        (json!({"baseUrl": ""}), "baseUrl"),
        (json!({"baseUrl": "not a url"}), "CIPP"),
        (json!({"baseUrl": "http://cipp.contoso.com"}), "CIPP"),
        (json!({"clientId": "  "}), "clientId"),
        (json!({"clientSecret": ""}), "clientSecret"),
        (json!({"tenantId": ""}), "tenantId"),
        (json!({"tenantId": "not a tenant!"}), "CIPP"),
    ];
    for (change, named) in cases {
        let mut input = good_cipp();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let err = save_cipp_settings(&store, &secrets, &cipp_input(input.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{input}");
        assert!(err.to_string().contains(named), "{input}: {err}");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert!(secrets.names("acme").await.is_empty(), "{input}");
    }
    // Missing and unknown keys are refused while reading.
    for bad in [
        json!({"baseUrl": "https://x"}),
        json!({"baseUrl": "https://x", "clientId": "a",
        "clientSecret": "b", "tenantId": "c.com", "apiKey": "d"}),
    ] {
        assert_eq!(
            CippSettingsInput::from_json(&bad).unwrap_err().code(),
            "invalid_input"
        );
    }

    let written = save_cipp_settings(&store, &secrets, &cipp_input(good_cipp()))
        .await
        .unwrap();
    assert_eq!(written.len(), 4);
    let base = secrets
        .get("acme", names::ENTRA_CIPP_BASE_URL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(base.expose(), "https://cipp.contoso.com");
    let secret = secrets
        .get("acme", names::ENTRA_CIPP_CLIENT_SECRET)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.expose(), "s3cr3t-value");
    assert!(!format!("{:?}", cipp_input(good_cipp())).contains("s3cr3t"));
    assert!(
        secrets.names("default").await.is_empty(),
        "scoped by the store's account"
    );
}
