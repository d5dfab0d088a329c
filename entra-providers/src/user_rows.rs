//! Assembling a tenant's user listing from pages, so that one bad row cannot fail a tenant on
//! every run: a row that cannot be read is left out and named in a warning, and the listing
//! then counts as incomplete (nobody is inactivated for being absent from it); a user listed
//! more than once (Graph can repeat a row across pages) keeps its last copy.

use std::collections::HashMap;

use entra_core::model::{EntraUser, Warning};
use entra_core::provider::{ProviderError, UserListing};
use serde::Serialize;

/// Warning code: a user row could not be read and was left out of the listing.
pub const USER_ROW_SKIPPED: &str = "user_row_skipped";
/// Warning code: a user was listed more than once; the last copy was kept.
pub const USER_LISTED_TWICE: &str = "user_listed_twice";

/// How many rows are named one by one; the rest are counted in one more warning.
const NAMED_ROWS: usize = 20;

/// One row of a user page that could not be turned into a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedUserRow {
    /// The row's `id`, when it has a readable one.
    pub object_id: Option<String>,
    /// The row's position in its page (`value[index]`, `Results[index]`).
    pub index: usize,
    /// Why it was left out; names the field (e.g. `value[3].accountEnabled`), never a value.
    pub reason: String,
}

impl SkippedUserRow {
    /// A row that failed with `error`; `row` is consulted only for its `id`.
    pub(crate) fn from_error(row: &serde_json::Value, index: usize, error: &ProviderError) -> Self {
        Self {
            object_id: row
                .get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_string),
            index,
            reason: error.message.clone(),
        }
    }
}

/// Collects the users of one listing page by page.
#[derive(Debug, Default)]
pub(crate) struct UserCollector {
    users: Vec<EntraUser>,
    position: HashMap<String, usize>,
    repeated: Vec<String>,
    skipped: Vec<(usize, SkippedUserRow)>,
    pages: usize,
}

impl UserCollector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one page's users and left-out rows.
    pub fn add_page(&mut self, users: Vec<EntraUser>, skipped: Vec<SkippedUserRow>) {
        self.pages += 1;
        for user in users {
            self.add(user);
        }
        let page = self.pages;
        self.skipped
            .extend(skipped.into_iter().map(|row| (page, row)));
    }

    fn add(&mut self, user: EntraUser) {
        if user.entra_object_id.trim().is_empty() {
            let page = self.pages;
            self.skipped.push((
                page,
                SkippedUserRow {
                    object_id: None,
                    index: 0,
                    reason: "a user row has an empty `id`".to_string(),
                },
            ));
            return;
        }
        match self.position.get(&user.entra_object_id) {
            Some(&at) => {
                if !self.repeated.contains(&user.entra_object_id) {
                    self.repeated.push(user.entra_object_id.clone());
                }
                self.users[at] = user;
            }
            None => {
                self.position
                    .insert(user.entra_object_id.clone(), self.users.len());
                self.users.push(user);
            }
        }
    }

    /// How many distinct users arrived so far.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// The listing: complete only when no page failed (`error` is `None`) and no row was left out.
    pub fn finish(self, error: Option<ProviderError>) -> UserListing {
        let warnings = self.warnings();
        UserListing {
            complete: error.is_none() && self.skipped.is_empty(),
            users: self.users,
            error,
            warnings,
        }
    }

    fn warnings(&self) -> Vec<Warning> {
        let mut warnings = skipped_warnings(&self.skipped);
        if !self.repeated.is_empty() {
            let shown: Vec<&str> = self
                .repeated
                .iter()
                .take(NAMED_ROWS)
                .map(String::as_str)
                .collect();
            let more = self.repeated.len().saturating_sub(NAMED_ROWS);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            warnings.push(Warning::new(
                USER_LISTED_TWICE,
                format!(
                    "{} user(s) were listed more than once; the last copy was kept: {}{tail}",
                    self.repeated.len(),
                    shown.join(", ")
                ),
            ));
        }
        warnings
    }
}

/// One warning per left-out row (the first [`NAMED_ROWS`]), then one counting the rest.
pub(crate) fn skipped_warnings(skipped: &[(usize, SkippedUserRow)]) -> Vec<Warning> {
    let mut warnings: Vec<Warning> = skipped
        .iter()
        .take(NAMED_ROWS)
        .map(|(page, row)| {
            let who = match &row.object_id {
                Some(id) => format!("user {id}"),
                None => format!(
                    "a row without an id (position {} of page {page})",
                    row.index
                ),
            };
            Warning::new(
                USER_ROW_SKIPPED,
                format!(
                    "{who} was left out of the listing, which counts as incomplete so nobody is \
                     inactivated by absence: {}",
                    row.reason
                ),
            )
        })
        .collect();
    if skipped.len() > NAMED_ROWS {
        warnings.push(Warning::new(
            USER_ROW_SKIPPED,
            format!(
                "{} more user rows were left out of the listing",
                skipped.len() - NAMED_ROWS
            ),
        ));
    }
    if !skipped.is_empty() {
        tracing::warn!(rows = skipped.len(), "user rows left out of a listing");
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, name: &str) -> EntraUser {
        let mut u = EntraUser::new("t1", id);
        u.display_name = Some(name.to_string());
        u
    }

    #[test]
    fn a_user_listed_twice_keeps_its_last_copy_and_the_listing_stays_complete() {
        let mut c = UserCollector::new();
        c.add_page(vec![user("a", "old"), user("b", "b")], vec![]);
        c.add_page(vec![user("a", "new")], vec![]);
        let listing = c.finish(None);
        assert!(listing.complete);
        assert_eq!(listing.users.len(), 2);
        assert_eq!(listing.users[0].display_name.as_deref(), Some("new"));
        assert_eq!(listing.warnings.len(), 1);
        assert_eq!(listing.warnings[0].code, USER_LISTED_TWICE);
        assert!(listing.warnings[0].message.contains('a'));
    }

    #[test]
    fn a_left_out_row_makes_the_listing_incomplete_and_is_named() {
        let mut c = UserCollector::new();
        let bad = SkippedUserRow {
            object_id: Some("u-bad".into()),
            index: 1,
            reason: "`value[1].accountEnabled` is missing".into(),
        };
        let nameless = SkippedUserRow {
            object_id: None,
            index: 2,
            reason: "not an object".into(),
        };
        c.add_page(
            vec![user("a", "a"), user(" ", "empty id")],
            vec![bad, nameless],
        );
        let listing = c.finish(None);
        assert!(!listing.complete);
        assert!(listing.error.is_none());
        assert_eq!(listing.users.len(), 1);
        let codes: Vec<&str> = listing.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, [USER_ROW_SKIPPED; 3]);
        assert!(listing.warnings[1].message.contains("user u-bad"));
        assert!(listing.warnings[2].message.contains("position 2 of page 1"));
    }

    #[test]
    fn many_left_out_rows_are_summarized() {
        let rows: Vec<(usize, SkippedUserRow)> = (0..25)
            .map(|i| {
                (
                    1,
                    SkippedUserRow {
                        object_id: Some(format!("u{i}")),
                        index: i,
                        reason: "x".into(),
                    },
                )
            })
            .collect();
        let warnings = skipped_warnings(&rows);
        assert_eq!(warnings.len(), NAMED_ROWS + 1);
        assert!(warnings[NAMED_ROWS].message.starts_with("5 more"));
    }
}
