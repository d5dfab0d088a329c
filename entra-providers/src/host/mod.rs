//! The host layer: what every language binding (Python and Node) needs between its own
//! values and the providers, written once. A binding converts its native values to
//! `serde_json::Value` and calls these functions; it holds no contract logic of its own.
//!
//! - [`settings`]: the camelCase settings of the Graph and CIPP providers and of the partner
//!   sign-in (national-cloud presets, base-URL overrides, the retry `policy`), built into
//!   providers by [`graph_provider_from_json`] and [`cipp_provider_from_json`].
//! - [`token_set`]: the token-set JSON a host persists, and its reverse.
//! - [`rotation`]: rotated tokens persisted through a host callback, a failed persist reported
//!   by the provider call during which it happened.
//! - [`auth`]: the partner sign-in (authorize URL, state check, code exchange, refresh) over
//!   [`AuthSettings`], with JSON results.
//! - [`log_bridge`]: the library's `tracing` events handed to the host's logger, with their
//!   run and tenant context; [`error_family`]: error codes grouped as the bindings' classes are.
//! - [`connection`]: the account's connection lifecycle (connect, record a validation,
//!   disconnect, save the CIPP settings) over the sync store and the secret provider.
//! - [`filter_pipeline`]: a large listing's users classified on a second thread while the
//!   binding still reads them out of its own objects.
//! - [`store_call`]: the store's host-facing calls by name, which both bindings' store classes
//!   forward to.
//! - `sandbox` (with the `sandbox` feature): the sandbox's credentials and ready-made provider
//!   settings as JSON. The sandbox configuration itself is read by
//!   [`crate::sandbox::SandboxConfig::from_json`]. `sandbox_views`: the views and one-shot
//!   actions of a running sandbox, by the names the bindings pass.
//!
//! - [`user_sources`]: which input user each user record of a result repeats, so a binding
//!   hands back the caller's own objects.
//!
//! Run triggers and scopes parse with `str::parse` on [`entra_core::ids::RunTrigger`] and
//! [`entra_core::ids::RunScope`]; a `sync_all` run's options are read by
//! `entra_core::engine::RunRequest` (camelCase JSON or filled by the binding).

pub mod auth;
pub mod connection;
pub mod connection_json;
mod error;
pub mod error_family;
pub mod filter_pipeline;
pub mod log_bridge;
pub mod rotation;
#[cfg(feature = "sandbox")]
pub mod sandbox;
#[cfg(feature = "sandbox")]
pub mod sandbox_views;
pub mod settings;
pub mod store_call;
pub mod token_set;
pub mod user_sources;

pub use connection::{
    CippSettingsInput, ConnectionChange, close_connection, connect, disconnect, open_connection,
    record_validation, save_cipp_settings, secrets_to_clear,
};
pub use connection_json::{
    cipp_secrets_json, connect_json, connection_status_json, connection_type_from_name,
    disconnect_json, record_validation_json,
};
pub use error::HostError;
pub use rotation::{
    HostCallbackSink, HostGraphProvider, HostTokenCallback, RotationFailures,
    SurfaceRotationFailures, graph_provider_with_callback, persist_failed,
};
pub use settings::{
    AuthSettings, auth_settings_from_json, cipp_config_from_json, cipp_provider_from_json,
    graph_provider_from_json, graph_settings_from_json,
};
pub use store_call::{CallArgs, StoreAnswer, StoreCall};
pub use token_set::{token_set_from_json, token_set_json};
