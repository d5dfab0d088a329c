//! One JSON entry point for every pure function, shared by the vector runners and the bindings:
//! `call("plan_tenant_sync", input)` reads the canonical contract, runs the function and writes
//! the canonical output. Bindings convert their native values to and from `serde_json::Value`.

use serde_json::Value;

use crate::error::CoreError;
use crate::json::{from_value, to_value};
use crate::mapping;

/// The functions reachable through [`call`], in a stable order.
pub const FUNCTIONS: &[&str] = &[
    "filter_users",
    "validate_patterns",
    "plan_tenant_sync",
    "apply_plan",
    "merge_discovery",
    "preview_mappings",
    "plan_mapping_changes",
    "run_id",
    "contact_version",
    "summarize_licenses",
    "resolve_settings",
];

/// Runs the pure function `function` on a JSON `input` in the canonical contract shape.
pub fn call(function: &str, input: &Value) -> Result<Value, CoreError> {
    match function {
        "filter_users" => to_value(&crate::filter::filter_users_owned(from_value(input)?)?),
        "validate_patterns" => validate_patterns(input),
        "plan_tenant_sync" => to_value(&crate::reconcile::plan_tenant_sync(&from_value(input)?)?),
        "apply_plan" => apply_plan(input),
        "merge_discovery" => to_value(&mapping::merge_discovery(&from_value(input)?)?),
        "preview_mappings" => to_value(&mapping::preview_mappings(&from_value(input)?)?),
        "plan_mapping_changes" => to_value(&mapping::plan_mapping_changes(&from_value(input)?)?),
        "run_id" => crate::ids::run_id_json(input),
        "contact_version" => contact_version(input),
        "resolve_settings" => resolve_settings(input),
        "summarize_licenses" => {
            to_value(&crate::licenses::summarize_licenses(&from_value(input)?)?)
        }
        other => Err(CoreError::UnknownFunction {
            name: crate::error::echo(other).into_owned(),
        }),
    }
}

/// `{account?: <layer>, tenant?: <layer>}` → `{effective, fields}`: a tenant's settings resolved
/// over the built-in defaults, the account's layer and the tenant's, with each field's source.
/// Unknown keys and out-of-range values in a layer are `invalid_input`.
fn resolve_settings(input: &Value) -> Result<Value, CoreError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        #[serde(default)]
        account: Option<Value>,
        #[serde(default)]
        tenant: Option<Value>,
    }
    let Input { account, tenant } = from_value(input)?;
    let layer = |value: Option<Value>| match value {
        None | Some(Value::Null) => Ok(crate::model::SettingsOverrides::default()),
        Some(value) => crate::model::SettingsOverrides::from_json(&value),
    };
    to_value(&crate::model::resolve_settings(
        &layer(account)?,
        &layer(tenant)?,
    )?)
}

/// `{patterns: [...]}` (or a bare array) → `{valid: true, count}`, or an `invalid_pattern` error.
fn validate_patterns(input: &Value) -> Result<Value, CoreError> {
    #[derive(serde::Deserialize)]
    struct Input {
        patterns: Vec<String>,
    }
    let patterns: Vec<String> = match input {
        Value::Array(_) => from_value(input)?,
        _ => from_value::<Input>(input)?.patterns,
    };
    crate::filter::validate_patterns(&patterns)?;
    Ok(serde_json::json!({ "valid": true, "count": patterns.len() }))
}

/// `{contact: <contact>}` (or a bare contact) → `{contactVersion}`: the version an action's
/// `contactVersion` names, for hosts that apply plans later and must compare it with the contact
/// they have stored (the value is opaque, so they cannot compute it themselves).
fn contact_version(input: &Value) -> Result<Value, CoreError> {
    #[derive(serde::Deserialize)]
    struct Input {
        contact: crate::model::Contact,
    }
    let contact: crate::model::Contact = match input {
        Value::Object(map) if map.contains_key("contact") => from_value::<Input>(input)?.contact,
        _ => from_value(input)?,
    };
    Ok(serde_json::json!({ "contactVersion": crate::reconcile::contact_version(&contact) }))
}

/// `{input: <plan input>, plan: <plan>}` → the snapshot after the plan.
fn apply_plan(input: &Value) -> Result<Value, CoreError> {
    #[derive(serde::Deserialize)]
    struct Input {
        input: crate::reconcile::PlanInput,
        plan: crate::reconcile::SyncPlan,
    }
    let Input { input, plan } = from_value(input)?;
    to_value(&crate::reconcile::apply_plan(&input, &plan)?)
}
