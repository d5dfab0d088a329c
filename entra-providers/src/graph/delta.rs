use std::collections::{HashMap, HashSet};

use entra_core::model::{EntraUser, Warning};
use entra_core::provider::{
    DeltaListing, ProviderError, ProviderErrorCode, RemovalReason, RemovedUser,
};
use serde_json::Value;

use super::normalize::user_from_row;
use super::request::{Caller, GraphClient};
use super::wire::{USER_SELECT, removed_reason};
use crate::http::{ListingDeadline, PageGuard, check_next_link};
use crate::user_rows::{SkippedUserRow, skipped_warnings};

/// One delta round for a customer tenant. Without a link the round enumerates every user and
/// ends in the first delta link. An expired or refused delta token (`syncStateNotFound`,
/// `resyncRequired`, 410) yields `resync_required` and no changes, never an empty change set.
/// A row that cannot be read is left out with a warning naming it, and the round counts as
/// incomplete (no delta link is handed on, absence does not count).
pub(crate) async fn list_users_delta(
    client: &GraphClient,
    tenant: &str,
    delta_link: Option<&str>,
) -> Result<DeltaListing, ProviderError> {
    let full_enumeration = delta_link.is_none();
    let first = match delta_link {
        None => client.url(&format!("v1.0/users/delta?$select={USER_SELECT}"))?,
        Some(link) => {
            // A stored link must still point at the configured Graph host.
            let mut seen = Default::default();
            check_next_link(&client.base, link, &mut seen, 0, 1)?
        }
    };
    let mut guard = PageGuard::new(&first, client.http.policy().max_pages);
    let deadline = ListingDeadline::start(client.http.policy());
    let mut round = Round {
        full_enumeration,
        ..Round::default()
    };
    let mut url = first;
    let mut page_number = 0usize;
    loop {
        let page = match deadline
            .run(client.get_page::<Value>(Caller::Customer(tenant), &url))
            .await
        {
            Ok(page) => page,
            Err(err) if err.code == ProviderErrorCode::ResyncRequired => {
                tracing::info!("delta token refused; a full resync is required");
                return Ok(resync(full_enumeration));
            }
            Err(err) if page_number == 0 => return Err(err),
            Err(err) => return Ok(round.partial(err)),
        };
        page_number += 1;
        for (i, row) in page.value.iter().enumerate() {
            round.add_row(tenant, row, i, page_number);
        }
        if let Some(link) = page.delta_link {
            // A link the next round would refuse to follow is not worth storing.
            if let Err(err) = check_next_link(&client.base, &link, &mut HashSet::new(), 0, 1) {
                return Ok(round.partial(err));
            }
            return Ok(round.finish(link));
        }
        let Some(next) = page.next_link else {
            let err = ProviderError::new(
                ProviderErrorCode::UnexpectedResponse,
                "a delta page carried neither `@odata.nextLink` nor `@odata.deltaLink`",
            );
            return Ok(round.partial(err));
        };
        match guard.next(&next) {
            Ok(next) => url = next,
            Err(err) => return Ok(round.partial(err)),
        }
    }
}

fn resync(full_enumeration: bool) -> DeltaListing {
    DeltaListing {
        users: Vec::new(),
        removed: Vec::new(),
        delta_link: None,
        resync_required: true,
        full_enumeration,
        complete: false,
        warnings: Vec::new(),
    }
}

/// What one delta round gathered so far, in arrival order.
#[derive(Default)]
struct Round {
    users: Vec<(usize, EntraUser)>,
    removed: Vec<(usize, RemovedUser)>,
    /// Rows that could not be read, with the page they were on.
    skipped: Vec<(usize, SkippedUserRow)>,
    seq: usize,
    full_enumeration: bool,
}

impl Round {
    /// Takes one row: a change, a removal, or (when it cannot be read) a left-out row.
    fn add_row(&mut self, tenant: &str, row: &Value, index: usize, page: usize) {
        if let Some(reason) = removed_reason(row) {
            let Some(id) = row
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.trim().is_empty())
            else {
                let err = ProviderError::new(
                    ProviderErrorCode::UnexpectedResponse,
                    format!("a removed delta row lacks `value[{index}].id`"),
                );
                self.skipped
                    .push((page, SkippedUserRow::from_error(row, index, &err)));
                return;
            };
            self.seq += 1;
            self.removed.push((
                self.seq,
                RemovedUser {
                    entra_object_id: id.to_string(),
                    reason: if reason == "deleted" {
                        RemovalReason::Deleted
                    } else {
                        RemovalReason::Changed
                    },
                },
            ));
            return;
        }
        match user_from_row(tenant, row, index) {
            Ok(user) if !user.entra_object_id.trim().is_empty() => {
                self.seq += 1;
                self.users.push((self.seq, user));
            }
            Ok(_) => {
                let err = ProviderError::new(
                    ProviderErrorCode::UnexpectedResponse,
                    format!("a delta row has an empty `value[{index}].id`"),
                );
                self.skipped
                    .push((page, SkippedUserRow::from_error(row, index, &err)));
            }
            Err(err) => self
                .skipped
                .push((page, SkippedUserRow::from_error(row, index, &err))),
        }
    }

    /// The round reached its delta link. With rows left out it is still incomplete and the
    /// link is not handed on: the next round replays from the old link, and absence from a
    /// full enumeration does not count.
    fn finish(self, link: String) -> DeltaListing {
        let complete = self.skipped.is_empty();
        let warnings = skipped_warnings(&self.skipped);
        let (users, removed) = merge_replays(self.users, self.removed);
        DeltaListing {
            users,
            removed,
            delta_link: complete.then_some(link),
            resync_required: false,
            full_enumeration: self.full_enumeration,
            complete,
            warnings,
        }
    }

    /// A round that broke off: what arrived, no delta link (the next round restarts from the
    /// old one), not complete, and a warning saying why.
    fn partial(self, err: ProviderError) -> DeltaListing {
        tracing::warn!(code = err.code(), "delta round stopped early");
        let mut warnings = skipped_warnings(&self.skipped);
        warnings.push(Warning::new(
            "listing_failed",
            format!("the delta round stopped early ({err})"),
        ));
        let (users, removed) = merge_replays(self.users, self.removed);
        DeltaListing {
            users,
            removed,
            delta_link: None,
            resync_required: false,
            full_enumeration: self.full_enumeration,
            complete: false,
            warnings,
        }
    }
}

/// A user can appear more than once in a round (replays, a removal then a restore, a change
/// then a removal); the last appearance wins, whether it is a change or a removal. Entries are
/// numbered in arrival order.
fn merge_replays(
    users: Vec<(usize, EntraUser)>,
    removed: Vec<(usize, RemovedUser)>,
) -> (Vec<EntraUser>, Vec<RemovedUser>) {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (seq, id) in users
        .iter()
        .map(|(seq, u)| (*seq, &u.entra_object_id))
        .chain(removed.iter().map(|(seq, r)| (*seq, &r.entra_object_id)))
    {
        let entry = last.entry(id.clone()).or_insert(seq);
        *entry = (*entry).max(seq);
    }
    let latest = |seq: usize, id: &str| last.get(id) == Some(&seq);
    let users = users
        .into_iter()
        .filter(|(seq, u)| latest(*seq, &u.entra_object_id))
        .map(|(_, u)| u)
        .collect();
    let removed = removed
        .into_iter()
        .filter(|(seq, r)| latest(*seq, &r.entra_object_id))
        .map(|(_, r)| r)
        .collect();
    (users, removed)
}
