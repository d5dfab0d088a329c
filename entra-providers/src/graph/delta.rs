use std::collections::{HashMap, HashSet};

use entra_core::model::EntraUser;
use entra_core::provider::{
    DeltaListing, ProviderError, ProviderErrorCode, RemovalReason, RemovedUser,
};
use serde_json::Value;

use super::normalize::user_from_row;
use super::request::{Caller, GraphClient};
use super::wire::{USER_SELECT, removed_reason};
use crate::http::{PageGuard, check_next_link};

/// One delta round for a customer tenant. Without a link the round enumerates every user and
/// ends in the first delta link. An expired or refused delta token (`syncStateNotFound`,
/// `resyncRequired`, 410) yields `resync_required` and no changes, never an empty change set.
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
    let mut users: Vec<(usize, EntraUser)> = Vec::new();
    let mut removed: Vec<(usize, RemovedUser)> = Vec::new();
    let mut seq = 0usize;
    let mut url = first;
    let mut page_number = 0usize;
    let resync = || DeltaListing {
        users: Vec::new(),
        removed: Vec::new(),
        delta_link: None,
        resync_required: true,
        full_enumeration,
        complete: false,
    };
    loop {
        let page = match client
            .get_page::<Value>(Caller::Customer(tenant), &url)
            .await
        {
            Ok(page) => page,
            Err(err) if err.code == ProviderErrorCode::ResyncRequired => {
                tracing::info!("delta token refused; a full resync is required");
                return Ok(resync());
            }
            Err(err) if page_number == 0 => return Err(err),
            Err(err) => return Ok(partial(users, removed, full_enumeration, err)),
        };
        for (i, row) in page.value.iter().enumerate() {
            if let Some(reason) = removed_reason(row) {
                let Some(id) = row.get("id").and_then(Value::as_str) else {
                    let err = ProviderError::new(
                        ProviderErrorCode::UnexpectedResponse,
                        format!("a removed delta row lacks `value[{i}].id`"),
                    );
                    return stop(page_number, users, removed, full_enumeration, err);
                };
                seq += 1;
                removed.push((
                    seq,
                    RemovedUser {
                        entra_object_id: id.to_string(),
                        reason: if reason == "deleted" {
                            RemovalReason::Deleted
                        } else {
                            RemovalReason::Changed
                        },
                    },
                ));
                continue;
            }
            match user_from_row(tenant, row, i) {
                Ok(user) => {
                    seq += 1;
                    users.push((seq, user));
                }
                Err(err) => return stop(page_number, users, removed, full_enumeration, err),
            }
        }
        page_number += 1;
        if let Some(link) = page.delta_link {
            // A link the next round would refuse to follow is not worth storing.
            if let Err(err) = check_next_link(&client.base, &link, &mut HashSet::new(), 0, 1) {
                return Ok(partial(users, removed, full_enumeration, err));
            }
            let (users, removed) = merge_replays(users, removed);
            return Ok(DeltaListing {
                users,
                removed,
                delta_link: Some(link),
                resync_required: false,
                full_enumeration,
                complete: true,
            });
        }
        let Some(next) = page.next_link else {
            let err = ProviderError::new(
                ProviderErrorCode::UnexpectedResponse,
                "a delta page carried neither `@odata.nextLink` nor `@odata.deltaLink`",
            );
            return Ok(partial(users, removed, full_enumeration, err));
        };
        match guard.next(&next) {
            Ok(next) => url = next,
            Err(err) => return Ok(partial(users, removed, full_enumeration, err)),
        }
    }
}

fn stop(
    page_number: usize,
    users: Vec<(usize, EntraUser)>,
    removed: Vec<(usize, RemovedUser)>,
    full_enumeration: bool,
    err: ProviderError,
) -> Result<DeltaListing, ProviderError> {
    if page_number == 0 {
        Err(err)
    } else {
        Ok(partial(users, removed, full_enumeration, err))
    }
}

/// A round that broke off: what arrived, no delta link (the next round restarts from the old
/// one), not complete.
fn partial(
    users: Vec<(usize, EntraUser)>,
    removed: Vec<(usize, RemovedUser)>,
    full_enumeration: bool,
    err: ProviderError,
) -> DeltaListing {
    tracing::warn!(code = err.code(), "delta round stopped early");
    let (users, removed) = merge_replays(users, removed);
    DeltaListing {
        users,
        removed,
        delta_link: None,
        resync_required: false,
        full_enumeration,
        complete: false,
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
