//! The user filter: which listed users may become contacts, and why the others may not.
//!
//! Rules run in a fixed order and the first hit wins, so every excluded user carries exactly one
//! reason an operator can act on: `account_disabled`, `missing_identity`, `guest`, `unlicensed`,
//! `service_account`, `tenant_custom_pattern`. With group settings, the group scope runs right
//! after `account_disabled`: `in_excluded_group`, `not_in_included_group`, or
//! `group_scope_unknown` when a group listing cannot place the user (see [`groups`]).

pub mod fields;
pub mod groups;
mod patterns;
mod prefetch;
mod records_view;
#[cfg(test)]
mod reference;
mod screen;
mod service_account;
mod sticky_screen;
pub(crate) mod tokens;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::model::{EntraUser, FilterOptions, Warning};

pub use groups::{GroupListingStatus, GroupMembership, GroupScope};
pub use records_view::{ExcludedRecord, FilterRecords};

pub use patterns::{COMBINED_SIZE_LIMIT, MAX_PATTERN_LEN, MAX_PATTERNS, SEARCH_CACHE_LIMIT};

/// Input of [`filter_users`]: the listed users and the tenant's filter options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterInput {
    pub users: Vec<EntraUser>,
    #[serde(default, deserialize_with = "crate::model::nullable::or_default")]
    pub options: FilterOptions,
    /// The transitive members of the groups named in the options' group settings.
    #[serde(default, deserialize_with = "crate::model::nullable::or_default")]
    pub group_memberships: Vec<GroupMembership>,
}

/// Output of [`filter_users`]; both lists keep the input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterOutput {
    pub included: Vec<EntraUser>,
    pub excluded: Vec<ExcludedUser>,
    /// Why the group scope could not place some users (a group listing incomplete or gone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// A user the filter keeps out of contact sync, with the reason an operator sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludedUser {
    pub user: EntraUser,
    pub reason: ExclusionReason,
    /// For `tenant_custom_pattern`, the pattern that matched; for `service_account`, the name of
    /// the built-in rule (`no_reply`, `directory_sync`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// Why a user is not synced, in rule order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    AccountDisabled,
    MissingIdentity,
    Guest,
    Unlicensed,
    ServiceAccount,
    TenantCustomPattern,
    /// Group settings name included groups and the user is in none of them.
    NotInIncludedGroup,
    /// The user is a member of an excluded group (exclusion wins over inclusion).
    InExcludedGroup,
    /// A group listing the scope needs failed, stopped or names a group that no longer exists:
    /// whether the user is in scope is unknown, so nothing is done for them.
    GroupScopeUnknown,
}

impl ExclusionReason {
    /// Whether the user is known to be outside the configured group scope (a linked user so
    /// classified has left the scope).
    pub fn is_out_of_group_scope(self) -> bool {
        matches!(
            self,
            ExclusionReason::NotInIncludedGroup | ExclusionReason::InExcludedGroup
        )
    }
}

/// A filter compiled once from [`FilterOptions`] and reused for every user of a listing.
#[derive(Debug, Clone)]
pub struct UserFilter {
    include_guests: bool,
    licensed_only: bool,
    /// The custom patterns in one automaton, shared with other filters of the same settings.
    patterns: Arc<patterns::CompiledPatterns>,
    /// The group scope; empty when no group setting is configured.
    scope: Arc<GroupScope>,
}

impl UserFilter {
    /// Compiles the options; an invalid custom pattern (or a list over the limits) is an
    /// `invalid_pattern` error. A pattern list compiled by a recent call is reused.
    ///
    /// Group settings without membership listings leave every enabled user `group_scope_unknown`;
    /// use [`UserFilter::with_groups`] to pass the listings.
    pub fn new(options: &FilterOptions) -> Result<Self, CoreError> {
        Ok(Self::with_groups(options, &[])?.0)
    }

    /// [`UserFilter::new`] with the group listings the scope decides from, and the warnings for
    /// groups whose listing cannot place everybody.
    pub fn with_groups(
        options: &FilterOptions,
        memberships: &[GroupMembership],
    ) -> Result<(Self, Vec<Warning>), CoreError> {
        let (scope, warnings) = GroupScope::build(options, memberships)?;
        let filter = Self {
            include_guests: options.include_guests,
            licensed_only: options.licensed_only,
            patterns: patterns::compile_cached(&options.custom_exclusion_patterns)?,
            scope: Arc::new(scope),
        };
        Ok((filter, warnings))
    }

    /// Whether every group listing the scope needs was read completely (true without group
    /// settings).
    pub fn group_scope_complete(&self) -> bool {
        self.scope.is_complete()
    }

    /// The first rule that excludes `user`, with the matching pattern or built-in rule name;
    /// `None` when the user may become a contact.
    ///
    /// The account rules (disabled, identity, guest, licence) read flags and scan the addresses
    /// once, byte by byte. The text rules then cost one automaton search per distinct field
    /// (UPN, mail when it differs from the UPN, display name) for nearly every person: only a
    /// user with a field the automaton flags (a custom pattern match, or a word some built-in
    /// rule needs) goes through the exact built-in rules and the pattern-by-pattern search.
    pub fn classify(&self, user: &EntraUser) -> Option<(ExclusionReason, Option<String>)> {
        if !user.account_enabled {
            return Some((ExclusionReason::AccountDisabled, None));
        }
        if let Some(reason) = self.scope.verdict(&user.entra_object_id) {
            return Some((reason, None));
        }
        let upn = user.user_principal_name.as_deref();
        // Most users' mail is their UPN: read it once.
        let mail = user.email.as_deref().filter(|&m| Some(m) != upn);
        if !upn.is_some_and(tokens::is_address) && !mail.is_some_and(tokens::is_address) {
            return Some((ExclusionReason::MissingIdentity, None));
        }
        if !self.include_guests && is_guest(user) {
            return Some((ExclusionReason::Guest, None));
        }
        if self.licensed_only && user.assigned_license_sku_ids.is_empty() {
            return Some((ExclusionReason::Unlicensed, None));
        }
        if !self
            .patterns
            .may_match_any([upn, mail, user.display_name.as_deref()])
        {
            return None;
        }
        self.text_rules(user)
    }

    /// The built-in service-account rules, then the custom patterns, applied exactly.
    #[cold]
    fn text_rules(&self, user: &EntraUser) -> Option<(ExclusionReason, Option<String>)> {
        if let Some(rule) = service_account::builtin_rule(user) {
            return Some((ExclusionReason::ServiceAccount, Some(rule.to_string())));
        }
        if let Some(pattern) = self.custom_pattern(user) {
            return Some((
                ExclusionReason::TenantCustomPattern,
                Some(pattern.to_string()),
            ));
        }
        None
    }

    /// Custom patterns see the full UPN, the full mail and the display name: an administrator
    /// may target a domain on purpose.
    fn custom_pattern(&self, user: &EntraUser) -> Option<&str> {
        let texts = [
            user.user_principal_name.as_deref(),
            user.email.as_deref(),
            user.display_name.as_deref(),
        ];
        self.patterns.first_match(texts.into_iter().flatten())
    }

    /// [`UserFilter::classify`] of every user of a listing, in order. The texts of the users
    /// a few places ahead are asked of the memory while the current one is classified (see
    /// `prefetch`): over a large listing most of a user's cost is waiting for them.
    pub fn classify_each<'a>(
        &'a self,
        users: &'a [EntraUser],
    ) -> impl Iterator<Item = Option<(ExclusionReason, Option<String>)>> + 'a {
        users.iter().enumerate().map(move |(index, user)| {
            prefetch::ahead_of(users, index);
            self.classify(user)
        })
    }

    /// Splits users into included and excluded, moving them (no copies). The included users
    /// stay in the input's own buffer, closed up in place, so a large listing is not moved to a
    /// second one.
    pub fn split(&self, mut users: Vec<EntraUser>) -> FilterOutput {
        // Decided first, in one pass that can ask for the users ahead; then moved, each excluded
        // user straight into its entry of a list reserved to its final length.
        let mut is_out = Vec::with_capacity(users.len());
        let mut reasons = Vec::new();
        for decision in self.classify_each(&users) {
            is_out.push(decision.is_some());
            reasons.extend(decision);
        }
        let mut is_out = is_out.into_iter();
        let mut excluded = Vec::with_capacity(reasons.len());
        excluded.extend(
            users
                .extract_if(.., |_| is_out.next().unwrap_or(false))
                .zip(reasons)
                .map(|(user, (reason, pattern))| ExcludedUser {
                    user,
                    reason,
                    pattern,
                }),
        );
        FilterOutput {
            included: users,
            excluded,
            warnings: Vec::new(),
        }
    }
}

/// Guests by type, or by the `#EXT#` marker Entra puts in an invited user's UPN.
pub(crate) fn is_guest(user: &EntraUser) -> bool {
    user.user_type
        .as_deref()
        .is_some_and(|t| tokens::trimmed(t).eq_ignore_ascii_case("guest"))
        || user
            .user_principal_name
            .as_deref()
            .is_some_and(tokens::has_ext_marker)
}

/// Splits `input.users` into included and excluded users (input order kept). Copies every
/// user into the output; a caller that owns its input should call [`filter_users_owned`], and
/// one that keeps its own records [`filter_user_positions`].
pub fn filter_users(input: &FilterInput) -> Result<FilterOutput, CoreError> {
    let (filter, warnings) = UserFilter::with_groups(&input.options, &input.group_memberships)?;
    let mut included = Vec::with_capacity(input.users.len());
    let mut excluded = Vec::new();
    for (user, decision) in input.users.iter().zip(filter.classify_each(&input.users)) {
        match decision {
            None => included.push(user.clone()),
            Some((reason, pattern)) => excluded.push(ExcludedUser {
                user: user.clone(),
                reason,
                pattern,
            }),
        }
    }
    Ok(FilterOutput {
        included,
        excluded,
        warnings,
    })
}

/// [`filter_users`] on an input the caller owns: the users are moved into the output, not
/// copied. The same result as `filter_users(&input)`.
pub fn filter_users_owned(input: FilterInput) -> Result<FilterOutput, CoreError> {
    let (filter, warnings) = UserFilter::with_groups(&input.options, &input.group_memberships)?;
    let mut out = filter.split(input.users);
    out.warnings = warnings;
    Ok(out)
}

/// The positions form of [`filter_users`]: which users (by index in `input.users`) are
/// included, and which are excluded with their reason, without copying any user. Hosts that keep
/// their own user objects (the language bindings) return those objects instead of rebuilding
/// records. The same decisions, in the same order, as `filter_users(input)`.
pub fn filter_user_positions(input: &FilterInput) -> Result<FilterPositions, CoreError> {
    let (filter, warnings) = UserFilter::with_groups(&input.options, &input.group_memberships)?;
    let mut included = Vec::with_capacity(input.users.len());
    let mut excluded = Vec::new();
    for (index, decision) in filter.classify_each(&input.users).enumerate() {
        match decision {
            None => included.push(index),
            Some((reason, pattern)) => excluded.push(ExcludedPosition {
                index,
                reason,
                pattern,
            }),
        }
    }
    Ok(FilterPositions {
        included,
        excluded,
        warnings,
    })
}

/// Output of [`filter_user_positions`]: indices into the input's `users`, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterPositions {
    pub included: Vec<usize>,
    pub excluded: Vec<ExcludedPosition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// An excluded user by its index in the input, with the same `reason` and `pattern` as
/// [`ExcludedUser`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludedPosition {
    pub index: usize,
    pub reason: ExclusionReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// Checks custom exclusion patterns the way the filter will compile them (same limits on count,
/// length and combined compiled size), for settings screens: the first invalid one is an
/// `invalid_pattern` error naming it and the limit it breaks. A valid list stays compiled for
/// the syncs that follow.
pub fn validate_patterns(patterns: &[String]) -> Result<(), CoreError> {
    patterns::compile_cached(patterns).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (upn, mail, display name, enabled, user type, licensed)
    type Shape = (
        &'static str,
        Option<&'static str>,
        &'static str,
        bool,
        Option<&'static str>,
        bool,
    );

    /// One user per rule and per way a rule is reached, plus people who must be kept.
    fn listing() -> Vec<EntraUser> {
        let shapes: &[Shape] = &[
            (
                "jane@contoso.com",
                Some("jane@contoso.com"),
                "Jane Doe",
                true,
                Some("Member"),
                true,
            ),
            ("off@contoso.com", None, "Off", false, None, true),
            ("nomail", Some("also not"), "Nobody", true, None, true),
            (
                "kim_x.com#EXT#@contoso.onmicrosoft.com",
                None,
                "Kim",
                true,
                None,
                true,
            ),
            (
                "guest@contoso.com",
                None,
                "Guest",
                true,
                Some(" guest "),
                true,
            ),
            ("bare@contoso.com", None, "Bare", true, None, false),
            ("svc-backup@contoso.com", None, "Backup", true, None, true),
            (
                "info@contoso.com",
                None,
                "Shared Mailbox - Info",
                true,
                None,
                true,
            ),
            ("ext-lee@contoso.com", None, "Lee", true, None, true),
            ("lee@contractors.contoso.com", None, "Lee", true, None, true),
            ("a@contoso.com", None, "Conf-Room 4", true, None, true),
            ("room-4@contoso.com", None, "Room 4", true, None, true),
            ("zoë.noreply@contoso.com", None, "Zoë", true, None, true),
            (
                "mark.talbot@contoso.com",
                None,
                "Mark Talbot",
                true,
                None,
                true,
            ),
            ("\u{a0}ann@contoso.com ", None, " Ann ", true, None, true),
        ];
        shapes
            .iter()
            .enumerate()
            .map(|(i, (upn, mail, name, enabled, kind, licensed))| {
                let mut u = EntraUser::new("t", format!("u{i}"));
                u.user_principal_name = Some(upn.to_string());
                u.email = mail.map(str::to_string);
                u.display_name = Some(name.to_string());
                u.account_enabled = *enabled;
                u.user_type = kind.map(str::to_string);
                if *licensed {
                    u.assigned_license_sku_ids = vec!["sku".into()];
                }
                u
            })
            .collect()
    }

    #[test]
    fn owned_and_positions_entry_points_decide_exactly_as_filter_users() {
        let options = FilterOptions {
            custom_exclusion_patterns: vec![
                "^ext-".into(),
                "@contractors\\.contoso\\.com$".into(),
                "^(room|conf)-".into(),
            ],
            include_guests: false,
            licensed_only: true,
            ..FilterOptions::default()
        };
        let input = FilterInput {
            users: listing(),
            options,
            group_memberships: vec![],
        };
        let borrowed = filter_users(&input).expect("filter");
        assert_eq!(borrowed.excluded.len(), 12, "{borrowed:#?}");
        let positions = filter_user_positions(&input).expect("positions");
        let included: Vec<&EntraUser> = positions
            .included
            .iter()
            .filter_map(|&i| input.users.get(i))
            .collect();
        assert_eq!(included, borrowed.included.iter().collect::<Vec<_>>());
        let excluded: Vec<ExcludedUser> = positions
            .excluded
            .iter()
            .filter_map(|p| {
                Some(ExcludedUser {
                    user: input.users.get(p.index)?.clone(),
                    reason: p.reason,
                    pattern: p.pattern.clone(),
                })
            })
            .collect();
        assert_eq!(excluded, borrowed.excluded);
        assert_eq!(filter_users_owned(input).expect("owned"), borrowed);
    }

    /// The records written from positions are, byte for byte, the JSON of `filter_users`; with
    /// and without warnings, with and without patterns.
    #[test]
    fn records_from_positions_write_exactly_the_output_of_filter_users() {
        let incomplete = GroupMembership {
            group_id: "g-1".into(),
            member_ids: vec!["id-0".into()],
            status: GroupListingStatus::Incomplete,
        };
        let cases: [(FilterOptions, Vec<GroupMembership>, usize); 3] = [
            (FilterOptions::default(), vec![], 0),
            (
                FilterOptions {
                    custom_exclusion_patterns: vec!["^ext-".into(), "^(room|conf)-".into()],
                    licensed_only: true,
                    ..FilterOptions::default()
                },
                vec![],
                0,
            ),
            (
                FilterOptions {
                    include_group_ids: vec!["g-1".into()],
                    ..FilterOptions::default()
                },
                vec![incomplete],
                1,
            ),
        ];
        for (options, group_memberships, warnings) in cases {
            let input = FilterInput {
                users: listing(),
                options,
                group_memberships,
            };
            let copied = filter_users(&input).expect("filter");
            assert_eq!(copied.warnings.len(), warnings, "{copied:#?}");
            let positions = filter_user_positions(&input).expect("positions");
            let records = positions.records(&input.users).expect("records");
            assert_eq!(
                serde_json::to_string(&records).expect("json"),
                serde_json::to_string(&copied).expect("json")
            );
        }
    }

    #[test]
    fn records_refuse_a_position_outside_the_users() {
        let input = FilterInput {
            users: listing(),
            options: FilterOptions::default(),
            group_memberships: vec![],
        };
        let positions = filter_user_positions(&input).expect("positions");
        let fewer = &input.users[..input.users.len() - 1];
        let err = positions
            .records(fewer)
            .expect_err("a position past the end");
        assert_eq!(err.typed_code(), crate::error::CoreErrorCode::InvalidInput);
    }
}
