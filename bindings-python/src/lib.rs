//! Python bindings of entra-sync: the native module `entra_sync._native`.
//!
//! The bindings only convert: plain Python values to the contract's typed records and back
//! (`de` reads, `ser` writes; `user_filter` reads only the filter's fields for the forms of
//! `filter_users` that return the caller's own objects; the JSON tree of `convert` serves only
//! `call` and `call_async`),
//! Rust futures to asyncio awaitables, Rust errors to Python exceptions, `tracing` to `logging`.
//! What a binding would otherwise decide (settings, sign-in, token persistence, run options) is
//! the host layer's (`entra_providers::host`, `entra_core::engine::RunRequest`).

/// Adds each named `#[pyfunction]` to the module `m`.
macro_rules! add_functions {
    ($m:expr, [$($function:path),+ $(,)?]) => {{
        $( $m.add_function(pyo3::wrap_pyfunction!($function, $m)?)?; )+
    }};
}

mod auth;
mod client_index;
mod convert;
mod de;
mod engine;
mod errors;
mod logging;
mod providers;
mod pure;
mod reuse;
mod rotation;
mod runtime;
mod sandbox;
mod ser;
mod user_filter;

use pyo3::prelude::*;

/// The module's own Rust allocations (records read from Python, plans, their clean-up on a
/// helper thread) go to mimalloc: inside a Python process glibc's heap is shared with the
/// interpreter's objects, and its bookkeeping was a fifth of a large call.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    // Part of mimalloc's public API, linked in with the allocator.
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (the same position in its v2 and v3).
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

/// mimalloc hands freed memory back to the OS 10 ms after a free by default, so a host that
/// plans tenant after tenant pays for fresh, zeroed pages on every call: on virtual machines
/// that was most of a large call. Freed memory is kept for ten seconds instead (a purge then
/// returns it), unless the host set `MIMALLOC_PURGE_DELAY` itself.
fn keep_freed_memory_briefly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain option setter of the linked allocator; any value is valid.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 10_000) };
    }
}

/// Hooks for the test suite and the benchmark script (raising any error code, panicking,
/// emitting a log event, timing a call's phases). Only wheels built with the `test-hooks`
/// feature have them; release wheels do not.
#[cfg(feature = "test-hooks")]
fn register_test_hooks(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_functions!(
        m,
        [
            logging::_emit_log_for_test,
            errors::_raise_for_code,
            errors::_panic_for_test,
            pure::_call_phases,
            pure::_typed_phases,
        ]
    );
    Ok(())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    keep_freed_memory_briefly();
    runtime::install(m)?;
    logging::install(py);
    errors::register(m)?;
    pure::register(m)?;
    client_index::register(m)?;
    providers::register(m)?;
    sandbox::register(m)?;
    engine::register(m)?;
    auth::register(m)?;
    m.add_function(wrap_pyfunction!(logging::refresh_log_level, m)?)?;
    #[cfg(feature = "test-hooks")]
    register_test_hooks(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
