use entra_core::ErrorKind;
use thiserror::Error;

entra_core::error_codes! {
    /// The codes of [`SandboxError`], one per variant. A configuration or mutation the sandbox
    /// cannot apply is the caller's input error; the rest are sandbox failures.
    pub enum SandboxErrorCode {
        /// A loopback listener could not be bound or served.
        Io = "io" => Sandbox,
        /// The configuration cannot describe an estate.
        InvalidConfig = "invalid_config" => InvalidInput,
        /// A mutation named a tenant the estate does not contain.
        UnknownTenant = "unknown_tenant" => Sandbox,
        /// A mutation named a user the tenant does not contain.
        UnknownUser = "unknown_user" => Sandbox,
        /// A mutation is not applicable in the user's current state.
        InvalidMutation = "invalid_mutation" => InvalidInput,
    }
}

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
    /// The typed code of this error.
    pub fn typed_code(&self) -> SandboxErrorCode {
        match self {
            Self::Io(_) => SandboxErrorCode::Io,
            Self::InvalidConfig(_) => SandboxErrorCode::InvalidConfig,
            Self::UnknownTenant(_) => SandboxErrorCode::UnknownTenant,
            Self::UnknownUser(_) => SandboxErrorCode::UnknownUser,
            Self::InvalidMutation(_) => SandboxErrorCode::InvalidMutation,
        }
    }

    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// The kind of failure (what a binding maps to an exception class).
    pub fn kind(&self) -> ErrorKind {
        self.typed_code().kind()
    }

    /// `{tenant}` or `{user}` for an unknown tenant or user; nothing for the others.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::UnknownTenant(tenant) => Some(serde_json::json!({"tenant": tenant})),
            Self::UnknownUser(user) => Some(serde_json::json!({"user": user})),
            Self::Io(_) | Self::InvalidConfig(_) | Self::InvalidMutation(_) => None,
        }
    }
}

entra_core::classified!(SandboxError);
