//! Group scope: a tenant may sync only the members of some groups (`includeGroupIds`) and never
//! the members of others (`excludeGroupIds`). The provider reads each group's transitive members
//! once per run; this module only decides from those listings.
//!
//! A listing that failed, stopped half-way or was not given proves nothing about absence, and a
//! group that no longer exists is not an empty group: in both cases a user the listing would have
//! to place is `group_scope_unknown`, which the planner treats as "leave alone" (no create, no
//! link closed, no inactivation), and a warning names the group.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::model::{FilterOptions, Warning};
use crate::reconcile::hashing::{FastMap, FastSet};

use super::ExclusionReason;

/// One group's transitive members (user object ids), as the provider listed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMembership {
    pub group_id: String,
    #[serde(default, deserialize_with = "crate::model::nullable::or_default")]
    pub member_ids: Vec<String>,
    /// Required: a listing of unknown completeness must not be read as complete.
    pub status: GroupListingStatus,
}

/// How a group listing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupListingStatus {
    /// Every page was read: absence means "not a member".
    Complete,
    /// The listing failed or stopped: absence means nothing.
    Incomplete,
    /// The group does not exist (any more) in the tenant.
    NotFound,
}

/// The include or the exclude side of a scope: the members of its groups, and whether every
/// one of its groups was listed completely.
#[derive(Debug, Default)]
struct Side {
    members: FastSet<String>,
    all_complete: bool,
}

impl Side {
    fn contains(&self, object_id: &str) -> bool {
        self.members.contains(object_id)
    }
}

/// A compiled group scope; `None` sides are not configured.
#[derive(Debug, Default)]
pub struct GroupScope {
    include: Option<Side>,
    exclude: Option<Side>,
}

impl GroupScope {
    /// Whether no group setting is configured (everyone is in scope).
    pub fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    /// Whether every group listing the scope needs was read completely (vacuously true without
    /// group settings). Leaving the scope inactivates only on a complete scope.
    pub fn is_complete(&self) -> bool {
        [&self.include, &self.exclude]
            .into_iter()
            .flatten()
            .all(|side| side.all_complete)
    }

    /// Builds the scope of `options` from the listings, with one warning per group whose
    /// listing cannot place everybody. A blank group id, or two listings of one group, is an
    /// `invalid_input` error.
    pub fn build(
        options: &FilterOptions,
        memberships: &[GroupMembership],
    ) -> Result<(Self, Vec<Warning>), CoreError> {
        let mut warnings = Vec::new();
        if options.include_group_ids.is_empty() && options.exclude_group_ids.is_empty() {
            return Ok((Self::default(), warnings));
        }
        let mut by_group: FastMap<String, &GroupMembership> = FastMap::default();
        for (i, m) in memberships.iter().enumerate() {
            let id = normalize(&m.group_id);
            if id.is_empty() {
                return Err(CoreError::invalid_input(format!(
                    "`groupMemberships[{i}].groupId` must not be empty"
                )));
            }
            if by_group.insert(id, m).is_some() {
                return Err(CoreError::invalid_input(format!(
                    "`groupMemberships[{i}].groupId` `{}` is listed twice",
                    m.group_id.trim()
                )));
            }
        }
        let mut side = |ids: &[String], field: &str| -> Result<Option<Side>, CoreError> {
            if ids.is_empty() {
                return Ok(None);
            }
            let mut out = Side {
                members: FastSet::default(),
                all_complete: true,
            };
            for (i, raw) in ids.iter().enumerate() {
                let id = normalize(raw);
                if id.is_empty() {
                    return Err(CoreError::invalid_input(format!(
                        "`settings.filter.{field}[{i}]` must not be empty"
                    )));
                }
                let status = by_group.get(&id).map(|m| m.status);
                match status {
                    Some(GroupListingStatus::Complete) => {}
                    Some(GroupListingStatus::Incomplete) => {
                        out.all_complete = false;
                        warnings.push(Warning::new(
                            "group_listing_incomplete",
                            format!("the member listing of group `{id}` did not finish; users absent from it are treated as unknown (left as they are: nobody is created, unlinked or inactivated for it)"),
                        ));
                    }
                    Some(GroupListingStatus::NotFound) => {
                        out.all_complete = false;
                        warnings.push(Warning::new(
                            "group_not_found",
                            format!("group `{id}` (in `{field}`) no longer exists in the tenant; its scope is treated as unknown, not as empty: update the tenant's group settings"),
                        ));
                    }
                    None => {
                        out.all_complete = false;
                        warnings.push(Warning::new(
                            "group_listing_incomplete",
                            format!("no member listing was given for group `{id}`; users absent from it are treated as unknown (left as they are)"),
                        ));
                    }
                }
                if let Some(m) = by_group.get(&id) {
                    out.members
                        .extend(m.member_ids.iter().map(|m| normalize(m)));
                }
            }
            Ok(Some(out))
        };
        let include = side(&options.include_group_ids, "includeGroupIds")?;
        let exclude = side(&options.exclude_group_ids, "excludeGroupIds")?;
        Ok((Self { include, exclude }, warnings))
    }

    /// The scope's verdict on a user: `None` when in scope, else the reason (exclusion wins over
    /// inclusion; an empty include list means everyone).
    pub fn verdict(&self, object_id: &str) -> Option<ExclusionReason> {
        if self.is_empty() {
            return None;
        }
        let id = normalize(object_id);
        if let Some(exclude) = &self.exclude {
            if exclude.contains(&id) {
                return Some(ExclusionReason::InExcludedGroup);
            }
            if !exclude.all_complete {
                return Some(ExclusionReason::GroupScopeUnknown);
            }
        }
        match &self.include {
            None => None,
            Some(include) if include.contains(&id) => None,
            Some(include) if include.all_complete => Some(ExclusionReason::NotInIncludedGroup),
            Some(_) => Some(ExclusionReason::GroupScopeUnknown),
        }
    }
}

/// Object ids are GUIDs: compared trimmed and lowercased.
fn normalize(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExclusionReason::{GroupScopeUnknown, InExcludedGroup, NotInIncludedGroup};
    use GroupListingStatus::{Complete, Incomplete, NotFound};

    fn listing(id: &str, members: &[&str], status: GroupListingStatus) -> GroupMembership {
        GroupMembership {
            group_id: id.into(),
            member_ids: members.iter().map(|m| m.to_string()).collect(),
            status,
        }
    }

    /// (case, include ids, exclude ids, listings, user, verdict, warning codes)
    #[test]
    fn verdicts_by_case() {
        type Case = (
            &'static str,
            &'static [&'static str],
            &'static [&'static str],
            Vec<GroupMembership>,
            &'static str,
            Option<ExclusionReason>,
            &'static [&'static str],
        );
        let cases: Vec<Case> = vec![
            ("no groups: everyone", &[], &[], vec![], "u1", None, &[]),
            (
                "member of an included group",
                &["g1"],
                &[],
                vec![listing("g1", &["U1"], Complete)],
                "u1",
                None,
                &[],
            ),
            (
                "absent from complete include listing",
                &["g1"],
                &[],
                vec![listing("g1", &["u2"], Complete)],
                "u1",
                Some(NotInIncludedGroup),
                &[],
            ),
            (
                "member of one of two included groups",
                &["g1", "g2"],
                &[],
                vec![
                    listing("g1", &[], Complete),
                    listing("g2", &["u1"], Complete),
                ],
                "u1",
                None,
                &[],
            ),
            (
                "absent from incomplete include listing is unknown",
                &["g1"],
                &[],
                vec![listing("g1", &["u2"], Incomplete)],
                "u1",
                Some(GroupScopeUnknown),
                &["group_listing_incomplete"],
            ),
            (
                "present in incomplete include listing is in scope",
                &["g1"],
                &[],
                vec![listing("g1", &["u1"], Incomplete)],
                "u1",
                None,
                &["group_listing_incomplete"],
            ),
            (
                "deleted include group is unknown, not empty",
                &["g1"],
                &[],
                vec![listing("g1", &[], NotFound)],
                "u1",
                Some(GroupScopeUnknown),
                &["group_not_found"],
            ),
            (
                "include group without a listing is unknown",
                &["g1"],
                &[],
                vec![],
                "u1",
                Some(GroupScopeUnknown),
                &["group_listing_incomplete"],
            ),
            (
                "exclusion wins over inclusion",
                &["g1"],
                &["g2"],
                vec![
                    listing("g1", &["u1"], Complete),
                    listing("g2", &["u1"], Complete),
                ],
                "u1",
                Some(InExcludedGroup),
                &[],
            ),
            (
                "excluded group with no include list",
                &[],
                &["g2"],
                vec![listing("g2", &["u1"], Complete)],
                "u1",
                Some(InExcludedGroup),
                &[],
            ),
            (
                "not in a complete exclude listing",
                &[],
                &["g2"],
                vec![listing("g2", &["u2"], Complete)],
                "u1",
                None,
                &[],
            ),
            (
                "present in an incomplete exclude listing is excluded",
                &[],
                &["g2"],
                vec![listing("g2", &["u1"], Incomplete)],
                "u1",
                Some(InExcludedGroup),
                &["group_listing_incomplete"],
            ),
            (
                "absent from an incomplete exclude listing is unknown",
                &["g1"],
                &["g2"],
                vec![
                    listing("g1", &["u1"], Complete),
                    listing("g2", &[], Incomplete),
                ],
                "u1",
                Some(GroupScopeUnknown),
                &["group_listing_incomplete"],
            ),
            (
                "deleted exclude group is unknown",
                &[],
                &["g2"],
                vec![listing("g2", &[], NotFound)],
                "u1",
                Some(GroupScopeUnknown),
                &["group_not_found"],
            ),
        ];
        for (name, include, exclude, listings, user, want, codes) in cases {
            let options = FilterOptions {
                include_group_ids: include.iter().map(|s| s.to_string()).collect(),
                exclude_group_ids: exclude.iter().map(|s| s.to_string()).collect(),
                ..FilterOptions::default()
            };
            let (scope, warnings) = GroupScope::build(&options, &listings).expect(name);
            assert_eq!(scope.verdict(user), want, "{name}");
            let got: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
            assert_eq!(got, codes, "{name}");
        }
    }

    #[test]
    fn blank_or_repeated_group_ids_are_invalid_input() {
        let options = FilterOptions {
            include_group_ids: vec!["g1".into()],
            ..FilterOptions::default()
        };
        let cases = [
            (
                vec![listing(" ", &[], Complete)],
                "groupMemberships[0].groupId",
            ),
            (
                vec![listing("g1", &[], Complete), listing("G1", &[], Complete)],
                "groupMemberships[1].groupId",
            ),
        ];
        for (listings, field) in cases {
            let err = GroupScope::build(&options, &listings).unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert!(err.to_string().contains(field), "{err}");
        }
        let blank = FilterOptions {
            exclude_group_ids: vec!["".into()],
            ..FilterOptions::default()
        };
        let err = GroupScope::build(&blank, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("settings.filter.excludeGroupIds[0]")
        );
    }
}
