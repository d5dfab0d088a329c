//! Rust `tracing` events forwarded to Python's `logging` (logger `entra_sync`) through the host
//! layer's [`log_bridge`], so a Python host configures the library's logs the way it configures
//! its own. Each record's message is `span k=v: message k=v`; its `extra` carries
//! `rust_target` and `entra_context` (the merged fields of the enclosing spans: run, tenant).
//!
//! The bridge forwards only events at or above the logger's effective level, which is read
//! again at the start of every call into the package (a Python host that changes the level sees
//! the change on its next call), so disabled levels never attach to the interpreter.

use std::sync::Arc;

use entra_providers::host::log_bridge::{self, LogEvent, LogLevel, LogSink};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("logging")?
                    .call_method1("getLogger", ("entra_sync",))?
                    .unbind(),
            )
        })
        .map(|l| l.bind(py))
}

/// Reads the `entra_sync` logger's effective level again. Called on every entry into the package.
pub fn refresh(py: Python<'_>) {
    let number = logger(py)
        .and_then(|l| l.call_method0("getEffectiveLevel"))
        .and_then(|l| l.extract::<i32>())
        .unwrap_or(30);
    log_bridge::set_forwarded_level(LogLevel::from_python_number(number));
}

/// Re-reads the `entra_sync` logger's level now (it is also re-read on every call).
#[pyfunction]
pub fn refresh_log_level(py: Python<'_>) {
    refresh(py);
}

/// Hands each event to the `entra_sync` logger, attaching to the interpreter only while it runs.
struct PythonSink;

impl LogSink for PythonSink {
    fn emit(&self, event: LogEvent) {
        let level = event.level.python_number();
        let line = event.to_line();
        // Never attach once the interpreter is exiting (see `runtime`).
        let _ = crate::runtime::attach(|py| {
            let forward = || -> PyResult<()> {
                let extra = PyDict::new(py);
                extra.set_item("rust_target", event.target)?;
                let context = PyDict::new(py);
                for (key, value) in event.context() {
                    match value {
                        serde_json::Value::String(text) => context.set_item(key, text)?,
                        other => context.set_item(key, other.to_string())?,
                    }
                }
                extra.set_item("entra_context", context)?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("extra", extra)?;
                logger(py)?.call_method("log", (level, line), Some(&kwargs))?;
                Ok(())
            };
            if let Err(err) = forward() {
                err.write_unraisable(py, None);
            }
        });
    }
}

/// Installs the forwarding layer as the process-wide subscriber, unless the host process has
/// already installed one (then Rust logs go where that host decided).
pub fn install(py: Python<'_>) {
    refresh(py);
    log_bridge::install_sink(Arc::new(PythonSink));
}

/// Emits one event at `level` through `tracing`, inside a span with run and tenant fields, to
/// check the bridge end to end from Python.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub fn _emit_log_for_test(py: Python<'_>, level: &str, message: &str) -> PyResult<()> {
    refresh(py);
    let level: LogLevel = level.parse().map_err(|e| crate::errors::error(py, &e))?;
    py.detach(|| log_bridge::emit_probe(level, message));
    Ok(())
}
