//! entra-core: the pure decision core of entra-sync.
//!
//! Built with its default features the crate is the pure decision core: every public function
//! is a deterministic function of plain records (the canonical contract in [`model`]), so Rust,
//! Python and Node hosts get byte-identical decisions. It performs no I/O, reads no system time
//! and starts no thread: providers ([`provider::EntraProvider`]), storage ([`store::SyncStore`])
//! and time ([`clock::Clock`]) are traits the host or `entra-providers` implement.
//!
//! The shell is opt-in, by feature:
//! - `wall-clock`: `clock::WallClock`, the system time and timer-thread waits;
//! - `engine` (implies `wall-clock`): the sync engine and the in-memory store, which keep time
//!   through an injected [`clock::Clock`] (the wall clock by default);
//! - `sqlite` (implies `engine`): the durable SQLite store, which does file I/O.

pub mod api;
pub mod clock;
#[cfg(feature = "engine")]
pub mod engine;
pub mod error;
pub mod error_kind;
pub mod filter;
pub mod ids;
pub mod json;
pub mod licenses;
pub mod mapping;
pub mod model;
pub mod provider;
pub mod reconcile;
pub mod store;

#[cfg(feature = "engine")]
pub use engine::SyncEngine;
pub use error::{CoreError, CoreErrorCode};
pub use error_kind::{BindingErrorCode, Classified, ErrorKind};
pub use ids::{RunIdError, RunIdErrorCode, RunKey, run_id};
/// For the [`classified!`] macro's expansion in other crates.
#[doc(hidden)]
pub use serde_json as __serde_json;
#[cfg(feature = "engine")]
pub use store::MemoryStore;
pub use store::SyncStore;
