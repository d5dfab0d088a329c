//! entra-core: the pure decision core of entra-sync.
//!
//! Everything here is a deterministic function of plain records (the canonical contract in
//! [`model`]), so Rust, Python and Node hosts get byte-identical decisions. The crate performs no
//! I/O of its own: providers ([`provider::EntraProvider`]) and storage ([`store`]) are traits that
//! the host or `entra-providers` implement. The optional `sqlite` feature adds a durable store.

pub mod api;
pub mod clock;
pub mod engine;
pub mod error;
pub mod error_kind;
pub mod filter;
pub mod ids;
pub mod json;
pub mod mapping;
pub mod model;
pub mod provider;
pub mod reconcile;
pub mod store;

pub use engine::SyncEngine;
pub use error::{CoreError, CoreErrorCode};
pub use error_kind::{BindingErrorCode, Classified, ErrorKind};
pub use ids::{RunIdError, RunIdErrorCode, RunKey, run_id};
pub use store::{MemoryStore, SyncStore};
