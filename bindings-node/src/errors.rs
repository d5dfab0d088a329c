//! Rust errors as JavaScript errors. Every failure leaves the addon as a `napi::Error` whose
//! reason is a tagged JSON envelope `{kind, code, message, details, cause}`; the package's
//! `index.js` rebuilds it as the `EntraSyncError` subclass of its kind (one exhaustive table
//! there, mirrored from [`ErrorKind`]). Rust panics become code `internal` instead of aborting.
//!
//! The kind of an error comes from its Rust [`ErrorKind`] (every error type implements
//! [`Classified`]), never from its code string. The table of every code is `docs/errors.md`.

use std::error::Error as StdError;
use std::panic::{AssertUnwindSafe, catch_unwind};

use entra_core::{BindingErrorCode, Classified, CoreErrorCode, ErrorKind};
pub use entra_providers::host::error_family::panic_message;
use napi_derive::napi;
use serde_json::{Value, json};

/// The tag that starts the reason of every error the addon raises (`index.js` looks for it).
pub const TAG: &str = "\u{1}entra-sync\u{1}";

/// The envelope of one error (and of its causes).
fn envelope(kind: ErrorKind, code: &str, message: &str, details: Option<Value>) -> Value {
    json!({
        "kind": kind.as_str(),
        "code": code,
        "message": message,
        "details": details,
    })
}

/// A JavaScript error for an envelope: the status is the code, the reason the tagged envelope.
fn to_napi(envelope: &Value) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{TAG}{envelope}"))
}

/// The error of a kind with a code, a message and optional details.
pub fn exception(
    kind: ErrorKind,
    code: &str,
    message: &str,
    details: Option<Value>,
) -> napi::Error {
    to_napi(&envelope(kind, code, message, details))
}

/// `invalid_input` with `message` as is, for arguments the binding itself cannot read.
pub fn invalid_input(message: &str) -> napi::Error {
    let code = CoreErrorCode::InvalidInput;
    exception(code.kind(), code.as_str(), message, None)
}

/// The error of a code the binding raises itself (see [`BindingErrorCode`]).
pub fn binding(code: BindingErrorCode, message: &str) -> napi::Error {
    exception(code.kind(), code.as_str(), message, None)
}

/// The error of a typed Rust error (kind, code, details), with its `source()` chain as `cause`.
pub fn error(error: &dyn Classified) -> napi::Error {
    let mut value = envelope(
        error.kind(),
        error.code(),
        &error.to_string(),
        error.details(),
    );
    if let Some(cause) = cause_chain(error.source()) {
        value["cause"] = cause;
    }
    to_napi(&value)
}

/// The typed view of an error of a known type (one table, in the host layer).
fn known<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a dyn Classified> {
    entra_providers::host::error_family::classified_of(error)
}

/// The envelopes of a Rust error's sources: known types keep their kind, code and details;
/// others become code `source`.
fn cause_chain(source: Option<&(dyn StdError + 'static)>) -> Option<Value> {
    let source = source?;
    let mut value = match known(source) {
        Some(typed) => envelope(
            typed.kind(),
            typed.code(),
            &source.to_string(),
            typed.details(),
        ),
        None => {
            let code = BindingErrorCode::Source;
            envelope(code.kind(), code.as_str(), &source.to_string(), None)
        }
    };
    if let Some(next) = cause_chain(source.source()) {
        value["cause"] = next;
    }
    Some(value)
}

/// An internal failure (a caught panic, a lost task): code `internal`.
pub fn internal(message: impl Into<String>) -> napi::Error {
    binding(BindingErrorCode::Internal, &message.into())
}

/// Runs `f`, turning a Rust panic into an error with code `internal` instead of an abort.
pub fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(internal(panic_message(payload.as_ref()))),
    }
}

/// Every error kind, so `index.js` can check that its class table covers them all.
#[napi]
pub fn error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// Throws the error of a code of a family (`core`, `provider`, `store`, `sandbox`), for tests of
/// the kind → class mapping. A code the family does not have is thrown as the family's own kind.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn raise_for_code(code: String, message: String, family: Option<String>) -> napi::Result<()> {
    use entra_providers::host::error_family::ErrorFamily;
    let family: ErrorFamily = family
        .as_deref()
        .unwrap_or("core")
        .parse()
        .map_err(|e| error(&e))?;
    let kind = family.kind_of(&code).unwrap_or(family.own_kind());
    Err(exception(kind, &code, &message, None))
}

/// Panics inside Rust, to prove that a panic surfaces as code `internal`.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn panic_for_test() -> napi::Result<()> {
    guard(|| panic!("deliberate panic"))
}

/// Panics inside an async task, to prove that a rejected Promise carries code `internal`.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn panic_async_for_test(
    env: &napi::Env,
) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'_, ()>> {
    crate::runtime::spawn(env, async { panic!("deliberate async panic") })
}
