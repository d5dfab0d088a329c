//! Inactivation rules and the mass-inactivation guard.
//!
//! Only active, unlocked contacts of the mapped client that are linked to this tenant are ever
//! inactivated: for a disabled user, or for an identity absent from a complete listing or
//! reported removed. When a plan would inactivate too many contacts at once, the inactivations are
//! withheld: a half-broken upstream must not empty a client's contact list. A complete listing
//! with no users at all proves nothing about absence: those inactivations are always withheld.
//! Leaving the group scope inactivates only when the host turns that on.

use super::hashing::FastSet;

use crate::filter::ExclusionReason;
use crate::model::Warning;

use super::action::{Action, ActionKind, ActionReason};
use super::snapshot::Snapshot;

pub(crate) struct Inactivations<'a> {
    pub(crate) actions: Vec<Action>,
    pub(crate) withheld: Vec<Action>,
    /// Identities whose link this plan closes (deleted upstream, not withheld).
    pub(crate) closed: FastSet<&'a str>,
    /// Contacts this plan inactivates (not withheld).
    pub(crate) contacts: FastSet<usize>,
    pub(crate) warnings: Vec<Warning>,
}

/// Plans the inactivations of this tenant; `classes[u]` is the filter's verdict on `users[u]`.
///
/// `live_links[c]` counts the listed identities still holding contact `c` (enabled and included,
/// or left alone by the group scope): such a contact stays active even when another identity
/// linked to it is disabled or gone. `leave_inactivates`: a user who left the group scope has
/// their contact inactivated (the host turned it on and every group listing is complete).
pub(crate) fn plan<'a>(
    snap: &Snapshot<'a>,
    classes: &[Option<ExclusionReason>],
    live_links: &[u32],
    leave_inactivates: bool,
) -> Inactivations<'a> {
    let input = snap.input;
    let mut planned: Vec<(Action, usize, Option<&'a str>)> = Vec::new();
    let alive = |c: usize| live_links.get(c).copied().unwrap_or(0) > 0;
    let empty = empty_listing(snap);
    // Inactivations for mere absence from an empty listing: never applied, whatever the guard.
    let mut absent_from_empty: Vec<Action> = Vec::new();

    // Identities gone upstream: absent from a complete listing, or reported removed. The flag
    // tells an explicit report (`removedObjectIds`) from mere absence.
    let mut gone: Vec<(usize, bool)> = Vec::new();
    for &li in &snap.unlisted_links {
        let removed = input
            .links
            .get(li)
            .is_some_and(|l| snap.removed.contains(l.entra_object_id.as_str()));
        if input.listing_complete || removed {
            gone.push((li, removed));
        }
    }
    for u in 0..input.users.len() {
        if snap.is_removed(u)
            && let Some((li, _)) = snap.link_of_user(u)
        {
            gone.push((li, true));
        }
    }
    gone.sort_unstable();
    for (li, removed) in gone {
        let (Some(link), Some(Some(c))) = (input.links.get(li), snap.link_contact.get(li)) else {
            continue;
        };
        if !alive(*c) && inactivatable(snap, *c) {
            let object_id = link.entra_object_id.as_str();
            let action = inactivate(snap, object_id, *c, ActionReason::DeletedUpstream);
            if empty && !removed {
                absent_from_empty.push(action);
            } else {
                planned.push((action, *c, Some(object_id)));
            }
        }
    }

    if input.settings.mark_inactive_when_disabled {
        for (u, (user, class)) in input.users.iter().zip(classes).enumerate() {
            if *class != Some(ExclusionReason::AccountDisabled) || snap.is_removed(u) {
                continue;
            }
            let Some((_, Some(c))) = snap.link_of_user(u) else {
                continue;
            };
            if !alive(c) && inactivatable(snap, c) {
                let object_id = user.entra_object_id.as_str();
                let action = inactivate(snap, object_id, c, ActionReason::DisabledUpstream);
                planned.push((action, c, None));
            }
        }
    }

    // A user who left the group scope: inactivated only when the host turned that on (by
    // default the planner closes the link and leaves the contact as it is).
    if leave_inactivates {
        for (u, (user, class)) in input.users.iter().zip(classes).enumerate() {
            if !class.is_some_and(ExclusionReason::is_out_of_group_scope) || snap.is_removed(u) {
                continue;
            }
            let Some((_, Some(c))) = snap.link_of_user(u) else {
                continue;
            };
            if !alive(c) && inactivatable(snap, c) {
                let object_id = user.entra_object_id.as_str();
                let action = inactivate(snap, object_id, c, ActionReason::LeftGroupScope);
                planned.push((action, c, Some(object_id)));
            }
        }
    }

    let mut out = Inactivations {
        actions: Vec::new(),
        withheld: Vec::new(),
        closed: FastSet::default(),
        contacts: FastSet::default(),
        warnings: Vec::new(),
    };
    if empty {
        out.warnings.push(Warning::new(
            "empty_listing",
            format!(
                "the complete user listing holds no users; a tenant always has users, so nobody is inactivated for being absent from it ({} inactivations withheld; allowing mass inactivation does not apply them)",
                absent_from_empty.len()
            ),
        ));
        out.withheld = absent_from_empty;
    }
    let count = planned.len();
    let base = active_linked_contacts(snap);
    let guard = input.settings.mass_inactivation;
    let limit = f64::from(guard.min_count).max(guard.max_share * base as f64);
    if count as f64 > limit {
        let detail = format!(
            "{count} inactivations exceed the limit of {limit} (max of minCount {} and maxShare {} of {base} active linked contacts)",
            guard.min_count, guard.max_share
        );
        if !input.settings.allow_mass_inactivation {
            out.warnings.push(Warning::new(
                "mass_inactivation_withheld",
                format!("{detail}; they were withheld. Allow mass inactivation to apply them."),
            ));
            out.withheld.extend(planned.into_iter().map(|(a, _, _)| a));
            return out;
        }
        out.warnings.push(Warning::new(
            "mass_inactivation_allowed",
            format!("{detail}; applied because mass inactivation is allowed."),
        ));
    }
    for (action, contact, closes) in planned {
        out.contacts.insert(contact);
        if let Some(object_id) = closes {
            out.closed.insert(object_id);
        }
        out.actions.push(action);
    }
    out
}

/// Whether the listing is complete yet holds no user that is still there (none at all, or only
/// users reported removed). A tenant always has users: such a listing is far more likely a broken
/// upstream (a permission lost, a filter gone wrong) than a tenant emptied, so absence from it
/// proves nothing.
fn empty_listing(snap: &Snapshot<'_>) -> bool {
    let input = snap.input;
    input.listing_complete && (0..input.users.len()).all(|u| snap.is_removed(u))
}

/// Whether sync may inactivate contact `c`: in the mapped client, active and unlocked.
fn inactivatable(snap: &Snapshot<'_>, c: usize) -> bool {
    snap.contact_at(c)
        .is_some_and(|contact| snap.in_client(contact) && !contact.is_inactive && !contact.locked)
}

fn inactivate(snap: &Snapshot<'_>, object_id: &str, c: usize, reason: ActionReason) -> Action {
    let input = snap.input;
    let action = Action::new(
        ActionKind::Inactivate,
        &input.entra_tenant_id,
        object_id,
        &input.client_id,
        reason,
    );
    match snap.contact_at(c) {
        Some(contact) => action.on_contact(contact),
        None => action,
    }
    .sealed()
}

/// The guard's base: this tenant's active links whose contact is active, counted on the input
/// (the contacts sync currently keeps in step for this tenant).
fn active_linked_contacts(snap: &Snapshot<'_>) -> usize {
    let input = snap.input;
    input
        .links
        .iter()
        .zip(&snap.link_contact)
        .filter(|(link, c)| {
            link.active
                && link.entra_tenant_id == input.entra_tenant_id
                && c.and_then(|c| snap.contact_at(c))
                    .is_some_and(|contact| !contact.is_inactive)
        })
        .count()
}

#[cfg(test)]
mod tests {
    use crate::model::{Contact, EntraUser};
    use crate::reconcile::snapshot::tests::link;
    use crate::reconcile::{ActionKind, ActionReason, PlanInput, plan_tenant_sync};

    /// A contact whose gone user's inactivation the guard withholds stays linked to that user,
    /// so a listed user with its address is a conflict, not a second link; once the
    /// inactivation goes through (here: the operator allows it), the same plan links the listed
    /// user to the contact and reactivates it.
    #[test]
    fn a_contact_held_by_a_withheld_inactivation_is_linked_once_it_goes_through() {
        let mut returning = EntraUser::new("t", "n5");
        returning.user_principal_name = Some("p5@contoso.com".into());
        returning.email = Some("p5@contoso.com".into());
        returning.account_enabled = true;
        let mut kept = EntraUser::new("t", "u0");
        kept.user_principal_name = Some("p0@contoso.com".into());
        kept.account_enabled = true;
        let mut contacts: Vec<Contact> = (0..3)
            .map(|i| {
                let mut c = Contact::new(format!("k{i}"), "c");
                c.email = Some(format!("p{i}@contoso.com"));
                c
            })
            .collect();
        let mut held = Contact::new("k5", "c");
        held.email = Some("p5@contoso.com".into());
        contacts.push(held);
        let mut input = PlanInput {
            entra_tenant_id: "t".into(),
            client_id: "c".into(),
            users: vec![kept, returning],
            listing_complete: true,
            removed_object_ids: vec![],
            contacts,
            links: vec![
                link("u0", "k0"),
                link("u1", "k1"),
                link("u2", "k2"),
                link("g5", "k5"),
            ],
            resolutions: vec![],
            settings: Default::default(),
            now: None,
            synced_by: None,
            group_memberships: Vec::new(),
        };
        let summary = |input: &PlanInput| {
            let plan = plan_tenant_sync(input).unwrap();
            let actions: Vec<(ActionKind, String, Option<ActionReason>)> = plan
                .actions
                .iter()
                .filter(|a| a.entra_object_id == "n5" || a.entra_object_id == "g5")
                .map(|a| (a.kind, a.entra_object_id.clone(), a.reason))
                .collect();
            (actions, plan.withheld.len())
        };
        input.settings.mass_inactivation.min_count = 1;
        let (held_up, withheld) = summary(&input);
        assert_eq!(withheld, 3, "three gone users out of four linked contacts");
        assert_eq!(
            held_up,
            [(
                ActionKind::Conflict,
                "n5".to_string(),
                Some(ActionReason::ContactLinkedToOtherIdentity)
            )]
        );
        input.settings.allow_mass_inactivation = true;
        let (freed, withheld) = summary(&input);
        assert_eq!(withheld, 0);
        assert_eq!(
            freed,
            [
                (
                    ActionKind::Inactivate,
                    "g5".to_string(),
                    Some(ActionReason::DeletedUpstream)
                ),
                (
                    ActionKind::Link,
                    "n5".to_string(),
                    Some(ActionReason::EmailMatch)
                ),
                (
                    ActionKind::Reactivate,
                    "n5".to_string(),
                    Some(ActionReason::EnabledUpstream)
                ),
            ]
        );
    }

    #[test]
    fn an_empty_complete_listing_never_inactivates_by_absence_even_when_allowed() {
        let links = (0..3)
            .map(|i| link(&format!("u{i}"), &format!("k{i}")))
            .collect();
        let mut input = PlanInput {
            entra_tenant_id: "t".into(),
            client_id: "c".into(),
            users: vec![],
            listing_complete: true,
            removed_object_ids: vec!["u2".into()],
            contacts: (0..3).map(|i| Contact::new(format!("k{i}"), "c")).collect(),
            links,
            resolutions: vec![],
            settings: Default::default(),
            now: None,
            synced_by: None,
            group_memberships: Vec::new(),
        };
        input.settings.allow_mass_inactivation = true;
        let plan = plan_tenant_sync(&input).unwrap();
        let inactivated: Vec<_> = plan
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::Inactivate)
            .map(|a| a.entra_object_id.as_str())
            .collect();
        assert_eq!(inactivated, ["u2"], "only the reported removal applies");
        assert_eq!(plan.withheld.len(), 2);
        assert_eq!(plan.counters.withheld, 2);
        assert!(plan.warnings.iter().any(|w| w.code == "empty_listing"));
        assert!(
            !plan
                .warnings
                .iter()
                .any(|w| w.code == "mass_inactivation_allowed")
        );
    }
}
