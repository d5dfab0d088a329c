//! Python bindings of entra-sync: the native module `entra_sync._native`.
//!
//! The bindings only convert: plain Python values to the core's JSON contract and back, Rust
//! futures to asyncio awaitables, Rust errors to Python exceptions, `tracing` to `logging`.

mod auth;
mod convert;
mod de;
mod engine;
mod errors;
mod logging;
mod providers;
mod pure;
mod runtime;
mod sandbox;
mod sandbox_config;
mod ser;
mod settings;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    runtime::install()?;
    logging::install(py);
    errors::register(m)?;
    pure::register(m)?;
    providers::register(m)?;
    sandbox::register(m)?;
    engine::register(m)?;
    auth::register(m)?;
    m.add_function(wrap_pyfunction!(logging::refresh_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(logging::_emit_log_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_raise_for_code, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_panic_for_test, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
