//! The pure decision functions. Every one goes through the core's single JSON entry point, so the
//! Python package decides nothing itself and a new core function needs no binding code: `call`
//! reaches it by name. The named wrappers exist for discoverability and typing.
//!
//! The GIL is released while the core works, so other Python threads keep running during a
//! large plan.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::convert::{self, JsonOut};
use crate::errors::{self, Family};
use crate::{logging, runtime};

/// Converts a Python argument into JSON; a value that has no JSON form is `invalid_input`.
pub fn json_arg(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    convert::to_json(value)
        .map_err(|e| errors::exception(py, Family::Core, "invalid_input", &e.message(name), None))
}

/// Runs one core function on JSON, with the GIL released and panics caught.
fn run_detached(py: Python<'_>, function: &str, input: Value) -> PyResult<Value> {
    let result = py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            entra_core::api::call(function, &input)
        }))
    });
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(errors::core_error(py, &err)),
        Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
    }
}

/// Calls a core function by name on a plain dict/list input.
pub fn invoke<'py>(
    py: Python<'py>,
    function: &str,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    errors::guard(|| {
        logging::refresh(py);
        let input = json_arg(py, input, "")?;
        let output = run_detached(py, function, input)?;
        convert::to_py(py, &output)
    })
}

/// The hot functions read their typed input straight from the Python objects and write their
/// typed output straight into Python objects (no JSON tree on either side), running the same
/// core function as the JSON entry point. Input the fast reader refuses goes through `invoke`,
/// so errors are exactly the entry point's, naming the field.
fn fast<'py, T, O>(
    py: Python<'py>,
    function: &str,
    input: &Bound<'py, PyAny>,
    run: impl FnOnce(&T) -> Result<O, entra_core::CoreError> + Send,
) -> PyResult<Bound<'py, PyAny>>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
    O: serde::Serialize + Send + 'static,
{
    errors::guard(|| {
        logging::refresh(py);
        let Ok(typed) = T::deserialize(crate::de::PyDeserializer::new(input)) else {
            return invoke(py, function, input);
        };
        let result =
            py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&typed))));
        drop_later(typed);
        let output = match result {
            Ok(Ok(value)) => value,
            Ok(Err(err)) => return Err(errors::core_error(py, &err)),
            Err(payload) => return Err(errors::internal(errors::panic_message(payload.as_ref()))),
        };
        let out = crate::ser::to_py(py, &output);
        drop_later(output);
        out
    })
}

/// Frees a large input or output on a short-lived thread, so the caller gets its result without
/// waiting for a million strings to be deallocated.
fn drop_later<T: Send + 'static>(value: T) {
    // If no thread can be started the closure, and the value with it, is dropped right here.
    let _ = std::thread::Builder::new()
        .name("entra-sync-free".into())
        .spawn(move || drop(value));
}

/// Runs any core function by name (see `FUNCTIONS`) on an input in the canonical contract shape.
#[pyfunction]
pub fn call<'py>(
    py: Python<'py>,
    function: &str,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    invoke(py, function, input)
}

/// Like `call`, as an awaitable that runs the function on a worker thread, for hosts whose event
/// loop must not block on a large plan.
#[pyfunction]
pub fn call_async<'py>(
    py: Python<'py>,
    function: String,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    logging::refresh(py);
    let input = json_arg(py, input, "")?;
    runtime::spawn_awaitable(py, async move {
        let joined = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                entra_core::api::call(&function, &input)
            }))
        })
        .await;
        match joined {
            Ok(Ok(Ok(value))) => Ok(JsonOut(value)),
            Ok(Ok(Err(err))) => Err(Python::attach(|py| errors::core_error(py, &err))),
            Ok(Err(payload)) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
            Err(join) => Err(errors::internal(format!("worker task failed: {join}"))),
        }
    })
}

/// The names `call` accepts.
#[pyfunction]
pub fn functions() -> Vec<&'static str> {
    entra_core::api::FUNCTIONS.to_vec()
}

/// Splits the users into included and excluded (with a reason): input `{users, options}`.
#[pyfunction]
pub fn filter_users<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    fast(py, "filter_users", input, entra_core::filter::filter_users)
}

/// Checks custom exclusion patterns before they are saved; raises `InvalidPattern` naming the
/// first bad one.
#[pyfunction]
pub fn validate_patterns<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    invoke(py, "validate_patterns", input)
}

/// Plans one tenant's contact sync: the ordered actions a host applies in its own transaction.
#[pyfunction]
pub fn plan_tenant_sync<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    fast(
        py,
        "plan_tenant_sync",
        input,
        entra_core::reconcile::plan_tenant_sync,
    )
}

/// The reference applier: the plan input as it looks after `plan` is applied. Takes either
/// `(input, plan)` or one `{input, plan}` dict.
#[pyfunction]
#[pyo3(signature = (input, plan = None))]
pub fn apply_plan<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    plan: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match plan {
        Some(plan) => {
            let envelope = PyDict::new(py);
            envelope.set_item("input", input)?;
            envelope.set_item("plan", plan)?;
            invoke(py, "apply_plan", envelope.as_any())
        }
        None => invoke(py, "apply_plan", input),
    }
}

/// Previews tenant-to-client mappings (auto-matched, needs review, unmatched); writes nothing.
#[pyfunction]
pub fn preview_mappings<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    invoke(py, "preview_mappings", input)
}

/// Merges a discovery listing into the known tenants (insert / update / not listed).
#[pyfunction]
pub fn merge_discovery<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    invoke(py, "merge_discovery", input)
}

/// Turns operator decisions (confirm, skip, remap, unmap) into the mapping changes to persist,
/// or raises `MappingConflict` / `StaleMapping`.
#[pyfunction]
pub fn plan_mapping_changes<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    invoke(py, "plan_mapping_changes", input)
}

/// The deterministic id of a run (also usable as a workflow id): `key` is
/// `{entraTenantId?, scope, trigger, discriminator}`; `attempt` > 1 names a later attempt of a
/// run that already finished.
#[pyfunction]
#[pyo3(signature = (key, attempt = 1))]
pub fn run_id(py: Python<'_>, key: &Bound<'_, PyAny>, attempt: u32) -> PyResult<String> {
    errors::guard(|| {
        let key = json_arg(py, key, "")?;
        let key: entra_core::ids::RunKey =
            entra_core::json::from_value(&key).map_err(|e| errors::core_error(py, &e))?;
        key.attempt_id(attempt)
            .map_err(|e| errors::from_error(py, Family::Core, e.code(), &e, None))
    })
}

/// Times the phases of one call (Python to JSON, the core, JSON to Python) in seconds, for the
/// benchmark script: it shows how much of a call is conversion.
#[pyfunction]
pub fn _call_phases(
    py: Python<'_>,
    function: &str,
    input: &Bound<'_, PyAny>,
) -> PyResult<std::collections::BTreeMap<&'static str, f64>> {
    let start = std::time::Instant::now();
    let input = json_arg(py, input, "")?;
    let converted = std::time::Instant::now();
    let output = run_detached(py, function, input)?;
    let decided = std::time::Instant::now();
    let back = convert::to_py(py, &output)?;
    let returned = std::time::Instant::now();
    drop(back);
    let mut phases = std::collections::BTreeMap::new();
    phases.insert("to_json", (converted - start).as_secs_f64());
    phases.insert("core", (decided - converted).as_secs_f64());
    phases.insert("to_py", (returned - decided).as_secs_f64());
    Ok(phases)
}

/// Registers the pure functions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(call, m)?)?;
    m.add_function(wrap_pyfunction!(call_async, m)?)?;
    m.add_function(wrap_pyfunction!(functions, m)?)?;
    m.add_function(wrap_pyfunction!(filter_users, m)?)?;
    m.add_function(wrap_pyfunction!(validate_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(plan_tenant_sync, m)?)?;
    m.add_function(wrap_pyfunction!(apply_plan, m)?)?;
    m.add_function(wrap_pyfunction!(preview_mappings, m)?)?;
    m.add_function(wrap_pyfunction!(merge_discovery, m)?)?;
    m.add_function(wrap_pyfunction!(plan_mapping_changes, m)?)?;
    m.add_function(wrap_pyfunction!(run_id, m)?)?;
    m.add_function(wrap_pyfunction!(_call_phases, m)?)?;
    Ok(())
}
