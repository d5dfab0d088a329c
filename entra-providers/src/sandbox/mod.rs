//! A loopback sandbox of the Microsoft identity platform, Microsoft Graph and the CIPP API,
//! serving a deterministic synthetic MSP estate, so hosts can develop and test their sync without
//! Microsoft credentials.
//!
//! It behaves like the real services where sync code can go wrong: real paths and payload shapes,
//! `$top` limits and `@odata.nextLink` paging, tokens scoped to one tenant, refresh-token rotation,
//! delta links with `@removed`, AAD and Graph error bodies, CIPP's plain-text errors and its
//! `200 []` for unknown tenants. Faults (latency, throttling with `Retry-After`, 5xx, missing
//! consent, a page failing half-way, a connection cut mid-page, a malformed body, a foreign or
//! repeated `nextLink`, a token expiring mid-listing, expired delta tokens) can be switched on at
//! any time, and the directory can be changed between runs with [`Mutation`]s.
//!
//! ```no_run
//! # async fn demo() -> Result<(), entra_providers::sandbox::SandboxError> {
//! use entra_providers::sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! let creds = sandbox.credentials();
//! println!("token endpoint: {}/{}/oauth2/v2.0/token", sandbox.login_base_url(), creds.partner_tenant_id);
//! println!("graph: {}/v1.0/users", sandbox.graph_base_url());
//! println!("cipp: {}/api/ListTenants", sandbox.cipp_base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

// Handler steps return the HTTP answer as their error; its size does not matter there.
#[allow(clippy::result_large_err)]
mod cipp;
mod clock;
mod config;
mod config_json;
mod error;
mod estate;
mod filter;
#[allow(clippy::result_large_err)]
mod graph;
mod groups;
mod ids;
mod listing;
#[allow(clippy::result_large_err)]
mod login;
mod mutations;
mod names;
mod page_faults;
mod query;
mod server;
mod state;
mod tokens;
mod user_json;

pub use config::{CippDenial, DeltaFault, Faults, SandboxConfig, TokenFault};
pub use error::{SandboxError, SandboxErrorCode};
pub use estate::{CrmMatch, Deletion, SandboxTenant, SandboxUser, UserKind};
pub use mutations::{Mutation, NewUser};
pub use page_faults::{FOREIGN_HOST, PageFault, PageFaultKind};
pub use server::Sandbox;
pub use state::SandboxCredentials;
