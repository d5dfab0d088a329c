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
                candidates.push((hit.contact, reason));
            }
        }
    }
    if !candidates.is_empty() {
        return MatchOutcome::Candidates(strongest_per_contact(candidates));
    }
    if !taken.is_empty() {
        return MatchOutcome::LinkedElsewhere(sorted_unique(taken));
    }
    if !elsewhere.is_empty() {
        return MatchOutcome::OtherClient(sorted_unique(elsewhere));
    }
    MatchOutcome::NoMatch
}

/// One entry per contact, sorted by contact: `email_match` when any of the contact's hits was a
/// primary-to-primary one, else `alias_match`. Sorting keeps this near-linear when thousands of
/// contacts share one address.
fn strongest_per_contact(mut hits: Vec<(usize, ActionReason)>) -> Vec<(usize, ActionReason)> {
    let strength = |r: &ActionReason| u8::from(*r != ActionReason::EmailMatch);
    hits.sort_unstable_by_key(|(c, r)| (*c, strength(r)));
    hits.dedup_by_key(|(c, _)| *c);
    hits
}

fn sorted_unique(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Contact;
    use crate::reconcile::{ActionKind, PlanInput, plan_tenant_sync};

    fn contact(id: String, email: &str, additional: &[&str]) -> Contact {
        let mut c = Contact::new(id, "c");
        c.email = Some(email.into());
        c.additional_emails = additional.iter().map(|a| a.to_string()).collect();
        c
    }

    #[test]
    fn strongest_reason_wins_per_contact() {
        let hits = vec![
            (3, ActionReason::AliasMatch),
            (1, ActionReason::AliasMatch),
            (3, ActionReason::EmailMatch),
            (1, ActionReason::AliasMatch),
            (2, ActionReason::EmailMatch),
            (2, ActionReason::AliasMatch),
        ];
        assert_eq!(
            strongest_per_contact(hits),
            [
                (1, ActionReason::AliasMatch),
                (2, ActionReason::EmailMatch),
                (3, ActionReason::EmailMatch),
            ]
        );
    }

    #[test]
    fn many_contacts_sharing_one_address_are_matched_without_quadratic_work() {
        // 200,000 contacts holding the user's address (some twice, as email and alias): a
        // per-hit scan of the hits so far would take minutes.
        const CONTACTS: usize = 200_000;
        let contacts: Vec<Contact> = (0..CONTACTS)
            .map(|i| {
                let extra: &[&str] = if i % 2 == 0 {
                    &["Shared@Contoso.com"]
                } else {
                    &[]
                };
                contact(format!("k{i}"), "shared@contoso.com", extra)
            })
            .collect();
        let mut user = EntraUser::new("t", "u0");
        user.email = Some("shared@contoso.com".into());
        user.assigned_license_sku_ids = vec!["sku".into()];
        let input = PlanInput {
            entra_tenant_id: "t".into(),
            client_id: "c".into(),
            users: vec![user],
            listing_complete: true,
            removed_object_ids: Vec::new(),
            contacts,
            links: Vec::new(),
            resolutions: Vec::new(),
            settings: Default::default(),
            now: None,
            synced_by: None,
            group_memberships: Vec::new(),
        };
        let plan = plan_tenant_sync(&input).expect("plan");
        let ambiguous: Vec<_> = plan
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::QueueAmbiguous)
            .collect();
        assert_eq!(ambiguous.len(), 1);
        let ids = &ambiguous[0].candidate_contact_ids;
        assert_eq!(ids.len(), CONTACTS);
        assert_eq!(ids.first().map(String::as_str), Some("k0"));
        assert_eq!(ids.last().map(String::as_str), Some("k199999"));
    }
}
