//! Node bindings of entra-sync: the native addon behind the npm package `entra-sync`.
//!
//! The addon only converts: JSON text written and read by the package's `index.js` to the core's
//! contract and back, Rust futures to Promises, Rust errors to tagged errors that `index.js`
//! rebuilds as `EntraSyncError` subclasses, `tracing` events to the host's logger. Modules mirror
//! the Python binding's (`bindings-python/src`) over the same Rust host layer.

mod engine;
mod errors;
mod logging;
mod providers;
mod pure;
mod rotation;
mod runtime;
mod sandbox;

/// The package version (the workspace's).
#[napi_derive::napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
