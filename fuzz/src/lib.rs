//! The safety invariants the fuzz targets assert on every result, written once.
//!
//! A failed assertion is a crash to libFuzzer, so each check panics with a message naming the
//! invariant.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use entra_core::filter::GroupListingStatus;
use entra_core::mapping::preview::{MatchReason, PreviewInput, PreviewOutput};
use entra_core::model::Contact;
use entra_core::reconcile::{
    Action, ActionKind, ActionReason, PlanInput, apply_plan, plan_tenant_sync,
};

/// Splits a fuzz input for the targets that cover several parsers: the first byte picks one, the
/// rest is the text (lossy UTF-8), and an HTTP error status in 400..600 is drawn from the text's
/// first byte.
pub fn pick_text(data: &[u8]) -> Option<(u8, Cow<'_, str>, u16)> {
    let (&pick, rest) = data.split_first()?;
    let status = 400 + u16::from(rest.first().copied().unwrap_or(0)) % 200;
    Some((pick, String::from_utf8_lossy(rest), status))
}

/// Plans `input`, applies the plan and checks what must hold for any input: the untampered plan
/// is accepted, nothing is removed, no field whose toggle is off changes, inactivation only for
/// a listed disabled user or a user known to be gone, and a second plan after applying changes
/// nothing.
pub fn check_plan(input: &PlanInput) {
    let Ok(plan) = plan_tenant_sync(input) else {
        return;
    };
    let after = apply_plan(input, &plan).expect("an untampered plan is accepted");

    let mut before: HashMap<&str, &Contact> = HashMap::new();
    for contact in &input.contacts {
        before.entry(contact.contact_id.as_str()).or_insert(contact);
    }
    let now: HashMap<&str, &Contact> = after
        .contacts
        .iter()
        .map(|c| (c.contact_id.as_str(), c))
        .collect();
    let toggles = input.settings.field_sync;
    for (id, old) in &before {
        let new = now.get(id).expect("no contact is removed");
        assert_eq!(old.client_id, new.client_id, "a contact moved client");
        if !toggles.display_name {
            assert_eq!(old.full_name, new.full_name, "display name toggle off");
        }
        if !toggles.email {
            assert_eq!(old.email, new.email, "email toggle off");
        }
        if !toggles.job_title {
            assert_eq!(old.role, new.role, "job title toggle off");
        }
        if !toggles.phone {
            assert_eq!(old.phone_numbers, new.phone_numbers, "phone toggle off");
        }
        if !toggles.upn {
            assert_eq!(
                old.user_principal_name, new.user_principal_name,
                "upn toggle off"
            );
        }
        if old.locked {
            assert_eq!(old, new, "a locked contact changed");
        }
    }
    for link in &input.links {
        let kept = after
            .links
            .iter()
            .any(|l| l.entra_object_id == link.entra_object_id && l.contact_id == link.contact_id);
        assert!(kept, "a link was removed");
    }

    let listed: HashSet<&str> = input
        .users
        .iter()
        .map(|u| u.entra_object_id.as_str())
        .collect();
    let removed: HashSet<&str> = input
        .removed_object_ids
        .iter()
        .map(String::as_str)
        .collect();
    for action in plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Inactivate)
    {
        let id = action.entra_object_id.as_str();
        match action.reason {
            Some(ActionReason::DeletedUpstream) => assert!(
                removed.contains(id) || (input.listing_complete && !listed.contains(id)),
                "inactivated by absence from an incomplete listing"
            ),
            Some(ActionReason::DisabledUpstream) => assert!(
                input
                    .users
                    .iter()
                    .any(|u| u.entra_object_id == id && !u.account_enabled),
                "inactivated as disabled but not listed as disabled"
            ),
            Some(ActionReason::LeftGroupScope) => assert!(
                input.settings.inactivate_when_leaving_group_scope
                    && input
                        .group_memberships
                        .iter()
                        .all(|m| m.status == GroupListingStatus::Complete),
                "inactivated for leaving the group scope without the switch or on an incomplete listing"
            ),
            other => panic!("inactivation for an unexpected reason {other:?}"),
        }
    }

    // A retried run changes nothing twice: planning again over the applied state proposes no
    // change, except what the first plan withheld (a mass-inactivation guard weighs the listing
    // as it then was, so withheld inactivations may go through once the estate has grown) and
    // what they held up: a contact whose inactivation was withheld stays linked to its gone
    // user, so a listed user with its address is linked to it (and reactivates it) only once
    // that inactivation goes through; so does any other contact that user is linked to.
    let withheld: HashSet<(ActionKind, &str)> = plan
        .withheld
        .iter()
        .map(|a| (a.kind, a.entra_object_id.as_str()))
        .collect();
    let withheld_users: HashSet<&str> = plan
        .withheld
        .iter()
        .map(|a| a.entra_object_id.as_str())
        .collect();
    // Every contact a withheld user is linked to (an input may link one user to several).
    let held_up: HashSet<&str> = input
        .links
        .iter()
        .filter(|l| l.active && withheld_users.contains(l.entra_object_id.as_str()))
        .map(|l| l.contact_id.as_str())
        .chain(plan.withheld.iter().filter_map(|a| a.contact_id.as_deref()))
        .collect();
    let freed = |a: &Action| {
        matches!(a.kind, ActionKind::Link | ActionKind::Reactivate)
            && a.contact_id.as_deref().is_some_and(|c| held_up.contains(c))
    };
    let mut again = input.clone();
    again.contacts = after.contacts.clone();
    again.links = after.links.clone();
    if let Ok(second) = plan_tenant_sync(&again) {
        let changes: Vec<_> = second
            .actions
            .iter()
            .filter(|a| a.kind.changes_contacts())
            .filter(|a| !withheld.contains(&(a.kind, a.entra_object_id.as_str())))
            .filter(|a| !freed(a))
            .collect();
        assert!(
            changes.is_empty(),
            "a re-plan after apply changes {changes:?}"
        );
    }
}

/// Checks a preview: each tenant lands in exactly one group, a name alone never auto-matches,
/// and every suggested client exists.
pub fn check_preview(input: &PreviewInput, output: &PreviewOutput) {
    let key = |id: &str| id.trim().to_ascii_lowercase();
    let ids = output
        .auto_matched
        .iter()
        .map(|t| key(&t.entra_tenant_id))
        .chain(
            output
                .fuzzy_candidates
                .iter()
                .map(|t| key(&t.entra_tenant_id)),
        )
        .chain(output.unmatched.iter().map(|t| key(&t.entra_tenant_id)))
        .chain(output.mapped.iter().map(|t| key(&t.entra_tenant_id)))
        .chain(output.skipped.iter().map(|t| key(&t.entra_tenant_id)));
    let mut seen: HashMap<String, usize> = HashMap::new();
    for id in ids {
        *seen.entry(id).or_default() += 1;
    }
    for (id, count) in &seen {
        assert_eq!(*count, 1, "tenant {id} is in {count} groups");
    }
    let distinct: HashSet<String> = input
        .tenants
        .iter()
        .map(|t| key(&t.entra_tenant_id))
        .collect();
    assert!(
        seen.len() <= distinct.len(),
        "the preview invented a tenant"
    );
    let clients: HashSet<&str> = input.clients.iter().map(|c| c.client_id.as_str()).collect();
    for auto in &output.auto_matched {
        assert_ne!(
            auto.suggestion.reason,
            MatchReason::FuzzyName,
            "a name alone auto-matched"
        );
        assert!(
            clients.contains(auto.suggestion.client_id.as_str()),
            "an unknown client"
        );
    }
    for group in &output.fuzzy_candidates {
        for candidate in &group.candidates {
            assert!(
                clients.contains(candidate.client_id.as_str()),
                "an unknown client"
            );
            assert!(
                (0.0..=1.0).contains(&candidate.score),
                "a score outside 0..=1"
            );
        }
    }
}
