//! The report a connection check produces, shared by the direct (Graph) and CIPP providers:
//! named steps, each passed, failed with the error code that tells the operator what to fix, or
//! skipped because an earlier step failed.

use entra_core::provider::ProviderError;
use serde::{Deserialize, Serialize};

/// The outcome of one named check of a direct connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Not run because a check it depends on failed.
    Skipped,
}

/// One named check: what was tried, whether it worked, and the error code that tells the
/// operator what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationCheck {
    /// The step's stable name, e.g. `token_refreshable` (direct) or `token_minted` (CIPP).
    pub name: String,
    pub status: CheckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ValidationCheck {
    pub(crate) fn passed(name: &str, message: Option<String>) -> Self {
        Self {
            name: name.to_string(),
            status: CheckStatus::Passed,
            error_code: None,
            message,
        }
    }

    pub(crate) fn failed(name: &str, err: &ProviderError) -> Self {
        Self {
            name: name.to_string(),
            status: CheckStatus::Failed,
            error_code: Some(err.code().to_string()),
            message: Some(err.message.clone()),
        }
    }

    pub(crate) fn skipped(name: &str, reason: &str) -> Self {
        Self {
            name: name.to_string(),
            status: CheckStatus::Skipped,
            error_code: None,
            message: Some(reason.to_string()),
        }
    }
}

/// The checks of one connection, in order; `ok` only when every check passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationReport {
    pub ok: bool,
    pub checks: Vec<ValidationCheck>,
}

impl ValidationReport {
    pub(crate) fn new(checks: Vec<ValidationCheck>) -> Self {
        Self {
            ok: checks.iter().all(|c| c.status == CheckStatus::Passed),
            checks,
        }
    }

    /// The check named `name`, if it was part of the report.
    pub fn check(&self, name: &str) -> Option<&ValidationCheck> {
        self.checks.iter().find(|c| c.name == name)
    }
}
