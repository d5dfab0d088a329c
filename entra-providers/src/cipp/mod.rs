//! The CIPP provider: Entra data of an MSP's customer tenants read through a CIPP instance's API.
//!
//! CIPP is called as an Entra "API client": an app registration in the CIPP tenant whose
//! client-credentials token (audience `api://{clientId}`) is sent as a bearer token. Tenants come
//! from `ListTenants`, users from `ListGraphRequest` page by page, and failures arrive as plain
//! text that [`errors`] turns into typed codes. CIPP cannot relay delta queries, so every user
//! listing is a full one.

pub mod client;
pub mod config;
mod directory;
pub mod errors;
pub mod provider;
pub mod tenants;
pub mod token;
pub mod users;
pub mod validate;

pub use client::CippApi;
pub use config::{CippConfig, DEFAULT_GRAPH_HOST, DEFAULT_LOGIN_BASE, MAX_PAGE_SIZE};
pub use errors::classify_cipp_failure;
pub use provider::CippProvider;
pub use token::{CippTokens, TokenOrigin};
pub use users::UserPage;
pub use validate::{validate_cipp_connection, validate_cipp_from_secrets};
