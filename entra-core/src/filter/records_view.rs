//! The records form of a filter result, written from its positions and the users they point
//! into: it serializes exactly as [`FilterOutput`](super::FilterOutput) does, without copying a
//! single user. A binding that read the users from its caller's objects writes the result
//! straight from those records (and hands back the caller's own objects where they already equal
//! them), so the copies `filter_users` makes are never made.

use serde::Serialize;

use super::{ExclusionReason, FilterPositions};
use crate::error::CoreError;
use crate::model::{EntraUser, Warning};

/// [`FilterOutput`](super::FilterOutput) borrowed from positions and their users. Same names,
/// same keys, same order.
#[derive(Debug, Serialize)]
#[serde(rename = "FilterOutput", rename_all = "camelCase")]
pub struct FilterRecords<'a> {
    pub included: Vec<&'a EntraUser>,
    pub excluded: Vec<ExcludedRecord<'a>>,
    #[serde(skip_serializing_if = "<[Warning]>::is_empty")]
    pub warnings: &'a [Warning],
}

/// [`ExcludedUser`](super::ExcludedUser), borrowed.
#[derive(Debug, Serialize)]
#[serde(rename = "ExcludedUser", rename_all = "camelCase")]
pub struct ExcludedRecord<'a> {
    pub user: &'a EntraUser,
    pub reason: ExclusionReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<&'a str>,
}

impl FilterPositions {
    /// The records these positions name in `users` (the users they were decided on): an
    /// `invalid_input` error when a position is not in `users`.
    pub fn records<'a>(&'a self, users: &'a [EntraUser]) -> Result<FilterRecords<'a>, CoreError> {
        let user = |index: usize| {
            users.get(index).ok_or_else(|| {
                CoreError::invalid_input(format!(
                    "filter position {index} is not among the {} users",
                    users.len()
                ))
            })
        };
        let included = self
            .included
            .iter()
            .map(|&index| user(index))
            .collect::<Result<_, _>>()?;
        let excluded = self
            .excluded
            .iter()
            .map(|p| {
                Ok(ExcludedRecord {
                    user: user(p.index)?,
                    reason: p.reason,
                    pattern: p.pattern.as_deref(),
                })
            })
            .collect::<Result<_, CoreError>>()?;
        Ok(FilterRecords {
            included,
            excluded,
            warnings: &self.warnings,
        })
    }
}
