//! The pure decision functions. Every one goes through the core's single JSON entry point
//! (`entra_core::api::call`), so the package decides nothing itself and a new core function needs
//! no binding code: `call` reaches it by name.
//!
//! Values cross as JSON text: `index.js` writes the input with `JSON.stringify` and reads the
//! result with `JSON.parse`, which V8 does far faster than reading and building objects
//! property by property through N-API. The async variants run on libuv's worker pool, so a
//! server's event loop keeps serving during a large plan.

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use serde_json::Value;

use crate::errors;

/// Reads JSON text written by `index.js`; text that is not JSON is `invalid_input`.
pub fn parse(text: &str, name: &str) -> napi::Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let what = if name.is_empty() { "input" } else { name };
        errors::invalid_input(&format!("`{what}` is not JSON: {e}"))
    })
}

/// Joins the pieces `index.js` writes a large input in: a JavaScript string cannot exceed
/// about 512 MiB, so the elements of long arrays are written a slice at a time.
pub fn join(pieces: Vec<String>) -> String {
    if pieces.len() == 1 {
        return pieces.into_iter().next().unwrap_or_default();
    }
    let mut text = String::with_capacity(pieces.iter().map(String::len).sum());
    for piece in pieces {
        text.push_str(&piece);
    }
    text
}

/// Runs one core function on JSON text, with panics caught.
fn run(function: &str, input: &str) -> napi::Result<String> {
    errors::guard(|| {
        if function == "plan_tenant_sync"
            && let Some(plan) = plan_typed(input)
        {
            return plan;
        }
        let input = parse(input, "")?;
        let output = entra_core::api::call(function, &input).map_err(|e| errors::error(&e))?;
        crate::runtime::to_json(&output)
    })
}

/// The plan read straight from the text into the core's typed input and written straight from
/// its typed output (no JSON tree on either side), running the function the entry point runs.
/// `None` when the fast reader refuses the input: the entry point then reports exactly what is
/// wrong with it.
fn plan_typed(input: &str) -> Option<napi::Result<String>> {
    let typed: entra_core::reconcile::PlanInput = serde_json::from_str(input).ok()?;
    let written = entra_core::reconcile::plan_tenant_sync(&typed)
        .map_err(|e| errors::error(&e))
        .and_then(|plan| {
            let text = crate::runtime::to_json(&plan);
            drop_later(plan);
            text
        });
    drop_later(typed);
    Some(written)
}

/// Frees a large input or output on a short-lived thread, so the caller gets its result without
/// waiting for a hundred thousand records to be deallocated.
pub fn drop_later<T: Send + 'static>(value: T) {
    // If no thread can be started the closure, and the value with it, is dropped right here.
    let _ = std::thread::Builder::new()
        .name("entra-sync-free".into())
        .spawn(move || drop(value));
}

/// Runs any core function by name (see `functions()`) on an input in the contract shape, as
/// JSON text in pieces; returns the result as JSON text.
#[napi]
pub fn call_json(function: String, input: Vec<String>) -> napi::Result<String> {
    run(&function, &join(input))
}

/// One core call on libuv's worker pool.
pub struct CallTask {
    function: String,
    input: Vec<String>,
}

impl Task for CallTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<String> {
        run(&self.function, &join(std::mem::take(&mut self.input)))
    }

    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Like `callJson`, as a Promise computed off the JavaScript thread.
#[napi(ts_return_type = "Promise<string>")]
pub fn call_json_async(function: String, input: Vec<String>) -> AsyncTask<CallTask> {
    AsyncTask::new(CallTask { function, input })
}

/// The names `call` accepts.
#[napi]
pub fn functions() -> Vec<String> {
    entra_core::api::FUNCTIONS
        .iter()
        .map(|f| f.to_string())
        .collect()
}

/// The deterministic id of a run (also usable as a workflow id): `key` is the JSON of
/// `{entraTenantId?, scope, trigger, discriminator}`; `attempt` > 1 names a later attempt.
#[napi]
pub fn run_id_json(key: String, attempt: Option<u32>) -> napi::Result<String> {
    errors::guard(|| {
        let key = parse(&key, "key")?;
        let key: entra_core::ids::RunKey =
            entra_core::json::from_value(&key).map_err(|e| errors::error(&e))?;
        key.attempt_id(attempt.unwrap_or(1))
            .map_err(|e| errors::error(&e))
    })
}

/// The canonical secret names a host stores credentials under, as JSON text
/// (`{MICROSOFT_CLIENT_ID: "microsoft_client_id", ...}`).
#[napi]
pub fn secret_names_json() -> String {
    use entra_providers::secrets::names;
    serde_json::json!({
        "MICROSOFT_CLIENT_ID": names::MICROSOFT_CLIENT_ID,
        "MICROSOFT_CLIENT_SECRET": names::MICROSOFT_CLIENT_SECRET,
        "MICROSOFT_TENANT_ID": names::MICROSOFT_TENANT_ID,
        "ENTRA_DIRECT_ACCESS_TOKEN": names::ENTRA_DIRECT_ACCESS_TOKEN,
        "ENTRA_DIRECT_REFRESH_TOKEN": names::ENTRA_DIRECT_REFRESH_TOKEN,
        "ENTRA_DIRECT_TOKEN_EXPIRES_AT": names::ENTRA_DIRECT_TOKEN_EXPIRES_AT,
        "ENTRA_DIRECT_PARTNER_TENANT_ID": names::ENTRA_DIRECT_PARTNER_TENANT_ID,
        "ENTRA_DIRECT_TOKEN_SCOPE": names::ENTRA_DIRECT_TOKEN_SCOPE,
        "ENTRA_CIPP_BASE_URL": names::ENTRA_CIPP_BASE_URL,
        "ENTRA_CIPP_CLIENT_ID": names::ENTRA_CIPP_CLIENT_ID,
        "ENTRA_CIPP_CLIENT_SECRET": names::ENTRA_CIPP_CLIENT_SECRET,
        "ENTRA_CIPP_TENANT_ID": names::ENTRA_CIPP_TENANT_ID,
        "ENTRA_CIPP_API_TOKEN": names::ENTRA_CIPP_API_TOKEN,
        "DIRECT_CONNECTION": names::DIRECT_CONNECTION,
        "CIPP_CONNECTION": names::CIPP_CONNECTION,
    })
    .to_string()
}
