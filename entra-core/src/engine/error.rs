use thiserror::Error;

use crate::error::CoreError;
use crate::error_kind::ErrorKind;
use crate::ids::RunIdError;
use crate::provider::ProviderError;
use crate::store::StoreError;

/// Why an engine step failed. [`EngineError::code`] passes the underlying stable code through,
/// so hosts switch on the same codes whether they call the pure functions, the providers or the
/// engine.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EngineError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    RunId(#[from] RunIdError),
    /// The tenant has no current mapping to a client, so there is nothing to sync it into.
    #[error("tenant {entra_tenant_id} is not mapped to a client")]
    NotMapped { entra_tenant_id: String },
    /// No tenant is mapped to the client, so a client sync has nothing to do.
    #[error("no tenant is mapped to client {client_id}")]
    ClientNotMapped { client_id: String },
    /// No fresh run id was found within the attempt budget.
    #[error("run {run_id}: every attempt id up to {attempts} is already taken by a finished run")]
    AttemptsExhausted { run_id: String, attempts: u32 },
}

crate::error_codes! {
    /// The codes of the engine's own [`EngineError`] variants; the wrapped errors keep theirs.
    pub enum EngineErrorCode {
        /// The tenant has no current mapping to a client.
        NotMapped = "not_mapped" => InvalidInput,
        /// No fresh run id was found within the attempt budget.
        RunAttemptsExhausted = "run_attempts_exhausted" => Internal,
    }
}

impl EngineError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Provider(e) => e.code(),
            EngineError::Store(e) => e.code(),
            EngineError::Core(e) => e.code(),
            EngineError::RunId(e) => e.code(),
            EngineError::NotMapped { .. } | EngineError::ClientNotMapped { .. } => {
                EngineErrorCode::NotMapped.as_str()
            }
            EngineError::AttemptsExhausted { .. } => EngineErrorCode::RunAttemptsExhausted.as_str(),
        }
    }

    /// The kind of failure: the wrapped error's kind, or the kind of the engine's own code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Provider(e) => e.kind(),
            EngineError::Store(e) => e.kind(),
            EngineError::Core(e) => e.kind(),
            EngineError::RunId(e) => e.kind(),
            EngineError::NotMapped { .. } | EngineError::ClientNotMapped { .. } => {
                EngineErrorCode::NotMapped.kind()
            }
            EngineError::AttemptsExhausted { .. } => EngineErrorCode::RunAttemptsExhausted.kind(),
        }
    }

    /// The structured fields: the wrapped error's, `{entraTenantId}` (or `{clientId}` for a
    /// client sync) for `not_mapped`,
    /// `{runId, attempts}` for `run_attempts_exhausted`.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            EngineError::Provider(e) => e.details(),
            EngineError::Store(e) => e.details(),
            EngineError::Core(e) => e.details(),
            EngineError::RunId(e) => e.details(),
            EngineError::NotMapped { entra_tenant_id } => {
                Some(serde_json::json!({"entraTenantId": entra_tenant_id}))
            }
            EngineError::ClientNotMapped { client_id } => {
                Some(serde_json::json!({"clientId": client_id}))
            }
            EngineError::AttemptsExhausted { run_id, attempts } => {
                Some(serde_json::json!({"runId": run_id, "attempts": attempts}))
            }
        }
    }
}

crate::classified!(EngineError);
