//! Error codes grouped by the family a binding's exception classes follow (`core`, `provider`,
//! `store`, `sandbox`), so a binding's test hook can raise any code with the class it would
//! really get, from one table instead of one per binding.

use std::any::Any;
use std::str::FromStr;

use entra_core::engine::EngineErrorCode;
use entra_core::provider::ProviderErrorCode;
use entra_core::store::StoreErrorCode;
use entra_core::{BindingErrorCode, CoreError, CoreErrorCode, ErrorKind, RunIdErrorCode};

use crate::auth::StateErrorCode;
use crate::secrets::SecretErrorCode;

/// The family of error types a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFamily {
    /// The pure core, the engine, run ids and the bindings' own codes.
    Core,
    /// Providers, OAuth state and secrets.
    Provider,
    /// The stores.
    Store,
    /// The sandbox.
    Sandbox,
}

impl FromStr for ErrorFamily {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "core" => Ok(ErrorFamily::Core),
            "provider" => Ok(ErrorFamily::Provider),
            "store" => Ok(ErrorFamily::Store),
            "sandbox" => Ok(ErrorFamily::Sandbox),
            other => Err(CoreError::invalid_input(format!(
                "unknown error family `{}` (core, provider, store, sandbox)",
                entra_core::error::echo(other)
            ))),
        }
    }
}

impl ErrorFamily {
    /// The kind of `code` among this family's typed codes, `None` when no error type of the
    /// family has it.
    pub fn kind_of(self, code: &str) -> Option<ErrorKind> {
        use BindingErrorCode as B;
        match self {
            ErrorFamily::Core => CoreErrorCode::parse(code)
                .map(CoreErrorCode::kind)
                .or_else(|| EngineErrorCode::parse(code).map(EngineErrorCode::kind))
                .or_else(|| RunIdErrorCode::parse(code).map(RunIdErrorCode::kind))
                .or_else(|| {
                    B::parse(code)
                        .filter(|c| *c != B::SandboxStopped)
                        .map(B::kind)
                }),
            ErrorFamily::Provider => ProviderErrorCode::parse(code)
                .map(ProviderErrorCode::kind)
                .or_else(|| StateErrorCode::parse(code).map(StateErrorCode::kind))
                .or_else(|| SecretErrorCode::parse(code).map(SecretErrorCode::kind)),
            ErrorFamily::Store => StoreErrorCode::parse(code).map(StoreErrorCode::kind),
            ErrorFamily::Sandbox => sandbox_kind(code).or_else(|| {
                B::parse(code)
                    .filter(|c| *c == B::SandboxStopped)
                    .map(B::kind)
            }),
        }
    }

    /// The kind a code outside the family's tables is raised with: the family's own base class.
    pub fn own_kind(self) -> ErrorKind {
        match self {
            ErrorFamily::Store => ErrorKind::Store,
            ErrorFamily::Sandbox => ErrorKind::Sandbox,
            ErrorFamily::Core | ErrorFamily::Provider => ErrorKind::Internal,
        }
    }
}

/// The typed view of an error of one of the library's error types, so a binding that holds a
/// `dyn Error` (from a provider callback, a join, a conversion) maps it like any other.
pub fn classified_of<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a dyn entra_core::Classified> {
    macro_rules! first_of {
        ($($ty:ty),+) => {
            $(if let Some(e) = error.downcast_ref::<$ty>() {
                return Some(e);
            })+
        };
    }
    first_of!(
        entra_core::CoreError,
        entra_core::provider::ProviderError,
        entra_core::store::StoreError,
        entra_core::engine::EngineError,
        entra_core::RunIdError,
        crate::auth::StateError,
        crate::secrets::SecretError
    );
    sandbox_error(error)
}

#[cfg(feature = "sandbox")]
fn sandbox_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a dyn entra_core::Classified> {
    error
        .downcast_ref::<crate::sandbox::SandboxError>()
        .map(|e| e as &dyn entra_core::Classified)
}

#[cfg(not(feature = "sandbox"))]
fn sandbox_error<'a>(
    _error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a dyn entra_core::Classified> {
    None
}

#[cfg(feature = "sandbox")]
fn sandbox_kind(code: &str) -> Option<ErrorKind> {
    use crate::sandbox::SandboxErrorCode;
    SandboxErrorCode::parse(code).map(SandboxErrorCode::kind)
}

#[cfg(not(feature = "sandbox"))]
fn sandbox_kind(_code: &str) -> Option<ErrorKind> {
    None
}

/// The readable text of a panic payload, for the `internal` error a binding raises instead of
/// letting a panic cross into Python or JavaScript.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    match payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
    {
        Some(text) => format!("internal error (panic): {text}"),
        None => "internal error (panic)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_resolve_within_their_family_only() {
        let cases: &[(&str, &str, Option<ErrorKind>)] = &[
            ("core", "invalid_input", Some(ErrorKind::InvalidInput)),
            ("store", "invalid_pattern", None),
            ("store", "not_a_code", None),
        ];
        for (family, code, kind) in cases {
            let family: ErrorFamily = family.parse().unwrap();
            assert_eq!(family.kind_of(code), *kind, "{family:?} {code}");
        }
        assert_eq!(ErrorFamily::Store.own_kind(), ErrorKind::Store);
        assert_eq!(
            "galaxy".parse::<ErrorFamily>().unwrap_err().code(),
            "invalid_input"
        );
    }

    #[test]
    fn a_panic_reads_as_its_message_whatever_its_payload() {
        let cases: [(Box<dyn Any + Send>, &str); 3] = [
            (
                Box::new("index out of bounds"),
                "internal error (panic): index out of bounds",
            ),
            (
                Box::new(String::from("owned text")),
                "internal error (panic): owned text",
            ),
            (Box::new(42_u8), "internal error (panic)"),
        ];
        for (payload, expected) in cases {
            assert_eq!(panic_message(payload.as_ref()), expected);
        }
    }
}
