//! The store's host-facing calls by name (`host::StoreCall`), as both bindings forward them:
//! every name reads and runs, writes read back, and bad names or arguments are `invalid_input`
//! naming what is wrong.

use entra_core::store::MemoryStore;
use entra_providers::host::{CallArgs, HostError, StoreCall};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// Arguments as JSON values, as a binding would hand them over.
struct Json(Vec<Value>);

impl CallArgs for Json {
    type Error = HostError;

    fn error(&self, err: HostError) -> HostError {
        err
    }

    fn arg<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, HostError> {
        let value = self.0.get(index).cloned().unwrap_or(Value::Null);
        entra_core::json::from_value(&value).map_err(|e| {
            HostError::Input(entra_core::CoreError::invalid_input(format!(
                "`{name}`: {e}"
            )))
        })
    }
}

/// Reads and runs one call on `store`; its answer as JSON.
async fn call(store: &MemoryStore, method: &str, args: Vec<Value>) -> Result<Value, HostError> {
    let answer = StoreCall::read(method, &Json(args))?.run(store, T0).await?;
    Ok(serde_json::to_value(answer).unwrap())
}

fn client(id: &str, domain: &str) -> Value {
    json!({"clientId": id, "clientName": format!("Client {id}"), "domains": [domain]})
}

fn contact(id: &str, client: &str, email: &str) -> Value {
    json!({"contactId": id, "clientId": client, "email": email, "firstName": "Ann", "lastName": "Lee"})
}

#[tokio::test]
async fn every_named_call_reads_and_runs_on_a_fresh_store() {
    let store = MemoryStore::new();
    let args = |name: &str| -> Vec<Value> {
        match name {
            "upsert_clients" => vec![json!([client("c1", "contoso.com")])],
            "upsert_contacts" => vec![json!([contact("k1", "c1", "ann@contoso.com")])],
            "resolve_queue_item" => vec![
                json!("t1"),
                json!({"entraObjectId": "u1", "decision": "dismissed"}),
            ],
            "load_run" | "load_tenant_results" => vec![json!("run-1")],
            "load_sync_settings" | "resolve_sync_settings" => vec![json!("t1")],
            "save_sync_settings" => vec![json!("t1"), json!({})],
            "save_settings_overrides" => vec![json!({"syncIntervalMinutes": 60}), json!("t1")],
            "connect" => vec![json!("cipp")],
            "record_validation" => vec![json!({"ok": true, "checks": []})],
            _ => vec![],
        }
    };
    for name in StoreCall::NAMES {
        let answer = call(&store, name, args(name)).await;
        assert!(answer.is_ok(), "{name}: {answer:?}");
    }
}

#[tokio::test]
async fn writes_read_back_through_the_named_calls() {
    let store = MemoryStore::new();
    let clients = json!([client("c1", "contoso.com"), client("c2", "fabrikam.com")]);
    assert_eq!(
        call(&store, "upsert_clients", vec![clients]).await.unwrap(),
        Value::Null
    );
    let contacts = json!([contact("k1", "c1", "ann@contoso.com")]);
    call(&store, "upsert_contacts", vec![contacts])
        .await
        .unwrap();
    let snapshot = call(&store, "snapshot", vec![]).await.unwrap();
    assert_eq!(snapshot["clients"].as_array().unwrap().len(), 2);
    assert_eq!(snapshot["contacts"][0]["email"], "ann@contoso.com");

    let settings = json!({"syncIntervalMinutes": 30});
    call(
        &store,
        "save_settings_overrides",
        vec![settings, json!("t1")],
    )
    .await
    .unwrap();
    let layer = call(&store, "load_settings_overrides", vec![json!("t1")])
        .await
        .unwrap();
    assert_eq!(layer["syncIntervalMinutes"], 30);
    let account = call(&store, "load_settings_overrides", vec![Value::Null])
        .await
        .unwrap();
    assert!(
        account
            .get("syncIntervalMinutes")
            .is_none_or(Value::is_null)
    );
    let resolved = call(&store, "resolve_sync_settings", vec![json!("t1")])
        .await
        .unwrap();
    assert_eq!(
        resolved["fields"]["syncIntervalMinutes"]["source"],
        "tenant"
    );

    assert_eq!(
        call(&store, "load_run", vec![json!("none")]).await.unwrap(),
        Value::Null
    );
    let change = call(&store, "connect", vec![json!("direct")])
        .await
        .unwrap();
    assert_eq!(change["connection"]["connectionType"], "direct");
    let status = call(&store, "connection_status", vec![]).await.unwrap();
    assert_eq!(status["active"]["connectionType"], "direct");
    let closed = call(&store, "disconnect", vec![]).await.unwrap();
    assert!(!closed["secretsToClear"].as_array().unwrap().is_empty());
    assert_eq!(
        call(&store, "connection_status", vec![]).await.unwrap()["active"],
        Value::Null
    );
}

#[tokio::test]
async fn bad_names_and_arguments_are_invalid_input_naming_them() {
    let store = MemoryStore::new();
    let cases: [(&str, Vec<Value>, &str); 6] = [
        ("drop_everything", vec![], "drop_everything"),
        (
            "upsert_clients",
            vec![json!({"clientId": "c1"})],
            "`clients`",
        ),
        ("load_run", vec![], "`run_id`"),
        ("load_queue", vec![json!(7)], "`tenant_id`"),
        (
            "save_settings_overrides",
            vec![json!({"colour": "red"})],
            "colour",
        ),
        ("connect", vec![json!("carrier-pigeon")], "carrier-pigeon"),
    ];
    for (method, args, named) in cases {
        let err = call(&store, method, args).await.unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{method}: {err}");
        assert!(err.to_string().contains(named), "{method}: {err}");
    }
    let snapshot = call(&store, "snapshot", vec![]).await.unwrap();
    assert!(
        snapshot["clients"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
}
