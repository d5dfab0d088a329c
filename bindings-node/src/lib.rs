//! Node bindings of entra-sync: the native addon behind the npm package `entra-sync`.
//!
//! The addon only converts: JSON text written and read by the package's `index.js` to the core's
//! contract and back, Rust futures to Promises, Rust errors to tagged errors that `index.js`
//! rebuilds as `EntraSyncError` subclasses, `tracing` events to the host's logger. Modules mirror
//! the Python binding's (`bindings-python/src`) over the same Rust host layer. They are public
//! so that the exports napi registers are reachable items, not dead code.

pub mod auth;
pub mod client_index;
pub mod engine;
pub mod errors;
pub mod filter_fields;
pub mod logging;
pub mod plan_pieces;
pub mod plan_stream;
pub mod providers;
pub mod pure;
pub mod rotation;
pub mod runtime;
pub mod sandbox;

/// The addon's own Rust allocations (records read from the input, plans, their clean-up on a
/// helper thread) go to mimalloc, which halves their cost against glibc's heap shared with V8.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The package version (the workspace's).
#[napi_derive::napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
