//! What kind of failure an error is, independent of which crate raised it. Every error type of
//! the workspace has a typed code enum (declared with `error_codes!`) whose codes each map to
//! one [`ErrorKind`] by an exhaustive match, so a binding maps `kind` to its own exception class
//! with another exhaustive match and a new code can never silently fall back to a base class.
//! The table of every code is `docs/errors.md`; a test checks it against the enums.

use serde::Serialize;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )+) => {
        /// The kind of a failure: what a caller does about it. Bindings map each kind to one
        /// exception class (Python: see `bindings-python/src/errors.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorKind {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)+];

            /// The stable snake_case name of the kind (the `kind` column of `docs/errors.md`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $name,)+
                }
            }

            /// The kind named `name`, if there is one.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == name)
            }
        }
    };
}

kinds! {
    /// The input does not follow the contract; the message names the offending field.
    InvalidInput = "invalid_input",
    /// A custom exclusion pattern is not a valid (or is a too large) regular expression.
    InvalidPattern = "invalid_pattern",
    /// A batch of mapping operations contradicts itself or the current mappings.
    MappingConflict = "mapping_conflict",
    /// A remap named a client that is no longer the tenant's current client.
    StaleMapping = "stale_mapping",
    /// The application is not (admin-)consented in the customer tenant.
    Consent = "consent",
    /// Authentication or authorization failed (tokens, secrets, roles, OAuth state).
    Auth = "auth",
    /// The upstream kept throttling after the retry budget was spent.
    Throttled = "throttled",
    /// The upstream failed, was unreachable or answered in an unexpected shape.
    Upstream = "upstream",
    /// Settings or credentials are missing or malformed.
    Configuration = "configuration",
    /// The provider does not support the operation.
    Unsupported = "unsupported",
    /// The sync store failed.
    Store = "store",
    /// The loopback sandbox could not start, was used after shutdown or failed to serve.
    Sandbox = "sandbox",
    /// Anything else: a bug, a panic, a runtime that has stopped. Bindings raise their base class.
    Internal = "internal",
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that a binding can convert without knowing its type: its stable code, its kind and
/// its structured details. Implemented by every error type of the workspace.
pub trait Classified: std::error::Error + 'static {
    /// The stable machine-readable snake_case code.
    fn code(&self) -> &'static str;
    /// What kind of failure this is.
    fn kind(&self) -> ErrorKind;
    /// The structured fields of the error as camelCase JSON (what bindings expose as
    /// `details`), or `None` when it has none beyond its message.
    fn details(&self) -> Option<serde_json::Value>;
}

/// Declares a typed code enum: each variant has its snake_case code and its [`ErrorKind`].
/// Generates `ALL`, `as_str`, `kind` (exhaustive matches built from the one list, so a new code
/// cannot be left without a kind) and `parse`.
#[macro_export]
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $kind:ident, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The kind of failure the code stands for.
            pub fn kind(self) -> $crate::error_kind::ErrorKind {
                match self {
                    $($name::$variant => $crate::error_kind::ErrorKind::$kind,)+
                }
            }

            /// The code spelled `code`, if this type has one.
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == code)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Implements [`Classified`] for error types whose inherent `code`, `kind` and `details`
/// methods already say it all (the trait only forwards to them), so each error type keeps its
/// methods callable without the trait in scope and states the forwarding once:
/// `entra_core::classified!(MyError);`.
#[macro_export]
macro_rules! classified {
    ($($ty:ty),+ $(,)?) => {
        $(
            impl $crate::Classified for $ty {
                fn code(&self) -> &'static str {
                    <$ty>::code(self)
                }
                fn kind(&self) -> $crate::ErrorKind {
                    <$ty>::kind(self)
                }
                fn details(&self) -> ::core::option::Option<$crate::__serde_json::Value> {
                    <$ty>::details(self)
                }
            }
        )+
    };
}

error_codes! {
    /// Codes a language binding raises itself, for failures that have no Rust error type. They
    /// live here so that every binding raises the same codes with the same kinds.
    pub enum BindingErrorCode {
        /// A Rust panic was caught, or a worker task was lost.
        Internal = "internal" => Internal,
        /// A call arrived while the interpreter was exiting and the runtime had shut down.
        RuntimeStopped = "runtime_stopped" => Internal,
        /// An error in a `__cause__` chain whose type has no code of its own (an I/O error, ...).
        Source = "source" => Internal,
        /// A sandbox was used after it was shut down.
        SandboxStopped = "sandbox_stopped" => Sandbox,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_unique_and_parse_back() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(*kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        assert_eq!(ErrorKind::parse("no_such_kind"), None);
    }

    #[test]
    fn binding_codes_parse_back_and_unknown_codes_do_not() {
        for code in BindingErrorCode::ALL {
            assert_eq!(BindingErrorCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(BindingErrorCode::parse("something_new"), None);
        assert_eq!(BindingErrorCode::Internal.kind(), ErrorKind::Internal);
        assert_eq!(BindingErrorCode::SandboxStopped.kind(), ErrorKind::Sandbox);
    }
}
