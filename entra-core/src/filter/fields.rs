//! The filter over the few fields it reads, for hosts that keep users in their own shape.
//!
//! A language binding that hands back the caller's own user objects (Python's `returns="inputs"`,
//! Node's `filterUsers`) reads from each object only what [`UserFilter::classify`] looks at:
//! whether the account is enabled, whether it has a license, the object id (for the group scope)
//! and four texts (UPN, mail, display name, user type). It copies them into a [`FieldChunk`]
//! (the texts of many users side by side in one buffer, no record per user) and gets a
//! [`Decisions`] back: a reason code and a pattern id per user, each distinct pattern once. The
//! decisions are the filter's own, made on one reused record, so they equal those of
//! [`filter_user_positions`](super::filter_user_positions) on the same users.
//!
//! If the filter ever reads another field of a user, [`FieldUser`] must carry it: the reference
//! tests below compare every decision with the record form's.

use std::collections::HashMap;

use super::{ExclusionReason, UserFilter};
use crate::model::EntraUser;

/// A text of a [`FieldChunk`]: the byte range `start..end` of its buffer.
pub type Span = (u32, u32);

/// One user's fields, its texts as spans of the chunk's buffer (`None`: absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldUser {
    pub enabled: bool,
    /// Whether the user has at least one license (the filter never reads which).
    pub licensed: bool,
    /// Read by the group scope only.
    pub object_id: Option<Span>,
    pub user_principal_name: Option<Span>,
    pub email: Option<Span>,
    pub display_name: Option<Span>,
    pub user_type: Option<Span>,
}

/// Consecutive users' fields, owning their texts, so that a chunk can be classified on another
/// thread than the one that read it.
#[derive(Debug, Clone, Default)]
pub struct FieldChunk {
    /// The index of the chunk's first user in the whole listing.
    pub start: usize,
    text: String,
    users: Vec<FieldUser>,
}

impl FieldChunk {
    /// An empty chunk whose first user is the listing's `start`-th.
    pub fn new(start: usize) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    /// Copies `text` into the chunk; `None` once the chunk's texts would pass 4 GiB (start
    /// another chunk).
    pub fn text(&mut self, text: &str) -> Option<Span> {
        let from = u32::try_from(self.text.len()).ok()?;
        let to = u32::try_from(self.text.len().checked_add(text.len())?).ok()?;
        self.text.push_str(text);
        Some((from, to))
    }

    /// Copies a text given as UTF-16 code units; `None` when they are not well-formed UTF-16 (a
    /// lone surrogate) or the chunk is full.
    pub fn text_utf16(&mut self, units: &[u16]) -> Option<Span> {
        let from = self.text.len();
        // Most texts are ASCII: one byte per unit, checked and copied in vectorizable passes.
        if units.iter().fold(0, |any, &u| any | u) < 0x80 {
            let bytes = units.iter().map(|&u| char::from(u.to_le_bytes()[0]));
            self.text.extend(bytes);
        } else {
            for c in char::decode_utf16(units.iter().copied()) {
                match c {
                    Ok(c) => self.text.push(c),
                    Err(_) => {
                        self.text.truncate(from);
                        return None;
                    }
                }
            }
        }
        match (u32::try_from(from), u32::try_from(self.text.len())) {
            (Ok(from), Ok(to)) => Some((from, to)),
            _ => {
                self.text.truncate(from);
                None
            }
        }
    }

    /// Adds a user whose texts were copied with [`FieldChunk::text`].
    pub fn push(&mut self, user: FieldUser) {
        self.users.push(user);
    }

    /// The number of users in the chunk.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the chunk has no user.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Makes room for `users` more users.
    pub fn reserve(&mut self, users: usize) {
        self.users.reserve(users);
    }

    fn slice(&self, span: Option<Span>) -> Option<&str> {
        let (from, to) = span?;
        self.text.get(from as usize..to as usize)
    }
}

/// Classifies the users of chunks with one filter, each user set into one reused record (no
/// allocation per user once the record's buffers have grown).
#[derive(Debug)]
pub struct FieldClassifier<'f> {
    filter: &'f UserFilter,
    scratch: EntraUser,
}

impl<'f> FieldClassifier<'f> {
    pub fn new(filter: &'f UserFilter) -> Self {
        Self {
            filter,
            scratch: EntraUser::new("", ""),
        }
    }

    /// Appends the decision for each user of `chunk`, in order, to `decisions`.
    pub fn classify(&mut self, chunk: &FieldChunk, decisions: &mut Decisions) {
        decisions.reserve(chunk.len());
        for fields in &chunk.users {
            let user = &mut self.scratch;
            user.account_enabled = fields.enabled;
            let object_id = chunk.slice(fields.object_id).unwrap_or("");
            user.entra_object_id.clear();
            user.entra_object_id.push_str(object_id);
            set_text(&mut user.email, chunk.slice(fields.email));
            set_text(
                &mut user.user_principal_name,
                chunk.slice(fields.user_principal_name),
            );
            set_text(&mut user.display_name, chunk.slice(fields.display_name));
            set_text(&mut user.user_type, chunk.slice(fields.user_type));
            if fields.licensed == user.assigned_license_sku_ids.is_empty() {
                user.assigned_license_sku_ids.clear();
                if fields.licensed {
                    user.assigned_license_sku_ids.push(String::new());
                }
            }
            decisions.push(self.filter.classify(user));
        }
    }
}

/// Sets an optional text field, reusing its buffer.
fn set_text(slot: &mut Option<String>, value: Option<&str>) {
    match value {
        Some(value) => {
            let buffer = slot.get_or_insert_with(String::new);
            buffer.clear();
            buffer.push_str(value);
        }
        None => *slot = None,
    }
}

impl ExclusionReason {
    /// Every reason, in the order of their [`ExclusionReason::code`]s (code = position + 1).
    pub const ALL: [ExclusionReason; 9] = [
        ExclusionReason::AccountDisabled,
        ExclusionReason::MissingIdentity,
        ExclusionReason::Guest,
        ExclusionReason::Unlicensed,
        ExclusionReason::ServiceAccount,
        ExclusionReason::TenantCustomPattern,
        ExclusionReason::NotInIncludedGroup,
        ExclusionReason::InExcludedGroup,
        ExclusionReason::GroupScopeUnknown,
    ];

    /// A one-byte code for compact decisions (0 is "included"). The match is exhaustive, so a
    /// new reason does not compile until it has a code.
    pub fn code(self) -> u8 {
        match self {
            ExclusionReason::AccountDisabled => 1,
            ExclusionReason::MissingIdentity => 2,
            ExclusionReason::Guest => 3,
            ExclusionReason::Unlicensed => 4,
            ExclusionReason::ServiceAccount => 5,
            ExclusionReason::TenantCustomPattern => 6,
            ExclusionReason::NotInIncludedGroup => 7,
            ExclusionReason::InExcludedGroup => 8,
            ExclusionReason::GroupScopeUnknown => 9,
        }
    }

    /// The reason of a [`ExclusionReason::code`]; `None` for 0 and unknown codes.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// The contract's name (`account_disabled`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionReason::AccountDisabled => "account_disabled",
            ExclusionReason::MissingIdentity => "missing_identity",
            ExclusionReason::Guest => "guest",
            ExclusionReason::Unlicensed => "unlicensed",
            ExclusionReason::ServiceAccount => "service_account",
            ExclusionReason::TenantCustomPattern => "tenant_custom_pattern",
            ExclusionReason::NotInIncludedGroup => "not_in_included_group",
            ExclusionReason::InExcludedGroup => "in_excluded_group",
            ExclusionReason::GroupScopeUnknown => "group_scope_unknown",
        }
    }
}

/// The filter's decision for each user of a listing, compact: a reason code per user (0:
/// included; see [`ExclusionReason::code`]) and a pattern id (0: none; else 1 + its position in
/// `patterns`), each distinct pattern or built-in rule name kept once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions {
    pub reasons: Vec<u8>,
    pub pattern_ids: Vec<u32>,
    pub patterns: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Decisions {
    /// Makes room for `users` more decisions.
    pub fn reserve(&mut self, users: usize) {
        self.reasons.reserve(users);
        self.pattern_ids.reserve(users);
    }

    /// Appends one user's decision, as [`UserFilter::classify`] returns it.
    pub fn push(&mut self, decision: Option<(ExclusionReason, Option<String>)>) {
        let (reason, pattern) = match decision {
            None => (0, 0),
            Some((reason, pattern)) => (reason.code(), pattern.map_or(0, |p| self.id_of(p))),
        };
        self.reasons.push(reason);
        self.pattern_ids.push(pattern);
    }

    /// Appends the decisions of the users that follow.
    pub fn append(&mut self, next: Decisions) {
        let ids: Vec<u32> = next.patterns.into_iter().map(|p| self.id_of(p)).collect();
        self.reasons.extend(next.reasons);
        self.pattern_ids.extend(
            next.pattern_ids
                .into_iter()
                .map(|id| if id == 0 { 0 } else { ids[id as usize - 1] }),
        );
    }

    fn id_of(&mut self, pattern: String) -> u32 {
        if let Some(&id) = self.ids.get(&pattern) {
            return id;
        }
        self.patterns.push(pattern.clone());
        // Distinct patterns are bounded by the pattern limits and the built-in rules.
        let id = u32::try_from(self.patterns.len()).unwrap_or(u32::MAX);
        self.ids.insert(pattern, id);
        id
    }

    /// The number of users decided.
    pub fn len(&self) -> usize {
        self.reasons.len()
    }

    /// Whether no user was decided.
    pub fn is_empty(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The `index`-th user's decision: `None` when included (or out of range).
    pub fn get(&self, index: usize) -> Option<(ExclusionReason, Option<&str>)> {
        let reason = ExclusionReason::from_code(*self.reasons.get(index)?)?;
        let pattern = match self.pattern_ids.get(index).copied().unwrap_or(0) {
            0 => None,
            id => self.patterns.get(id as usize - 1).map(String::as_str),
        };
        Some((reason, pattern))
    }

    /// How many users are excluded.
    pub fn excluded_count(&self) -> usize {
        self.reasons.iter().filter(|&&r| r != 0).count()
    }
}

impl FromIterator<Option<(ExclusionReason, Option<String>)>> for Decisions {
    /// The decisions of [`UserFilter::classify_each`] (or [`UserFilter::classify`] per user).
    fn from_iter<I: IntoIterator<Item = Option<(ExclusionReason, Option<String>)>>>(
        decisions: I,
    ) -> Self {
        let decisions = decisions.into_iter();
        let mut out = Decisions::default();
        out.reserve(decisions.size_hint().0);
        for decision in decisions {
            out.push(decision);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{FilterInput, filter_user_positions};
    use crate::model::FilterOptions;

    /// A user case: UPN (empty: none), mail, display name, user type, enabled, licensed.
    type UserCase = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        bool,
        bool,
    );

    /// Users that hit every rule, with odd texts (non-ASCII, empty, mail equal to the UPN).
    fn users() -> Vec<EntraUser> {
        let mut users = Vec::new();
        let cases: [UserCase; 10] = [
            (
                "a@x.com",
                Some("a@x.com"),
                Some("Ann"),
                Some("Member"),
                true,
                true,
            ),
            ("b@x.com", None, Some("Bob"), Some("Guest"), true, true),
            ("noreply@x.com", None, Some("No Reply"), None, true, true),
            (
                "svc-backup@x.com",
                Some("svc@x.com"),
                Some("Backup"),
                None,
                true,
                false,
            ),
            (
                "c@x.com",
                Some("c@x.com"),
                None,
                Some("Member"),
                false,
                true,
            ),
            ("", None, Some("Nobody"), None, true, true),
            (
                "zoë@x.com",
                Some("zoë@ünï.com"),
                Some("Zoë"),
                Some("Mémber"),
                true,
                true,
            ),
            (
                "d@x.com",
                Some("D@X.COM"),
                Some("Sync_DC1_abc"),
                None,
                true,
                true,
            ),
            ("e@x.com", None, None, None, true, false),
            (
                "f@x.com",
                Some("f@x.com"),
                Some("Room 1"),
                Some("Member"),
                true,
                true,
            ),
        ];
        for (i, (upn, mail, name, kind, enabled, licensed)) in cases.into_iter().enumerate() {
            let mut user = EntraUser::new("t", format!("id-{i}"));
            user.user_principal_name = Some(upn.to_string()).filter(|u| !u.is_empty());
            user.email = mail.map(str::to_string);
            user.display_name = name.map(str::to_string);
            user.user_type = kind.map(str::to_string);
            user.account_enabled = enabled;
            if licensed {
                user.assigned_license_sku_ids.push("sku".into());
            }
            users.push(user);
        }
        users
    }

    fn chunk_of(users: &[EntraUser], start: usize, utf16: bool) -> FieldChunk {
        let mut chunk = FieldChunk::new(start);
        for user in users {
            let mut text = |t: Option<&String>| {
                t.and_then(|t| {
                    if utf16 {
                        chunk.text_utf16(&t.encode_utf16().collect::<Vec<_>>())
                    } else {
                        chunk.text(t)
                    }
                })
            };
            let fields = FieldUser {
                enabled: user.account_enabled,
                licensed: !user.assigned_license_sku_ids.is_empty(),
                object_id: text(Some(&user.entra_object_id)),
                user_principal_name: text(user.user_principal_name.as_ref()),
                email: text(user.email.as_ref()),
                display_name: text(user.display_name.as_ref()),
                user_type: text(user.user_type.as_ref()),
            };
            chunk.push(fields);
        }
        chunk
    }

    /// Cases: option sets; each compares the chunked decisions with the record form's.
    #[test]
    fn chunk_decisions_equal_the_record_forms() {
        let option_sets = [
            FilterOptions::default(),
            FilterOptions {
                include_guests: true,
                licensed_only: true,
                custom_exclusion_patterns: vec!["^svc-".into(), "(?i)room".into()],
                ..FilterOptions::default()
            },
        ];
        let users = users();
        for options in option_sets {
            let input = FilterInput {
                users: users.clone(),
                options: options.clone(),
                group_memberships: Vec::new(),
            };
            let positions = filter_user_positions(&input).unwrap();
            let expected: Decisions = (0..users.len())
                .map(|i| {
                    let excluded = positions.excluded.iter().find(|e| e.index == i);
                    excluded.map(|e| (e.reason, e.pattern.clone()))
                })
                .collect();
            assert_eq!(
                expected.len(),
                positions.included.len() + positions.excluded.len()
            );
            let filter = UserFilter::new(&options).unwrap();
            for (split, utf16) in [(users.len(), false), (3, false), (4, true)] {
                let mut classifier = FieldClassifier::new(&filter);
                let mut all = Decisions::default();
                for (n, part) in users.chunks(split).enumerate() {
                    let mut decisions = Decisions::default();
                    classifier.classify(&chunk_of(part, n * split, utf16), &mut decisions);
                    all.append(decisions);
                }
                assert_eq!(all.reasons, expected.reasons, "{options:?} by {split}");
                for i in 0..users.len() {
                    assert_eq!(all.get(i), expected.get(i), "user {i}");
                }
            }
        }
    }

    #[test]
    fn a_lone_surrogate_is_refused_and_leaves_no_text() {
        let mut chunk = FieldChunk::new(0);
        let kept = chunk.text("ok").unwrap();
        assert_eq!(chunk.text_utf16(&[0x61, 0xD800, 0x62]), None);
        assert_eq!(chunk.text_utf16(&[0xDC00]), None);
        let next = chunk
            .text_utf16(&"é".encode_utf16().collect::<Vec<_>>())
            .unwrap();
        assert_eq!(chunk.slice(Some(kept)), Some("ok"));
        assert_eq!(chunk.slice(Some(next)), Some("é"));
    }

    #[test]
    fn reason_codes_and_names_round_trip() {
        for reason in ExclusionReason::ALL {
            assert_eq!(ExclusionReason::from_code(reason.code()), Some(reason));
            let name = serde_json::to_value(reason).unwrap();
            assert_eq!(name, serde_json::Value::String(reason.as_str().into()));
        }
        assert_eq!(ExclusionReason::from_code(0), None);
        assert_eq!(ExclusionReason::from_code(10), None);
    }

    #[test]
    fn appended_decisions_keep_one_id_per_pattern() {
        let mut first = Decisions::default();
        first.push(Some((
            ExclusionReason::TenantCustomPattern,
            Some("a".into()),
        )));
        first.push(None);
        let mut second = Decisions::default();
        second.push(Some((ExclusionReason::ServiceAccount, Some("b".into()))));
        second.push(Some((
            ExclusionReason::TenantCustomPattern,
            Some("a".into()),
        )));
        first.append(second);
        assert_eq!(first.patterns, ["a", "b"]);
        assert_eq!(first.pattern_ids, [1, 0, 2, 1]);
        assert_eq!(
            first.get(3),
            Some((ExclusionReason::TenantCustomPattern, Some("a")))
        );
        assert_eq!(first.excluded_count(), 3);
    }
}
