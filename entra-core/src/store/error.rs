use thiserror::Error;

use crate::error_kind::ErrorKind;

crate::error_codes! {
    /// The codes of [`StoreError`], one per variant. Every store failure is of kind `store`,
    /// whatever its code (an `invalid_input` from a store is a store failure).
    pub enum StoreErrorCode {
        /// The underlying database failed.
        Backend = "store_backend" => Store,
        /// A stored record could not be read back.
        Corrupt = "store_corrupt" => Store,
        /// Records handed to the store contradict each other or the stored state.
        InvalidInput = "invalid_input" => Store,
        /// A write would overwrite something that must never change.
        Refused = "store_refused" => Store,
        /// The named record does not exist.
        NotFound = "not_found" => Store,
        /// A deliberately injected failure.
        InjectedFault = "injected_fault" => Store,
    }
}

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
    /// The typed code of this error.
    pub fn typed_code(&self) -> StoreErrorCode {
        match self {
            StoreError::Backend { .. } => StoreErrorCode::Backend,
            StoreError::Corrupt { .. } => StoreErrorCode::Corrupt,
            StoreError::InvalidInput { .. } => StoreErrorCode::InvalidInput,
            StoreError::Refused { .. } => StoreErrorCode::Refused,
            StoreError::NotFound { .. } => StoreErrorCode::NotFound,
            StoreError::InjectedFault { .. } => StoreErrorCode::InjectedFault,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// The kind of failure: always [`ErrorKind::Store`].
    pub fn kind(&self) -> ErrorKind {
        self.typed_code().kind()
    }

    /// Store errors carry no structured fields beyond their message.
    pub fn details(&self) -> Option<serde_json::Value> {
        None
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

crate::classified!(StoreError);
