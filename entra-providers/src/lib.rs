//! entra-providers: HTTP adapters for Microsoft Graph (partner / GDAP) and the CIPP API, behind
//! the [`entra_core::provider::EntraProvider`] trait, with OAuth, secrets and a shared retry policy.

pub mod auth;
pub mod cipp;
pub mod graph;
#[cfg(feature = "host")]
pub mod host;
pub mod http;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secrets;
mod tenant_id;
pub mod user_rows;
pub mod validation;
