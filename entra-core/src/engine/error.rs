use thiserror::Error;

use crate::error::CoreError;
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
    /// No fresh run id was found within the attempt budget.
    #[error("run {run_id}: every attempt id up to {attempts} is already taken by a finished run")]
    AttemptsExhausted { run_id: String, attempts: u32 },
}

impl EngineError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Provider(e) => e.code(),
            EngineError::Store(e) => e.code(),
            EngineError::Core(e) => e.code(),
            EngineError::RunId(e) => e.code(),
            EngineError::NotMapped { .. } => "not_mapped",
            EngineError::AttemptsExhausted { .. } => "run_attempts_exhausted",
        }
    }
}
