//! The exception hierarchy: one base `EntraSyncError` carrying the stable Rust `code`, and one
//! subclass per kind of failure a caller handles differently. Every class derives from the base
//! (never from `Exception` directly), so `except EntraSyncError` catches everything the package
//! raises. Rust panics become `EntraSyncError` with code `internal` instead of aborting.

use std::any::Any;
use std::error::Error as StdError;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::Value;

use crate::convert;

create_exception!(
    entra_sync,
    EntraSyncError,
    PyException,
    "Base class of every error raised by entra_sync; `.code` is the stable machine-readable code."
);
create_exception!(
    entra_sync,
    InvalidInput,
    EntraSyncError,
    "The input does not follow the contract; the message names the offending field."
);
create_exception!(
    entra_sync,
    InvalidPattern,
    EntraSyncError,
    "A custom exclusion pattern is not a valid (or is a too large) regular expression."
);
create_exception!(
    entra_sync,
    MappingConflict,
    EntraSyncError,
    "A batch of mapping operations contradicts itself or the current mappings."
);
create_exception!(
    entra_sync,
    StaleMapping,
    EntraSyncError,
    "A remap named a client that is no longer the tenant's current client."
);
create_exception!(
    entra_sync,
    ConsentRequired,
    EntraSyncError,
    "The application is not (admin-)consented in the customer tenant: run consent again."
);
create_exception!(
    entra_sync,
    AuthError,
    EntraSyncError,
    "Authentication or authorization failed: token expired or revoked, bad client secret, missing GDAP role, MFA, invalid or replayed OAuth state, a rotated refresh token that could not be persisted."
);
create_exception!(
    entra_sync,
    Throttled,
    EntraSyncError,
    "The upstream kept throttling after the retry budget was spent."
);
create_exception!(
    entra_sync,
    UpstreamError,
    EntraSyncError,
    "The upstream failed, was unreachable or answered in an unexpected shape."
);
create_exception!(
    entra_sync,
    ConfigurationError,
    EntraSyncError,
    "Settings or credentials are missing or malformed."
);
create_exception!(
    entra_sync,
    Unsupported,
    EntraSyncError,
    "The provider does not support the operation (e.g. delta queries through CIPP)."
);
create_exception!(
    entra_sync,
    StoreError,
    EntraSyncError,
    "The sync store failed; the write it was doing left the previous state intact."
);
create_exception!(
    entra_sync,
    SandboxError,
    EntraSyncError,
    "The loopback sandbox could not start or was used after shutdown."
);

/// Where an error comes from; a store or sandbox failure keeps its class whatever its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Core,
    Provider,
    Store,
    Sandbox,
}

/// Every exception class with the code it carries by default, for registration and stubs.
pub fn classes(py: Python<'_>) -> Vec<(&'static str, Bound<'_, PyType>, &'static str)> {
    vec![
        (
            "EntraSyncError",
            py.get_type::<EntraSyncError>(),
            "internal",
        ),
        (
            "InvalidInput",
            py.get_type::<InvalidInput>(),
            "invalid_input",
        ),
        (
            "InvalidPattern",
            py.get_type::<InvalidPattern>(),
            "invalid_pattern",
        ),
        (
            "MappingConflict",
            py.get_type::<MappingConflict>(),
            "mapping_conflict",
        ),
        (
            "StaleMapping",
            py.get_type::<StaleMapping>(),
            "stale_mapping",
        ),
        (
            "ConsentRequired",
            py.get_type::<ConsentRequired>(),
            "consent_required",
        ),
        ("AuthError", py.get_type::<AuthError>(), "unauthorized"),
        ("Throttled", py.get_type::<Throttled>(), "throttled"),
        (
            "UpstreamError",
            py.get_type::<UpstreamError>(),
            "upstream_unavailable",
        ),
        (
            "ConfigurationError",
            py.get_type::<ConfigurationError>(),
            "configuration",
        ),
        ("Unsupported", py.get_type::<Unsupported>(), "unsupported"),
        ("StoreError", py.get_type::<StoreError>(), "store"),
        ("SandboxError", py.get_type::<SandboxError>(), "sandbox"),
    ]
}

/// The class that a Rust error code maps to.
fn class_for<'py>(py: Python<'py>, family: Family, code: &str) -> Bound<'py, PyType> {
    match family {
        Family::Store => return py.get_type::<StoreError>(),
        Family::Sandbox if !code.starts_with("invalid") => return py.get_type::<SandboxError>(),
        _ => {}
    }
    match code {
        "invalid_input" | "unknown_function" | "invalid_config" | "not_mapped"
        | "plan_rejected" => py.get_type::<InvalidInput>(),
        "invalid_pattern" => py.get_type::<InvalidPattern>(),
        "mapping_conflict" => py.get_type::<MappingConflict>(),
        "stale_mapping" => py.get_type::<StaleMapping>(),
        "consent_required" | "admin_consent_required" => py.get_type::<ConsentRequired>(),
        "unauthorized"
        | "refresh_token_expired"
        | "invalid_client"
        | "mfa_or_conditional_access"
        | "gdap_role_missing"
        | "forbidden"
        | "subscription_ended"
        | "invalid_grant"
        | "token_persist_failed"
        | "state_replayed"
        | "state_nonce_unavailable" => py.get_type::<AuthError>(),
        c if c.starts_with("state_") || c.starts_with("auth_") || c.starts_with("token_") => {
            py.get_type::<AuthError>()
        }
        "throttled" => py.get_type::<Throttled>(),
        "upstream_unavailable"
        | "unexpected_response"
        | "tenant_not_found"
        | "not_found"
        | "bad_request"
        | "paging_guard"
        | "resync_required"
        | "response_too_large"
        | "listing_deadline_exceeded" => py.get_type::<UpstreamError>(),
        "configuration" | "missing_secret" | "missing_credentials" => {
            py.get_type::<ConfigurationError>()
        }
        "unsupported" => py.get_type::<Unsupported>(),
        _ => py.get_type::<EntraSyncError>(),
    }
}

/// Builds the Python exception for one error: the class from its code, `.code`, and `.details`
/// (structured fields such as the HTTP status or the conflicting tenant, or `None`).
pub fn exception(
    py: Python<'_>,
    family: Family,
    code: &str,
    message: &str,
    details: Option<&Value>,
) -> PyErr {
    let class = class_for(py, family, code);
    let made = class.call1((message.to_string(),)).and_then(|instance| {
        instance.setattr("code", code)?;
        let details = match details {
            Some(d) => convert::to_py(py, d)?,
            None => py.None().into_bound(py),
        };
        instance.setattr("details", details)?;
        Ok(PyErr::from_value(instance))
    });
    made.unwrap_or_else(|e| e)
}

/// Builds the exception for a typed Rust error and turns its `source()` chain into `__cause__`.
pub fn from_error(
    py: Python<'_>,
    family: Family,
    code: &str,
    error: &(dyn StdError + 'static),
    details: Option<&Value>,
) -> PyErr {
    let err = exception(py, family, code, &error.to_string(), details);
    if let Some(cause) = cause_chain(py, error.source()) {
        err.set_cause(py, Some(cause));
    }
    err
}

/// The `__cause__` chain of a Rust error's sources: known error types keep their class and
/// code; others become a plain `EntraSyncError` with code `source`.
fn cause_chain(py: Python<'_>, source: Option<&(dyn StdError + 'static)>) -> Option<PyErr> {
    let source = source?;
    let err = if let Some(core) = source.downcast_ref::<entra_core::CoreError>() {
        exception(py, Family::Core, core.code(), &core.to_string(), None)
    } else if let Some(provider) = source.downcast_ref::<entra_core::provider::ProviderError>() {
        let details = serde_json::to_value(provider).ok();
        exception(
            py,
            Family::Provider,
            provider.code(),
            &provider.to_string(),
            details.as_ref(),
        )
    } else {
        exception(py, Family::Core, "source", &source.to_string(), None)
    };
    if let Some(next) = cause_chain(py, source.source()) {
        err.set_cause(py, Some(next));
    }
    Some(err)
}

/// Converts an error of the pure core.
pub fn core_error(py: Python<'_>, error: &entra_core::CoreError) -> PyErr {
    let details = match error {
        entra_core::CoreError::MappingConflict {
            entra_tenant_id,
            client_ids,
            ..
        } => Some(serde_json::json!({"entraTenantId": entra_tenant_id, "clientIds": client_ids})),
        entra_core::CoreError::StaleMapping {
            entra_tenant_id, ..
        } => Some(serde_json::json!({"entraTenantId": entra_tenant_id})),
        entra_core::CoreError::InvalidPattern { pattern, .. } => {
            Some(serde_json::json!({"pattern": pattern}))
        }
        entra_core::CoreError::PlanRejected {
            rule, action_index, ..
        } => Some(serde_json::json!({"rule": rule.as_str(), "actionIndex": action_index})),
        _ => None,
    };
    from_error(py, Family::Core, error.code(), error, details.as_ref())
}

/// Converts an upstream failure; `.details` carries status, request id and upstream code.
pub fn provider_error(py: Python<'_>, error: &entra_core::provider::ProviderError) -> PyErr {
    let details = serde_json::to_value(error).ok();
    from_error(py, Family::Provider, error.code(), error, details.as_ref())
}

/// An internal failure (a caught panic, a lost task): code `internal`.
pub fn internal(message: impl Into<String>) -> PyErr {
    Python::attach(|py| exception(py, Family::Core, "internal", &message.into(), None))
}

/// The readable text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("internal error (panic): {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("internal error (panic): {s}")
    } else {
        "internal error (panic)".to_string()
    }
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

/// Raises the exception for a code, for tests of the mapping from Python: every class must be
/// reachable from a real Rust code.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[pyo3(signature = (code, message, family = "core"))]
pub fn _raise_for_code(py: Python<'_>, code: &str, message: &str, family: &str) -> PyResult<()> {
    let family = match family {
        "provider" => Family::Provider,
        "store" => Family::Store,
        "sandbox" => Family::Sandbox,
        _ => Family::Core,
    };
    Err(exception(py, family, code, message, None))
}

/// Panics inside Rust, to prove that a panic surfaces as `EntraSyncError(code="internal")`.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub fn _panic_for_test() -> PyResult<()> {
    guard(|| panic!("deliberate panic"))
}
