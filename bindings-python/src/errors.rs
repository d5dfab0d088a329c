//! The exception hierarchy: one base `EntraSyncError` carrying the stable Rust `code`, and one
//! subclass per kind of failure a caller handles differently. Every class derives from the base
//! (never from `Exception` directly), so `except EntraSyncError` catches everything the package
//! raises. Rust panics become `EntraSyncError` with code `internal` instead of aborting.
//!
//! The class of an error comes from its Rust [`ErrorKind`] (every error type implements
//! [`Classified`]) by one exhaustive match, never from its code string. The table of every code
//! is `docs/errors.md`.

use std::error::Error as StdError;
use std::panic::{AssertUnwindSafe, catch_unwind};

use entra_core::{BindingErrorCode, Classified, CoreErrorCode, ErrorKind};
pub use entra_providers::host::error_family::panic_message;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::Value;

create_exception!(
    entra_sync,
    EntraSyncError,
    PyException,
    "Base class of every error raised by entra_sync; `.code` is the stable machine-readable code."
);

/// Declares one exception class per kind of failure (a subclass of `EntraSyncError` with its
/// docstring) and `class_for`, the exhaustive match from a kind to its class, class name and
/// default code: a new kind cannot be added without choosing its class.
macro_rules! exception_classes {
    ($( $kind:ident => $class:ident, $code:literal, $doc:literal; )+) => {
        $( create_exception!(entra_sync, $class, EntraSyncError, $doc); )+

        /// The Python class, its name and the code it carries by default, of each kind of error.
        fn class_for(
            py: Python<'_>,
            kind: ErrorKind,
        ) -> (&'static str, Bound<'_, PyType>, &'static str) {
            match kind {
                $( ErrorKind::$kind => (stringify!($class), py.get_type::<$class>(), $code), )+
                ErrorKind::Internal => (
                    "EntraSyncError",
                    py.get_type::<EntraSyncError>(),
                    "internal",
                ),
            }
        }
    };
}

exception_classes! {
    InvalidInput => InvalidInput, "invalid_input",
        "The input does not follow the contract; the message names the offending field.";
    InvalidPattern => InvalidPattern, "invalid_pattern",
        "A custom exclusion pattern is not a valid (or is a too large) regular expression.";
    MappingConflict => MappingConflict, "mapping_conflict",
        "A batch of mapping operations contradicts itself or the current mappings.";
    StaleMapping => StaleMapping, "stale_mapping",
        "A remap named a client that is no longer the tenant's current client.";
    Consent => ConsentRequired, "consent_required",
        "The application is not (admin-)consented in the customer tenant: run consent again.";
    Auth => AuthError, "unauthorized",
        "Authentication or authorization failed: token expired or revoked, bad client secret, missing GDAP role, MFA, invalid or replayed OAuth state, a rotated refresh token that could not be persisted.";
    Throttled => Throttled, "throttled",
        "The upstream kept throttling after the retry budget was spent.";
    Upstream => UpstreamError, "upstream_unavailable",
        "The upstream failed, was unreachable or answered in an unexpected shape.";
    Configuration => ConfigurationError, "configuration",
        "Settings or credentials are missing or malformed.";
    Unsupported => Unsupported, "unsupported",
        "The provider does not support the operation (e.g. delta queries through CIPP).";
    Store => StoreError, "store",
        "The sync store failed; the write it was doing left the previous state intact.";
    Sandbox => SandboxError, "sandbox",
        "The loopback sandbox could not start or was used after shutdown.";
}

/// Every exception class with the code it carries by default, for registration and stubs: the
/// base class first, then one class per kind.
pub fn classes(py: Python<'_>) -> Vec<(&'static str, Bound<'_, PyType>, &'static str)> {
    let base = class_for(py, ErrorKind::Internal);
    let mut all = vec![base];
    all.extend(
        ErrorKind::ALL
            .iter()
            .filter(|kind| **kind != ErrorKind::Internal)
            .map(|kind| class_for(py, *kind)),
    );
    all
}

/// Builds the Python exception of a kind: its class, `.code`, and `.details` (structured fields
/// such as the HTTP status or the conflicting tenant, or `None`).
pub fn exception(
    py: Python<'_>,
    kind: ErrorKind,
    code: &str,
    message: &str,
    details: Option<&Value>,
) -> PyErr {
    let (_, class, _) = class_for(py, kind);
    let made = class.call1((message.to_string(),)).and_then(|instance| {
        instance.setattr("code", code)?;
        let details = match details {
            Some(d) => crate::ser::small_to_py(py, d)?,
            None => py.None().into_bound(py),
        };
        instance.setattr("details", details)?;
        Ok(PyErr::from_value(instance))
    });
    made.unwrap_or_else(|e| e)
}

/// `InvalidInput` with code `invalid_input` and `message` as is, for arguments the binding
/// itself cannot read.
pub fn invalid_input(py: Python<'_>, message: &str) -> PyErr {
    let code = CoreErrorCode::InvalidInput;
    exception(py, code.kind(), code.as_str(), message, None)
}

/// The exception of a code the binding raises itself (see [`BindingErrorCode`]).
pub fn binding(py: Python<'_>, code: BindingErrorCode, message: &str) -> PyErr {
    exception(py, code.kind(), code.as_str(), message, None)
}

/// Builds the exception for a typed Rust error (class from its kind, `.code`, `.details`) and
/// turns its `source()` chain into `__cause__`.
pub fn error(py: Python<'_>, error: &dyn Classified) -> PyErr {
    let details = error.details();
    let err = exception(
        py,
        error.kind(),
        error.code(),
        &error.to_string(),
        details.as_ref(),
    );
    if let Some(cause) = cause_chain(py, error.source()) {
        err.set_cause(py, Some(cause));
    }
    err
}

/// The typed view of an error of a known type (one table, in the host layer).
fn known<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a dyn Classified> {
    entra_providers::host::error_family::classified_of(error)
}

/// The `__cause__` chain of a Rust error's sources: known error types keep their class, code
/// and details; others become a plain `EntraSyncError` with code `source`.
fn cause_chain(py: Python<'_>, source: Option<&(dyn StdError + 'static)>) -> Option<PyErr> {
    let source = source?;
    let err = match known(source) {
        Some(typed) => {
            let details = typed.details();
            exception(
                py,
                typed.kind(),
                typed.code(),
                &source.to_string(),
                details.as_ref(),
            )
        }
        None => binding(py, BindingErrorCode::Source, &source.to_string()),
    };
    if let Some(next) = cause_chain(py, source.source()) {
        err.set_cause(py, Some(next));
    }
    Some(err)
}

/// [`error`] from code that does not hold the GIL (an awaitable's result): attaches to
/// convert. Usable as `map_err(errors::py_err)`.
pub fn py_err<E: Classified>(err: E) -> PyErr {
    Python::attach(|py| error(py, &err))
}

/// Converts an error of the pure core.
pub fn core_error(py: Python<'_>, err: &entra_core::CoreError) -> PyErr {
    error(py, err)
}

/// An internal failure (a caught panic, a lost task): code `internal`.
pub fn internal(message: impl Into<String>) -> PyErr {
    Python::attach(|py| binding(py, BindingErrorCode::Internal, &message.into()))
}

/// The qualified name of the type of exception `err` is (`"an exception"` if it has none), what
/// a host hook's failure reports: the exception's message is the host's and may hold secrets.
pub fn raised_type(py: Python<'_>, err: &PyErr) -> String {
    err.get_type(py)
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an exception".to_string())
}

/// Runs `f`, turning a Rust panic into `EntraSyncError(code="internal")` instead of an abort or
/// a `PanicException` (which `except Exception` would not catch).
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(internal(panic_message(payload.as_ref()))),
    }
}

/// Registers the classes on the module and gives each class a default `code` and `details`, so
/// instances created by Python code carry them too.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for (name, class, code) in classes(py) {
        class.setattr("code", code)?;
        class.setattr("details", py.None())?;
        m.add(name, class)?;
    }
    Ok(())
}

/// Raises the exception for a code, for tests of the mapping from Python: the code is parsed
/// into the typed code of its family and raised with that code's kind. An unknown family is a
/// `ValueError`. A code no error type of the family has is raised as the family's own class
/// (`StoreError`, `SandboxError`, else the base class) with a `RuntimeWarning` naming it, so a
/// test can prove that a code outside the tables does not reach a specific subclass.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[pyo3(signature = (code, message, family = "core"))]
pub fn _raise_for_code(py: Python<'_>, code: &str, message: &str, family: &str) -> PyResult<()> {
    use entra_providers::host::error_family::ErrorFamily;
    let family: ErrorFamily = family.parse().map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "unknown error family `{family}` (core, provider, store, sandbox)"
        ))
    })?;
    let kind = match family.kind_of(code) {
        Some(kind) => kind,
        None => {
            let warning = format!("`{code}` is not an error code of the `{family:?}` family");
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
                &std::ffi::CString::new(warning).unwrap_or_default(),
                1,
            )?;
            family.own_kind()
        }
    };
    Err(exception(py, kind, code, message, None))
}

/// Panics inside Rust, to prove that a panic surfaces as `EntraSyncError(code="internal")`.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub fn _panic_for_test() -> PyResult<()> {
    guard(|| panic!("deliberate panic"))
}
