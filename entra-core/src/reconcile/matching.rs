//! Matching an unlinked user to contacts by address, inside the mapped client only.
//!
//! Names never link anybody: only an address the user and a contact both carry does. Contacts of
//! other clients are only reported, so a person who already exists elsewhere is never duplicated
//! and never moved.

use crate::model::EntraUser;

use super::action::ActionReason;
use super::addresses::{Hits, user_addresses};
use super::hashing::FastMap;
use super::snapshot::Snapshot;

/// What the address search found for one user; contact indexes are in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MatchOutcome {
    /// Contacts of the mapped client free to link, with the reason each would be linked for.
    Candidates(Vec<(usize, ActionReason)>),
    /// Contacts of the mapped client hold the addresses, but all are linked to other identities.
    LinkedElsewhere(Vec<usize>),
    /// Only contacts of other clients hold the addresses.
    OtherClient(Vec<usize>),
    NoMatch,
}

/// Searches the contacts for `user`'s addresses. `blocked[i]` says contact `i` is already taken
/// by another identity.
pub(crate) fn match_user(
    snap: &Snapshot<'_>,
    by_address: &FastMap<String, Hits>,
    user: &EntraUser,
    blocked: &[bool],
) -> MatchOutcome {
    let mut candidates: Vec<(usize, ActionReason)> = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    let mut elsewhere: Vec<usize> = Vec::new();
    for address in user_addresses(user) {
        let Some(hits) = by_address.get(&address.address) else {
            continue;
        };
        for hit in hits.iter() {
            let Some(contact) = snap.input.contacts.get(hit.contact) else {
                continue;
            };
            if !snap.in_client(contact) {
                elsewhere.push(hit.contact);
            } else if blocked.get(hit.contact).copied().unwrap_or(false) {
                taken.push(hit.contact);
            } else {
                let reason = if hit.primary && address.primary {
                    ActionReason::EmailMatch
                } else {
                    ActionReason::AliasMatch
                };
                match candidates.iter_mut().find(|(c, _)| *c == hit.contact) {
                    Some((_, existing)) if reason == ActionReason::EmailMatch => *existing = reason,
                    Some(_) => {}
                    None => candidates.push((hit.contact, reason)),
                }
            }
        }
    }
    if !candidates.is_empty() {
        candidates.sort_unstable_by_key(|(c, _)| *c);
        return MatchOutcome::Candidates(candidates);
    }
    if !taken.is_empty() {
        return MatchOutcome::LinkedElsewhere(sorted_unique(taken));
    }
    if !elsewhere.is_empty() {
        return MatchOutcome::OtherClient(sorted_unique(elsewhere));
    }
    MatchOutcome::NoMatch
}

fn sorted_unique(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}
