//! Errors of the pure functions. Every variant has a stable snake_case [`CoreError::code`] that
//! hosts and bindings switch on; messages are for people and may change.

use thiserror::Error;

use crate::reconcile::PlanRule;

/// An error from one of the pure decision functions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// The input does not follow the contract; the message names the offending field.
    #[error("invalid input: {message}")]
    InvalidInput { message: String },
    /// A custom exclusion pattern is not a valid (or too large) regular expression.
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
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidInput { .. } => "invalid_input",
            CoreError::InvalidPattern { .. } => "invalid_pattern",
            CoreError::MappingConflict { .. } => "mapping_conflict",
            CoreError::StaleMapping { .. } => "stale_mapping",
            CoreError::PlanRejected { .. } => "plan_rejected",
            CoreError::UnknownFunction { .. } => "unknown_function",
        }
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

    /// Shorthand for an `invalid_input` error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        CoreError::InvalidInput {
            message: message.into(),
        }
    }
}
