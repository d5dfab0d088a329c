//! Errors of the pure functions. Every variant has a stable snake_case [`CoreError::code`] that
//! hosts and bindings switch on; messages are for people and may change.

use thiserror::Error;

/// An error from one of the pure decision functions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// The input does not follow the contract; the message names the offending field.
    #[error("invalid input: {message}")]
    InvalidInput { message: String },
    /// A custom exclusion pattern is not a valid (or too large) regular expression.
    #[error("invalid pattern `{pattern}`: {message}")]
    InvalidPattern { pattern: String, message: String },
    /// A batch of mapping operations assigns one tenant to two clients, or otherwise contradicts itself.
    #[error("mapping conflict: {message}")]
    MappingConflict {
        message: String,
        entra_tenant_id: String,
        client_ids: Vec<String>,
    },
    /// A remap named a current client that is not the tenant's current client.
    #[error("stale mapping: {message}")]
    StaleMapping {
        message: String,
        entra_tenant_id: String,
    },
    /// The JSON entry point was asked for a function it does not know.
    #[error("unknown function `{name}`")]
    UnknownFunction { name: String },
}

impl CoreError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidInput { .. } => "invalid_input",
            CoreError::InvalidPattern { .. } => "invalid_pattern",
            CoreError::MappingConflict { .. } => "mapping_conflict",
            CoreError::StaleMapping { .. } => "stale_mapping",
            CoreError::UnknownFunction { .. } => "unknown_function",
        }
    }

    /// Shorthand for an `invalid_input` error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        CoreError::InvalidInput {
            message: message.into(),
        }
    }
}
