//! `contact_version` through the JSON entry point: a host that applies a plan later compares an
//! action's `contactVersion` with the version of the contact it has stored, and can only get
//! that version from the library (the value is opaque).

use entra_core::api;
use serde_json::{Value, json};

fn plan_link_version(contact: &Value) -> String {
    let plan = api::call(
        "plan_tenant_sync",
        &json!({
            "entraTenantId": "t1", "clientId": "client-1", "listingComplete": true,
            "users": [{"entraObjectId": "u1", "accountEnabled": true, "mail": "jane@contoso.com"}],
            "contacts": [contact],
        }),
    )
    .expect("plan");
    let link = plan["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == "link"))
        .expect("a link action");
    link["contactVersion"]
        .as_str()
        .expect("a version")
        .to_string()
}

fn version(input: &Value) -> String {
    api::call("contact_version", input).expect("version")["contactVersion"]
        .as_str()
        .expect("a string")
        .to_string()
}

#[test]
fn the_version_a_host_computes_is_the_one_the_plan_carries() {
    let contact = json!({"contactId": "c-7", "clientId": "client-1", "email": "Jane@Contoso.com",
                         "fullName": "Jane Doe", "phoneNumbers": [{"number": "555", "type": "work"}]});
    let planned = plan_link_version(&contact);
    assert_eq!(version(&contact), planned, "a bare contact");
    assert_eq!(
        version(&json!({ "contact": contact })),
        planned,
        "wrapped as {{contact}}"
    );
}

#[test]
fn a_stored_contact_changed_since_planning_has_another_version() {
    let contact = json!({"contactId": "c-7", "clientId": "client-1", "email": "jane@contoso.com"});
    let planned = plan_link_version(&contact);
    let cases = [
        ("role", json!("CFO")),
        ("isInactive", json!(true)),
        ("additionalEmails", json!(["j@contoso.com"])),
        ("locked", json!(true)),
    ];
    for (field, value) in cases {
        let mut changed = contact.clone();
        changed[field] = value;
        assert_ne!(version(&changed), planned, "{field} changed");
    }
}

#[test]
fn a_contact_without_its_id_is_invalid_input() {
    let err = api::call("contact_version", &json!({"email": "x@y.z"})).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("contactId"), "{err}");
}
