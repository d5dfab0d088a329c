//! The pure decision functions. Every one goes through the core's single JSON entry point, so the
//! Python package decides nothing itself and a new core function needs no binding code: `call`
//! reaches it by name. The named wrappers exist for discoverability and typing.
//!
//! The GIL is released while the core works, so other Python threads keep running during a
//! large plan.

use entra_providers::host::user_sources::user_sources;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::convert::{self, JsonOut};
use crate::de::Read;
use crate::errors;
use crate::{logging, reuse, runtime, user_filter};

/// Runs core work with the GIL released and panics caught, its error as a Python exception.
pub(crate) fn detached<R: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<R, entra_core::CoreError> + Send,
) -> PyResult<R> {
    let result = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(errors::core_error(py, &err)),
        Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
    }
}

/// Runs one core function on JSON, with the GIL released and panics caught.
fn run_detached(py: Python<'_>, function: &str, input: Value) -> PyResult<Value> {
    detached(py, || entra_core::api::call(function, &input))
}

/// Calls a core function by name on a plain dict/list input.
pub fn invoke<'py>(
    py: Python<'py>,
    function: &str,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    errors::guard(|| {
        logging::refresh(py);
        let input = convert::json_arg(py, input, "")?;
        let output = run_detached(py, function, input)?;
        convert::to_py(py, &output)
    })
}

/// A hot function: the core function, where its result's user records sit in its input, and
/// how the result is written.
struct Typed<T, O> {
    name: &'static str,
    run: fn(&T) -> Result<O, entra_core::CoreError>,
    /// For each user record the result carries unchanged, in serialization order, the index of
    /// the input user it copies (see `reuse`).
    users: fn(&T, &O) -> Vec<Option<usize>>,
    /// Writes the result (in the contract's shape) as Python objects.
    write: for<'py> fn(Python<'py>, &T, &O, crate::ser::Reuse<'py>) -> PyResult<Bound<'py, PyAny>>,
}

/// `filter_users` decides positions and writes the records they name straight from the input
/// (`FilterPositions::records`): the same result as the copying `filter_users`, without a copy
/// of each user, and each record's input user is known without comparing records.
const FILTER_USERS: Typed<entra_core::filter::FilterInput, entra_core::filter::FilterPositions> =
    Typed {
        name: "filter_users",
        run: entra_core::filter::filter_user_positions,
        users: |_, positions| {
            let excluded = positions.excluded.iter().map(|e| e.index);
            positions
                .included
                .iter()
                .copied()
                .chain(excluded)
                .map(Some)
                .collect()
        },
        write: |py, input, positions, reuse| {
            let records = positions
                .records(&input.users)
                .map_err(|e| errors::core_error(py, &e))?;
            crate::ser::to_py(py, &records, Some(reuse))
        },
    };

const PLAN_TENANT_SYNC: Typed<entra_core::reconcile::PlanInput, entra_core::reconcile::SyncPlan> =
    Typed {
        name: "plan_tenant_sync",
        run: entra_core::reconcile::plan_tenant_sync,
        users: |input, plan| user_sources(plan.excluded.iter().map(|e| &e.user), &input.users),
        write: |py, _, plan, reuse| crate::ser::to_py(py, plan, Some(reuse)),
    };

impl<T, O> Typed<T, O>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
    O: Send + 'static,
{
    /// Reads the typed input straight from the Python objects; `None` when the fast reader
    /// refuses it.
    fn read(&self, input: &Bound<'_, PyAny>) -> Option<Read<T>> {
        crate::de::read_typed(input).ok()
    }

    /// Runs the core function with the GIL released and panics caught; also finds the input
    /// users the result repeats.
    fn decide(&self, py: Python<'_>, typed: &T) -> PyResult<(O, Vec<Option<usize>>)> {
        detached(py, || {
            let output = (self.run)(typed)?;
            let users = (self.users)(typed, &output);
            Ok((output, users))
        })
    }

    /// Writes the result as Python objects, handing back the caller's own user dicts where the
    /// result repeats them unchanged.
    fn write<'py>(
        &self,
        py: Python<'py>,
        input: &Bound<'py, PyAny>,
        typed: &Read<T>,
        output: &O,
        users: &[Option<usize>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let candidates = reuse::candidates(input, "users", users);
        // `users` pairs each record with the input user it equals, read from that very dict.
        let hint = crate::ser::Reuse::read_from("EntraUser", candidates, typed.exact);
        (self.write)(py, &typed.value, output, hint)
    }

    /// The hot functions read their typed input straight from the Python objects and write their
    /// typed output straight into Python objects (no JSON tree on either side), with the same
    /// result as the JSON entry point (the same core function, or for the filter its positions
    /// form written as the same records). Input the fast reader refuses goes through `invoke`,
    /// so errors are exactly the entry point's, naming the field.
    fn call<'py>(&self, py: Python<'py>, input: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        errors::guard(|| {
            logging::refresh(py);
            let Some(typed) = self.read(input) else {
                return invoke(py, self.name, input);
            };
            let (output, users) = self.decide(py, &typed.value)?;
            let out = self.write(py, input, &typed, &output, &users);
            // Freed together once the result is written: freeing the input on another thread
            // while the result is built slowed the building down.
            drop_later((typed.value, output));
            out
        })
    }

    /// The phases of `call` in seconds, best of `repeat`: reading, the core function alone,
    /// writing (finding the repeated users counts as writing).
    #[cfg(feature = "test-hooks")]
    fn phases(
        &self,
        py: Python<'_>,
        input: &Bound<'_, PyAny>,
        repeat: usize,
    ) -> PyResult<std::collections::BTreeMap<&'static str, f64>> {
        let mut best = [f64::INFINITY; 3];
        for _ in 0..repeat.max(1) {
            let start = std::time::Instant::now();
            let typed = self
                .read(input)
                .ok_or_else(|| errors::invalid_input(py, "the fast reader refused the input"))?;
            let read = std::time::Instant::now();
            let output = (self.run)(&typed.value).map_err(|e| errors::core_error(py, &e))?;
            let decided = std::time::Instant::now();
            let users = (self.users)(&typed.value, &output);
            let back = self.write(py, input, &typed, &output, &users)?;
            let written = std::time::Instant::now();
            drop(back);
            drop(output);
            drop(typed);
            let took = [read - start, decided - read, written - decided];
            for (slot, took) in best.iter_mut().zip(took) {
                *slot = slot.min(took.as_secs_f64());
            }
        }
        Ok([("read", best[0]), ("core", best[1]), ("write", best[2])]
            .into_iter()
            .collect())
    }
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
    let input = convert::json_arg(py, input, "")?;
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

/// The named core functions: each reads one input in the contract shape and goes through the
/// typed path (`Typed::call`) or the JSON entry point (`invoke`) under its own name.
macro_rules! core_functions {
    ($( $(#[$doc:meta])* $name:ident => $how:expr; )+) => {
        $(
            $(#[$doc])*
            #[pyfunction]
            pub fn $name<'py>(
                py: Python<'py>,
                input: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                ($how)(py, stringify!($name), input)
            }
        )+
    };
}

/// Runs a hot function's typed path.
fn typed<'py, T, O>(
    function: &'static Typed<T, O>,
) -> impl Fn(Python<'py>, &str, &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
    O: serde::Serialize + Send + 'static,
{
    move |py, _, input| function.call(py, input)
}

core_functions! {
    /// Checks custom exclusion patterns before they are saved; raises `InvalidPattern` naming the
    /// first bad one.
    validate_patterns => invoke;
    /// Plans one tenant's contact sync: the ordered actions a host applies in its own transaction.
    /// The plan's `excluded` users are the caller's own dicts where canonical, as in `filter_users`.
    plan_tenant_sync => typed(&PLAN_TENANT_SYNC);
    /// Previews tenant-to-client mappings (auto-matched, needs review, unmatched); writes nothing.
    preview_mappings => invoke;
    /// Merges a discovery listing into the known tenants (insert / update / not listed).
    merge_discovery => invoke;
    /// Turns operator decisions (confirm, skip, remap, unmap) into the mapping changes to persist,
    /// or raises `MappingConflict` / `StaleMapping`.
    plan_mapping_changes => invoke;
    /// Summarizes one tenant's licences from its user listing and subscribed SKUs: per SKU,
    /// purchased, assigned and reclaimable (disabled users, guests); per user, the part numbers.
    summarize_licenses => invoke;
}

/// Splits the users into included and excluded (with a reason): input `{users, options}`.
///
/// `returns="records"` (the default): canonical user records; like Python's own `filter`, the
/// result holds the caller's user dicts themselves where they already have the canonical shape
/// (exactly the contract's keys and value types), and any other user comes back as a new
/// canonical dict, sharing nothing mutable with the input. `returns="inputs"`: the caller's own
/// user objects whatever their shape, reading only the fields the filter decides on (see
/// `user_filter`); `returns="positions"`: their indices in `users`.
#[pyfunction]
#[pyo3(signature = (input, *, returns = "records"))]
pub fn filter_users<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    returns: &str,
) -> PyResult<Bound<'py, PyAny>> {
    errors::guard(|| match user_filter::Returns::parse(py, returns)? {
        user_filter::Returns::Records => FILTER_USERS.call(py, input),
        form => {
            logging::refresh(py);
            user_filter::filter(py, input, form)
        }
    })
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

/// The deterministic id of a run (also usable as a workflow id): `key` is
/// `{entraTenantId?, scope, trigger, discriminator}`; `attempt` > 1 names a later attempt of a
/// run that already finished.
#[pyfunction]
#[pyo3(signature = (key, attempt = 1))]
pub fn run_id(py: Python<'_>, key: &Bound<'_, PyAny>, attempt: u32) -> PyResult<String> {
    errors::guard(|| {
        let key: entra_core::ids::RunKey = crate::de::arg(py, key, "")?;
        key.attempt_id(attempt).map_err(|e| errors::error(py, &e))
    })
}

/// Times the phases of one call (Python to JSON, the core, JSON to Python) in seconds, for the
/// benchmark script: it shows how much of a call is conversion.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub fn _call_phases(
    py: Python<'_>,
    function: &str,
    input: &Bound<'_, PyAny>,
) -> PyResult<std::collections::BTreeMap<&'static str, f64>> {
    let start = std::time::Instant::now();
    let input = convert::json_arg(py, input, "")?;
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

/// Times the phases of one typed call (reading the Python input, the core function, writing the
/// Python result) in seconds, best of `repeat`, on exactly the data the named function gets: the
/// benchmark script shows them next to the whole call and the pure Rust time.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[pyo3(signature = (function, input, repeat = 1))]
pub fn _typed_phases(
    py: Python<'_>,
    function: &str,
    input: &Bound<'_, PyAny>,
    repeat: usize,
) -> PyResult<std::collections::BTreeMap<&'static str, f64>> {
    errors::guard(|| match function {
        "filter_users" => FILTER_USERS.phases(py, input, repeat),
        "plan_tenant_sync" => PLAN_TENANT_SYNC.phases(py, input, repeat),
        other => {
            let code = entra_core::CoreErrorCode::UnknownFunction;
            Err(errors::exception(
                py,
                code.kind(),
                code.as_str(),
                &format!("no typed phases for `{other}`"),
                None,
            ))
        }
    })
}

/// Registers the pure functions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_functions!(
        m,
        [
            call,
            call_async,
            functions,
            filter_users,
            validate_patterns,
            plan_tenant_sync,
            apply_plan,
            preview_mappings,
            merge_discovery,
            plan_mapping_changes,
            summarize_licenses,
            run_id,
        ]
    );
    Ok(())
}
