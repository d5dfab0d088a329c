//! Errors of the pure functions. Every variant has a stable snake_case [`CoreError::code`] that
//! hosts and bindings switch on; messages are for people and may change.

use thiserror::Error;

use crate::error_kind::ErrorKind;
use crate::reconcile::PlanRule;

crate::error_codes! {
    /// The codes of [`CoreError`], one per variant.
    pub enum CoreErrorCode {
        /// The input does not follow the contract.
        InvalidInput = "invalid_input" => InvalidInput,
        /// A custom exclusion pattern is invalid or too large.
        InvalidPattern = "invalid_pattern" => InvalidPattern,
        /// Mapping operations contradict themselves or the current mappings.
        MappingConflict = "mapping_conflict" => MappingConflict,
        /// A remap named a client that is no longer current.
        StaleMapping = "stale_mapping" => StaleMapping,
        /// `apply_plan` refused a plan.
        PlanRejected = "plan_rejected" => InvalidInput,
        /// The JSON entry point does not know the function.
        UnknownFunction = "unknown_function" => InvalidInput,
    }
}

/// An error from one of the pure decision functions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// The input does not follow the contract; the message names the offending field.
    #[error("invalid input: {message}")]
    InvalidInput { message: String },
    /// A custom exclusion pattern is not a valid (or too large) regular expression, or the list
    /// of patterns breaks a limit (count, combined compiled size). `pattern` is quoted truncated.
    #[error("invalid pattern `{pattern}`: {message}")]
    InvalidPattern { pattern: String, message: String },
    /// A batch of mapping operations assigns one tenant to two clients, or otherwise contradicts itself.
    #[error("mapping conflict: {message}")]
    MappingConflict {
        message: String,
        entra_tenant_id: String,
        client_ids: Vec<String>,
    },
    /// A remap named a current client that is not the tenant's current client.
    #[error("stale mapping: {message}")]
    StaleMapping {
        message: String,
        entra_tenant_id: String,
    },
    /// `apply_plan` refused a plan that breaks one of the planner's rules or was made from other
    /// input; nothing was applied. `rule` says which rule, `action_index` which action of
    /// `plan.actions` (none for the plan as a whole).
    #[error("plan rejected ({rule}): {message}")]
    PlanRejected {
        rule: PlanRule,
        action_index: Option<usize>,
        message: String,
    },
    /// The JSON entry point was asked for a function it does not know.
    #[error("unknown function `{name}`")]
    UnknownFunction { name: String },
}

impl CoreError {
    /// The typed code of this error.
    pub fn typed_code(&self) -> CoreErrorCode {
        match self {
            CoreError::InvalidInput { .. } => CoreErrorCode::InvalidInput,
            CoreError::InvalidPattern { .. } => CoreErrorCode::InvalidPattern,
            CoreError::MappingConflict { .. } => CoreErrorCode::MappingConflict,
            CoreError::StaleMapping { .. } => CoreErrorCode::StaleMapping,
            CoreError::PlanRejected { .. } => CoreErrorCode::PlanRejected,
            CoreError::UnknownFunction { .. } => CoreErrorCode::UnknownFunction,
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// The kind of failure (what a binding maps to an exception class).
    pub fn kind(&self) -> ErrorKind {
        self.typed_code().kind()
    }

    /// The structured fields of the error as camelCase JSON (what bindings expose as
    /// `details`), or `None` when it has none beyond its message.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            CoreError::MappingConflict {
                entra_tenant_id,
                client_ids,
                ..
            } => {
                Some(serde_json::json!({"entraTenantId": entra_tenant_id, "clientIds": client_ids}))
            }
            CoreError::StaleMapping {
                entra_tenant_id, ..
            } => Some(serde_json::json!({"entraTenantId": entra_tenant_id})),
            CoreError::InvalidPattern { pattern, .. } => {
                Some(serde_json::json!({"pattern": pattern}))
            }
            CoreError::PlanRejected {
                rule, action_index, ..
            } => Some(serde_json::json!({"rule": rule.as_str(), "actionIndex": action_index})),
            CoreError::InvalidInput { .. } | CoreError::UnknownFunction { .. } => None,
        }
    }

    /// Shorthand for an `invalid_input` error. A message longer than [`MAX_MESSAGE_CHARS`]
    /// (one that quotes a huge input) is cut the way [`echo`] cuts a quote.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        let message = message.into();
        CoreError::InvalidInput {
            message: echo_up_to(&message, MAX_MESSAGE_CHARS).into_owned(),
        }
    }
}

crate::classified!(CoreError);

/// How many characters of a user-supplied text an error quotes.
pub const MAX_ECHO_CHARS: usize = 80;
/// How many characters an `invalid_input` message keeps at most.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// `text` as an error may quote it: unchanged up to [`MAX_ECHO_CHARS`] characters, else its first
/// [`MAX_ECHO_CHARS`] characters followed by `…(N bytes)` with the full length. A 50 MB pattern
/// or identifier must not come back whole in a message, a log line or an exception.
pub fn echo(text: &str) -> std::borrow::Cow<'_, str> {
    echo_up_to(text, MAX_ECHO_CHARS)
}

pub(crate) fn echo_up_to(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!(
            "{}…({} bytes)",
            text.get(..cut).unwrap_or_default(),
            text.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_keeps_short_texts_and_cuts_long_ones() {
        assert_eq!(echo("^ext-"), "^ext-");
        let exact = "é".repeat(MAX_ECHO_CHARS);
        assert_eq!(echo(&exact), exact);
        let long = "é".repeat(MAX_ECHO_CHARS + 1);
        assert_eq!(
            echo(&long),
            format!("{}…({} bytes)", "é".repeat(MAX_ECHO_CHARS), long.len())
        );
    }

    #[test]
    fn invalid_input_messages_are_bounded() {
        let huge = "x".repeat(5_000_000);
        let err = CoreError::invalid_input(format!("tenant `{huge}` is unknown"));
        let message = err.to_string();
        assert!(message.len() < 2 * MAX_MESSAGE_CHARS, "{}", message.len());
        assert!(message.ends_with("…(5000020 bytes)"), "{message}");
    }
}
