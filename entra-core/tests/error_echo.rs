//! Errors quote user input truncated: a huge pattern, identifier or value never comes back whole
//! in an error's message or details.

use entra_core::CoreError;
use entra_core::api::call;
use serde_json::{Value, json};

/// Length of the huge texts the cases quote.
const HUGE: usize = 5_000_000;

fn huge(fill: &str) -> String {
    fill.repeat(HUGE / fill.len())
}

/// Every structured detail an error carries besides its message.
fn details(err: &CoreError) -> Vec<String> {
    match err {
        CoreError::InvalidPattern { pattern, .. } => vec![pattern.clone()],
        CoreError::MappingConflict {
            entra_tenant_id,
            client_ids,
            ..
        } => std::iter::once(entra_tenant_id.clone())
            .chain(client_ids.iter().cloned())
            .collect(),
        CoreError::StaleMapping {
            entra_tenant_id, ..
        } => vec![entra_tenant_id.clone()],
        CoreError::UnknownFunction { name } => vec![name.clone()],
        CoreError::InvalidInput { .. } | CoreError::PlanRejected { .. } => Vec::new(),
    }
}

#[test]
fn errors_quote_user_input_truncated() {
    let big = huge("x");
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "pattern of 50 MB",
            "validate_patterns",
            json!({"patterns": ["ok", "(".repeat(50_000_000)]}),
            "invalid_pattern",
        ),
        ("unknown function", "unused", json!({}), "unknown_function"),
        (
            "tenant listed twice in a preview",
            "preview_mappings",
            json!({"tenants": [{"entraTenantId": big}, {"entraTenantId": big}]}),
            "invalid_input",
        ),
        (
            "client listed twice in a preview",
            "preview_mappings",
            json!({"tenants": [], "clients": [{"clientId": big}, {"clientId": big}]}),
            "invalid_input",
        ),
        (
            "two active mappings of one tenant",
            "preview_mappings",
            json!({"tenants": [], "mappings": [
                {"entraTenantId": big, "clientId": format!("a{big}"), "state": "mapped"},
                {"entraTenantId": big, "clientId": format!("b{big}"), "state": "mapped"}
            ]}),
            "mapping_conflict",
        ),
        (
            "a batch mapping one tenant to two clients",
            "plan_mapping_changes",
            json!({"mappings": [], "operations": [
                {"kind": "confirm", "entraTenantId": big, "clientId": format!("a{big}")},
                {"kind": "confirm", "entraTenantId": big, "clientId": format!("b{big}")}
            ]}),
            "mapping_conflict",
        ),
        (
            "a remap from a stale client",
            "plan_mapping_changes",
            json!({"mappings": [{"entraTenantId": big, "clientId": big, "state": "mapped"}],
                   "operations": [{"kind": "remap", "entraTenantId": big,
                                   "fromClientId": format!("a{big}"), "toClientId": "c2"}]}),
            "stale_mapping",
        ),
        (
            "a user listed twice in a plan",
            "plan_tenant_sync",
            json!({"entraTenantId": "t", "clientId": "c", "listingComplete": true,
                   "users": [{"entraObjectId": big, "accountEnabled": true},
                             {"entraObjectId": big, "accountEnabled": true}]}),
            "invalid_input",
        ),
        (
            "a plan for another tenant",
            "apply_plan",
            json!({"input": {"entraTenantId": big, "clientId": "c", "listingComplete": true},
                   "plan": {"entraTenantId": "t2", "clientId": "c", "actions": []}}),
            "plan_rejected",
        ),
        (
            "an action on a contact of another client",
            "apply_plan",
            json!({"input": {"entraTenantId": "t", "clientId": "c", "listingComplete": true,
                             "contacts": [{"contactId": big, "clientId": "c2"}]},
                   "plan": {"entraTenantId": "t", "clientId": "c", "actions": [
                       {"kind": "link", "entraTenantId": "t", "entraObjectId": "u",
                        "clientId": "c", "contactId": big, "reason": "email_match",
                        "idempotencyKey": "k"}]}}),
            "plan_rejected",
        ),
        (
            "an ill-typed value",
            "filter_users",
            json!({"users": [{"entraObjectId": "u", "accountEnabled": big}]}),
            "invalid_input",
        ),
    ];
    for (name, function, input, code) in cases {
        let function = if code == "unknown_function" {
            big.as_str()
        } else {
            function
        };
        let err = call(function, &input).expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err}");
        let message = err.to_string();
        assert!(message.len() < 2_500, "{name}: {} bytes", message.len());
        assert!(message.contains("bytes)"), "{name}: {message}");
        for detail in details(&err) {
            assert!(
                detail.len() < 200,
                "{name}: detail of {} bytes",
                detail.len()
            );
        }
    }
}

#[test]
fn short_input_is_quoted_whole() {
    let err = call(
        "plan_mapping_changes",
        &json!({"mappings": [], "operations": [
            {"kind": "confirm", "entraTenantId": "t1", "clientId": "c1"},
            {"kind": "confirm", "entraTenantId": "t1", "clientId": "c2"}
        ]}),
    )
    .unwrap_err();
    assert_eq!(
        err,
        CoreError::MappingConflict {
            message: "tenant t1 would be mapped to two clients, c1 and c2".into(),
            entra_tenant_id: "t1".into(),
            client_ids: vec!["c1".into(), "c2".into()],
        }
    );
}
