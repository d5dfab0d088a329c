use thiserror::Error;

/// A storage failure. Messages name the table or record involved, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The underlying database failed (I/O, constraint, corruption).
    #[error("storage backend failed: {message}")]
    Backend { message: String },
    /// A stored record could not be read back into the contract shape.
    #[error("stored record is corrupt: {message}")]
    Corrupt { message: String },
    /// The caller handed over records that contradict each other or the stored state.
    #[error("invalid store input: {message}")]
    InvalidInput { message: String },
    /// A write was refused because it would overwrite something that must never change
    /// (for example a finished run).
    #[error("refused: {message}")]
    Refused { message: String },
    /// The named record does not exist.
    #[error("not found: {message}")]
    NotFound { message: String },
    /// A deliberately injected failure, used to prove that writes are all-or-nothing.
    #[error("injected fault: {message}")]
    InjectedFault { message: String },
}

impl StoreError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Backend { .. } => "store_backend",
            StoreError::Corrupt { .. } => "store_corrupt",
            StoreError::InvalidInput { .. } => "invalid_input",
            StoreError::Refused { .. } => "store_refused",
            StoreError::NotFound { .. } => "not_found",
            StoreError::InjectedFault { .. } => "injected_fault",
        }
    }

    #[cfg_attr(not(feature = "engine"), allow(dead_code))]
    pub(crate) fn backend(message: impl std::fmt::Display) -> Self {
        StoreError::Backend {
            message: message.to_string(),
        }
    }

    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn corrupt(message: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            message: message.to_string(),
        }
    }

    #[cfg_attr(not(feature = "engine"), allow(dead_code))]
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        StoreError::InvalidInput {
            message: message.into(),
        }
    }
}
