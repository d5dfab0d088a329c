use thiserror::Error;

/// Why the sandbox could not start or could not apply a change.
#[derive(Debug, Error)]
pub enum SandboxError {
    /// A loopback listener could not be bound or served.
    #[error("sandbox listener failed: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration cannot describe an estate (e.g. zero users and special accounts requested).
    #[error("invalid sandbox configuration: {0}")]
    InvalidConfig(String),
    /// A mutation named a tenant the estate does not contain.
    #[error("unknown tenant '{0}'")]
    UnknownTenant(String),
    /// A mutation named a user the tenant does not contain (or one already deleted).
    #[error("unknown user '{0}'")]
    UnknownUser(String),
    /// A mutation is not applicable in the user's current state.
    #[error("invalid mutation: {0}")]
    InvalidMutation(String),
}

impl SandboxError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io",
            Self::InvalidConfig(_) => "invalid_config",
            Self::UnknownTenant(_) => "unknown_tenant",
            Self::UnknownUser(_) => "unknown_user",
            Self::InvalidMutation(_) => "invalid_mutation",
        }
    }
}
