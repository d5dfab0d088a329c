use entra_core::CoreError;
use entra_core::provider::ProviderError;
use thiserror::Error;

/// Why a host call could not build what it was asked for: the JSON does not follow the
/// contract (`invalid_input`, naming the key), or it does but describes an unusable
/// configuration (the provider's own error, e.g. `configuration`). Both keep their codes, so a
/// binding maps them to its exceptions exactly as it maps core and provider errors.
#[derive(Debug, Clone, Error)]
pub enum HostError {
    /// Malformed input: unknown key, wrong type, missing field.
    #[error(transparent)]
    Input(#[from] CoreError),
    /// Well-formed settings the provider refuses.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl HostError {
    /// The stable snake_case code of the underlying error.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::Input(e) => e.code(),
            HostError::Provider(e) => e.code(),
        }
    }
}
