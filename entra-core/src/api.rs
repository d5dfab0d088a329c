//! One JSON entry point for every pure function, shared by the vector runners and the bindings:
//! `call("plan_tenant_sync", input)` reads the canonical contract, runs the function and writes
//! the canonical output. Bindings convert their native values to and from `serde_json::Value`.

use serde_json::Value;

use crate::error::CoreError;

/// The functions reachable through [`call`], in a stable order.
pub const FUNCTIONS: &[&str] = &[];

/// Runs the pure function `function` on a JSON `input` in the canonical contract shape.
pub fn call(function: &str, input: &Value) -> Result<Value, CoreError> {
    let _ = input;
    match function {
        other => Err(CoreError::UnknownFunction {
            name: other.to_string(),
        }),
    }
}
