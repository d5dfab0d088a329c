use entra_core::provider::ProviderError;
use entra_core::{Classified, CoreError, ErrorKind};
use thiserror::Error;

use entra_core::store::StoreError;

use crate::auth::StateError;
use crate::secrets::SecretError;

/// Why a host call could not do what it was asked: the JSON does not follow the contract
/// (`invalid_input`, naming the key), it does but describes an unusable configuration (the
/// provider's own error, e.g. `configuration`), the provider call failed, or an OAuth state was
/// refused (`state_*`). Every variant keeps its code, kind and details, so a binding maps a
/// `HostError` to its exceptions as it maps the underlying error ([`Classified`]).
#[derive(Debug, Clone, Error)]
pub enum HostError {
    /// Malformed input: unknown key, wrong type, missing field, a value out of range.
    #[error(transparent)]
    Input(#[from] CoreError),
    /// Well-formed settings the provider refuses, or a failed provider call.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A refused OAuth state or signing key.
    #[error(transparent)]
    State(#[from] StateError),
    /// The sync store failed or refused a write (connection records).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret store failed (saving or clearing connection secrets).
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl HostError {
    /// The underlying typed error.
    fn inner(&self) -> &dyn Classified {
        match self {
            HostError::Input(e) => e,
            HostError::Provider(e) => e,
            HostError::State(e) => e,
            HostError::Store(e) => e,
            HostError::Secret(e) => e,
        }
    }

    /// The stable snake_case code of the underlying error.
    pub fn code(&self) -> &'static str {
        self.inner().code()
    }

    /// The kind of the underlying error.
    pub fn kind(&self) -> ErrorKind {
        self.inner().kind()
    }

    /// The structured details of the underlying error.
    pub fn details(&self) -> Option<serde_json::Value> {
        self.inner().details()
    }
}

entra_core::classified!(HostError);
