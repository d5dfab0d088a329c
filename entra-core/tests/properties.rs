//! Property tests of the planner's safety invariants and of idempotency and determinism, over
//! small random snapshots drawn from a tiny address pool so collisions are frequent; and of
//! `apply_plan`'s refusal of any altered plan or a plan made from other input.

use std::collections::HashSet;

use entra_core::CoreError;
use entra_core::filter::{ExclusionReason, GroupListingStatus, GroupMembership};
use entra_core::model::{
    Contact, ContactLink, EntraUser, FieldSync, InactiveSource, LinkStatus, PhoneNumber, PhoneType,
    Resolution, ResolutionDecision, SyncSettings, SyncState,
};
use entra_core::reconcile::{
    Action, ActionKind, ActionReason, ContactPatch, PlanInput, PlanRule, SyncPlan, apply_plan,
    input_digest, plan_tenant_sync,
};
use entra_core::store::changes_from_plan;
use proptest::prelude::*;

const TENANT: &str = "tenant-1";
const CLIENT: &str = "client-1";
const POOL: &[&str] = &[
    "ann@contoso.com",
    "ANN@contoso.com ",
    "bob@contoso.com",
    "carol@contoso.com",
    "dave@fabrikam.com",
    "erin@contoso.com",
    "noreply@contoso.com",
    "not-an-address",
];

fn address() -> impl Strategy<Value = String> {
    prop::sample::select(POOL).prop_map(str::to_string)
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.7, s)
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(&["Ann Lee", "Bob Ode", "  ", "Carol", "Shared Mailbox"][..])
        .prop_map(str::to_string)
}

fn phone() -> impl Strategy<Value = String> {
    prop::sample::select(&["+1 555 0100", "555-0100", "+1 555 0199", "n/a", "0200"][..])
        .prop_map(str::to_string)
}

fn user(i: usize) -> impl Strategy<Value = EntraUser> {
    (
        (
            opt(address()),
            opt(address()),
            prop::collection::vec(address(), 0..2),
            prop::collection::vec(address(), 0..2),
        ),
        (
            opt(name()),
            any::<bool>(),
            prop::bool::weighted(0.1),
            opt(name()),
        ),
        (
            prop::collection::vec(phone(), 0..2),
            opt(phone()),
            prop::bool::weighted(0.85),
        ),
    )
        .prop_map(
            move |(
                (mail, upn, other, proxies),
                (display, guest, has_license, title),
                (business, mobile, enabled),
            )| {
                let mut u = EntraUser::new(TENANT, format!("u{i}"));
                u.email = mail;
                u.user_principal_name = upn;
                u.other_mails = other;
                u.proxy_addresses = proxies.into_iter().map(|p| format!("smtp:{p}")).collect();
                u.display_name = display;
                u.user_type = Some(
                    if guest && has_license {
                        "Guest"
                    } else {
                        "Member"
                    }
                    .to_string(),
                );
                u.assigned_license_sku_ids = if has_license {
                    vec![]
                } else {
                    vec!["sku".into()]
                };
                u.job_title = title;
                u.business_phones = business;
                u.mobile_phone = mobile;
                u.account_enabled = enabled;
                u
            },
        )
}

fn contact(i: usize) -> impl Strategy<Value = Contact> {
    (
        (
            opt(address()),
            prop::collection::vec(address(), 0..2),
            prop::bool::weighted(0.8),
        ),
        (
            opt(name()),
            opt(name()),
            prop::collection::vec(phone(), 0..2),
        ),
        (
            prop::bool::weighted(0.3),
            0..3u8,
            prop::bool::weighted(0.15),
            opt(address()),
        ),
    )
        .prop_map(
            move |(
                (email, extra, mine),
                (full_name, role, phones),
                (inactive, source, locked, upn),
            )| {
                let mut c = Contact::new(format!("c{i}"), if mine { CLIENT } else { "client-2" });
                c.email = email;
                c.additional_emails = extra;
                c.full_name = full_name;
                c.role = role;
                c.phone_numbers = phones
                    .into_iter()
                    .map(|number| PhoneNumber {
                        number,
                        kind: PhoneType::Other,
                    })
                    .collect();
                c.is_inactive = inactive;
                c.inactive_source = match (inactive, source) {
                    (true, 0) => Some(InactiveSource::EntraSync),
                    (true, 1) => Some(InactiveSource::Other),
                    _ => None,
                };
                c.locked = locked;
                c.user_principal_name = upn;
                c
            },
        )
}

fn input() -> impl Strategy<Value = PlanInput> {
    (0..7usize, 0..7usize).prop_flat_map(|(nu, nc)| {
        let users: Vec<_> = (0..nu).map(user).collect();
        let contacts: Vec<_> = (0..nc).map(contact).collect();
        let link = (
            0..9usize,
            0..8usize,
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(u, c, active, other_tenant)| ContactLink {
                entra_tenant_id: if other_tenant { "tenant-2" } else { TENANT }.to_string(),
                entra_object_id: format!("u{u}"),
                contact_id: format!("c{c}"),
                client_id: Some(CLIENT.to_string()),
                active,
                last_seen_at: None,
                last_synced_at: None,
                status: None,
            });
        let resolution = (0..8usize, 0..3u8, 0..8usize).prop_map(|(u, d, c)| Resolution {
            entra_object_id: format!("u{u}"),
            decision: match d {
                0 => ResolutionDecision::LinkExisting,
                1 => ResolutionDecision::CreateNew,
                _ => ResolutionDecision::Dismissed,
            },
            contact_id: Some(format!("c{c}")),
        });
        let toggles = prop::array::uniform5(any::<bool>()).prop_map(|t| FieldSync {
            display_name: t[0],
            email: t[1],
            phone: t[2],
            job_title: t[3],
            upn: t[4],
        });
        let settings = (
            toggles,
            any::<bool>(),
            any::<bool>(),
            prop::bool::weighted(0.2),
            0..4u32,
            0.0..=1.0f64,
            any::<bool>(),
        )
            .prop_map(|(field_sync, mark, react, allow, min, share, guests)| {
                let mut s = SyncSettings {
                    field_sync,
                    ..SyncSettings::default()
                };
                s.mark_inactive_when_disabled = mark;
                s.reactivate_when_enabled = react;
                s.allow_mass_inactivation = allow;
                s.mass_inactivation.min_count = min;
                s.mass_inactivation.max_share = share;
                s.filter.include_guests = guests;
                s
            });
        (
            users,
            contacts,
            prop::collection::vec(link, 0..8),
            prop::collection::vec(resolution, 0..3),
            settings,
            prop::bool::weighted(0.7),
            prop::collection::vec((0..9usize).prop_map(|u| format!("u{u}")), 0..2),
        )
            .prop_map(
                |(users, contacts, links, resolutions, settings, complete, removed)| PlanInput {
                    entra_tenant_id: TENANT.into(),
                    client_id: CLIENT.into(),
                    users,
                    listing_complete: complete,
                    removed_object_ids: removed,
                    contacts,
                    links,
                    resolutions,
                    settings,
                    group_memberships: Vec::new(),
                    now: None,
                    synced_by: None,
                },
            )
    })
}

fn norm(a: &str) -> String {
    a.trim().to_lowercase()
}

fn user_addresses(u: &EntraUser) -> HashSet<String> {
    u.email
        .iter()
        .chain(&u.user_principal_name)
        .chain(&u.other_mails)
        .map(|a| norm(a))
        .chain(
            u.proxy_addresses
                .iter()
                .filter_map(|p| p.strip_prefix("smtp:"))
                .map(norm),
        )
        .filter(|a| a.contains('@'))
        .collect()
}

fn contact_addresses(c: &Contact) -> HashSet<String> {
    c.email
        .iter()
        .chain(&c.additional_emails)
        .map(|a| norm(a))
        .filter(|a| a.contains('@'))
        .collect()
}

fn find<'a>(input: &'a PlanInput, plan: &'a SyncPlan, id: &str) -> Option<&'a Contact> {
    input
        .contacts
        .iter()
        .find(|c| c.contact_id == id)
        .or_else(|| {
            plan.actions
                .iter()
                .filter_map(|a| a.contact.as_ref())
                .find(|c| c.contact_id == id)
        })
}

fn changes(a: &Action) -> bool {
    a.kind.changes_contacts()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Nothing is ever removed: every contact and link survives apply_plan, links only close.
    #[test]
    fn no_action_deletes(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        let after = apply_plan(&input, &plan).unwrap();
        prop_assert!(after.contacts.len() >= input.contacts.len());
        for (before, now) in input.contacts.iter().zip(&after.contacts) {
            prop_assert_eq!(&before.contact_id, &now.contact_id);
            prop_assert_eq!(&before.client_id, &now.client_id);
        }
        prop_assert!(after.links.len() >= input.links.len());
        for (before, now) in input.links.iter().zip(&after.links) {
            prop_assert_eq!(&before.entra_object_id, &now.entra_object_id);
            prop_assert_eq!(&before.contact_id, &now.contact_id);
            prop_assert!(before.active || !now.active, "a closed link was reopened");
        }
    }

    /// Update patches hold only toggled-on fields; creates use only the allowed fields.
    #[test]
    fn patches_respect_toggles(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        let t = input.settings.field_sync;
        for a in &plan.actions {
            if let Some(p) = &a.patch {
                prop_assert!(p.full_name.is_none() || t.display_name);
                prop_assert!(p.email.is_none() || t.email);
                prop_assert!(p.role.is_none() || t.job_title);
                prop_assert!(p.phone_numbers.is_none() || t.phone);
                prop_assert!(p.user_principal_name.is_none() || t.upn);
                let old = find(&input, &plan, a.contact_id.as_deref().unwrap()).unwrap();
                if let Some(phones) = &p.phone_numbers {
                    for local in &old.phone_numbers {
                        prop_assert!(phones.contains(local), "a local phone number was dropped");
                    }
                }
            }
            if let Some(c) = &a.contact {
                prop_assert_eq!(a.kind, ActionKind::Create);
                prop_assert!(c.additional_emails.is_empty());
                prop_assert!(!c.is_inactive && !c.locked && c.inactive_source.is_none());
                prop_assert!(c.user_principal_name.is_none() || t.upn);
            }
        }
    }

    /// Every contact an action touches belongs to the mapped client.
    #[test]
    fn matching_never_leaves_the_mapped_client(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        for a in plan.actions.iter().chain(&plan.withheld).filter(|a| changes(a)) {
            let c = find(&input, &plan, a.contact_id.as_deref().unwrap()).unwrap();
            prop_assert_eq!(c.client_id.as_deref(), Some(CLIENT));
            prop_assert_eq!(&a.client_id, CLIENT);
        }
        for a in plan.actions.iter().filter(|a| a.kind == ActionKind::QueueAmbiguous) {
            for id in &a.candidate_contact_ids {
                prop_assert_eq!(find(&input, &plan, id).unwrap().client_id.as_deref(), Some(CLIENT));
            }
        }
    }

    /// An address link is never a guess: the contact shares an address with the user, and no other
    /// free contact of the mapped client does. Ambiguity is queued with every candidate.
    #[test]
    fn several_plausible_contacts_are_queued(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        let linked: HashSet<&str> = input.links.iter().filter(|l| l.active).map(|l| l.contact_id.as_str()).collect();
        let chosen: HashSet<&str> = input.resolutions.iter().filter_map(|r| r.contact_id.as_deref()).collect();
        for a in &plan.actions {
            let user = input.users.iter().find(|u| u.entra_object_id == a.entra_object_id);
            match (a.kind, a.reason) {
                (ActionKind::Link, Some(ActionReason::EmailMatch | ActionReason::AliasMatch)) => {
                    let user = user.unwrap();
                    let addrs = user_addresses(user);
                    let target = a.contact_id.as_deref().unwrap();
                    let c = find(&input, &plan, target).unwrap();
                    prop_assert!(!contact_addresses(c).is_disjoint(&addrs));
                    let others = input.contacts.iter().filter(|o| {
                        o.contact_id != target
                            && o.client_id.as_deref() == Some(CLIENT)
                            && !linked.contains(o.contact_id.as_str())
                            && !chosen.contains(o.contact_id.as_str())
                            && !contact_addresses(o).is_disjoint(&addrs)
                    }).count();
                    prop_assert_eq!(others, 0, "linked although another free contact matches");
                }
                (ActionKind::QueueAmbiguous, _) => prop_assert!(a.candidate_contact_ids.len() >= 2),
                _ => {}
            }
        }
    }

    /// Absence inactivates only on a complete listing or an explicit removal; the guard holds.
    #[test]
    fn inactivation_rules_hold(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        let listed: HashSet<&str> = input.users.iter().map(|u| u.entra_object_id.as_str()).collect();
        let removed: HashSet<&str> = input.removed_object_ids.iter().map(String::as_str).collect();
        let inactivations: Vec<&Action> = plan.actions.iter().filter(|a| a.kind == ActionKind::Inactivate).collect();
        // A complete listing with no user still there proves nothing about absence: those
        // inactivations are always withheld, outside the guard.
        let empty = input.listing_complete && listed.iter().all(|id| removed.contains(id));
        let by_absence = |a: &Action| {
            a.reason == Some(ActionReason::DeletedUpstream) && !removed.contains(a.entra_object_id.as_str())
        };
        prop_assert_eq!(empty, plan.warnings.iter().any(|w| w.code == "empty_listing"));
        if empty {
            prop_assert!(!inactivations.iter().any(|a| by_absence(a)), "inactivated by absence from an empty listing");
        }
        let guard_withheld: Vec<&Action> = plan.withheld.iter().filter(|a| !(empty && by_absence(a))).collect();
        for a in inactivations.iter().chain(&plan.withheld.iter().collect::<Vec<_>>()) {
            let id = a.entra_object_id.as_str();
            match a.reason {
                Some(ActionReason::DeletedUpstream) => prop_assert!(
                    removed.contains(id) || (input.listing_complete && !listed.contains(id))
                ),
                Some(ActionReason::DisabledUpstream) => {
                    let u = input.users.iter().find(|u| u.entra_object_id == id).unwrap();
                    prop_assert!(!u.account_enabled && input.settings.mark_inactive_when_disabled);
                }
                other => prop_assert!(false, "unexpected inactivation reason {:?}", other),
            }
            let c = find(&input, &plan, a.contact_id.as_deref().unwrap()).unwrap();
            prop_assert!(!c.locked && !c.is_inactive);
        }
        if !input.settings.allow_mass_inactivation {
            // The base: this tenant's active links whose contact is in the input and active.
            let base = input
                .links
                .iter()
                .filter(|l| l.active && l.entra_tenant_id == TENANT)
                .filter(|l| {
                    input
                        .contacts
                        .iter()
                        .find(|c| c.contact_id == l.contact_id)
                        .is_some_and(|c| !c.is_inactive)
                })
                .count();
            let g = input.settings.mass_inactivation;
            let limit = f64::from(g.min_count).max(g.max_share * base as f64);
            prop_assert!(inactivations.len() as f64 <= limit);
            if !guard_withheld.is_empty() {
                prop_assert!(guard_withheld.len() as f64 > limit, "withheld at or under the limit");
            }
        }
        prop_assert!(guard_withheld.is_empty() || inactivations.is_empty());
        prop_assert_eq!(plan.counters.withheld as usize, plan.withheld.len());
        prop_assert_eq!(plan.counters.inactivated as usize, inactivations.len());
    }

    /// Contacts inactivated by someone else are never reactivated; locked contacts never change.
    #[test]
    fn foreign_inactivation_and_locks_are_respected(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        for (n, a) in plan.actions.iter().enumerate() {
            let Some(id) = a.contact_id.as_deref() else { continue };
            let Some(c) = input.contacts.iter().find(|c| c.contact_id == id) else { continue };
            if matches!(a.kind, ActionKind::Update | ActionKind::Inactivate | ActionKind::Reactivate) {
                prop_assert!(!c.locked, "locked contact {} changed", id);
            }
            if a.kind == ActionKind::Reactivate {
                let inactivated_here = plan.actions[..n].iter().any(|b| {
                    b.kind == ActionKind::Inactivate && b.contact_id.as_deref() == Some(id)
                });
                prop_assert!(
                    inactivated_here || c.inactive_source == Some(InactiveSource::EntraSync),
                    "reactivated a contact sync did not inactivate"
                );
            }
        }
    }

    /// plan -> apply_plan -> plan changes nothing more. A plan that withheld inactivations is not
    /// settled (the guard's base is measured on each input), so it is left out.
    #[test]
    fn planning_again_after_applying_is_a_no_op(input in input()) {
        let first = plan_tenant_sync(&input).unwrap();
        if !first.withheld.is_empty() {
            return Ok(());
        }
        let after = apply_plan(&input, &first).unwrap();
        let second = plan_tenant_sync(&after).unwrap();
        let changing: Vec<&Action> = second.actions.iter().filter(|a| changes(a)).collect();
        prop_assert!(changing.is_empty(), "second plan still changes contacts: {:?}", changing);
        let c = second.counters;
        prop_assert_eq!((c.created, c.linked, c.updated, c.inactivated, c.reactivated), (0, 0, 0, 0, 0));
        let f = first.counters;
        if f.ambiguous == 0 && f.conflicts == 0 && f.withheld == 0 {
            prop_assert_eq!((c.ambiguous, c.conflicts, c.withheld), (0, 0, 0));
        }
        prop_assert_eq!(c.excluded, f.excluded);
    }

    /// Same input, byte-identical plan, also after a JSON round trip of the input.
    #[test]
    fn plans_are_deterministic(input in input()) {
        let a = serde_json::to_string(&plan_tenant_sync(&input).unwrap()).unwrap();
        let b = serde_json::to_string(&plan_tenant_sync(&input.clone()).unwrap()).unwrap();
        prop_assert_eq!(&a, &b);
        let json = serde_json::to_value(&input).unwrap();
        let reread: PlanInput = entra_core::json::from_value(&json).unwrap();
        let c = serde_json::to_string(&plan_tenant_sync(&reread).unwrap()).unwrap();
        prop_assert_eq!(&a, &c);
    }

    /// Counters agree with the actions.
    #[test]
    fn counters_match_actions(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        let count = |k: ActionKind| plan.actions.iter().filter(|a| a.kind == k).count() as u64;
        let c = plan.counters;
        prop_assert_eq!(c.created, count(ActionKind::Create));
        prop_assert_eq!(c.linked, count(ActionKind::Link));
        prop_assert_eq!(c.updated, count(ActionKind::Update));
        prop_assert_eq!(c.ambiguous, count(ActionKind::QueueAmbiguous));
        prop_assert_eq!(c.conflicts, count(ActionKind::Conflict));
        prop_assert_eq!(c.reactivated, count(ActionKind::Reactivate));
        prop_assert_eq!(c.excluded as usize, plan.excluded.len());
        let keys: HashSet<&str> = plan.actions.iter().map(|a| a.idempotency_key.as_str()).collect();
        prop_assert_eq!(keys.len(), plan.actions.len(), "idempotency keys collide");
    }
}

/// How a valid plan is altered before it is applied, and the rule `apply_plan` must name.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// Add an update of a locked contact of the mapped client (with a valid key).
    PatchLockedContact,
    /// Add a field whose toggle is off to an update of an unlocked contact (with a valid key).
    UntoggledField,
    /// Move a create (or a new one) into another client (with a valid key).
    CreateInOtherClient,
    /// Link a contact of another client (with a valid key).
    LinkInOtherClient,
    /// Change one action's key.
    AlterKey,
    /// Change one action's target without recomputing its key.
    AlterContent,
    /// Apply the plan to an input that differs in one contact.
    OtherInput,
}

const TAMPERS: &[Tamper] = &[
    Tamper::PatchLockedContact,
    Tamper::UntoggledField,
    Tamper::CreateInOtherClient,
    Tamper::LinkInOtherClient,
    Tamper::AlterKey,
    Tamper::AlterContent,
    Tamper::OtherInput,
];

/// A plan action of `kind` for the first listed (or a made-up) identity, sealed with its key.
fn forged(kind: ActionKind, input: &PlanInput, contact_id: &str) -> Action {
    let object = input
        .users
        .first()
        .map_or("forged", |u| u.entra_object_id.as_str());
    let mut action: Action = serde_json::from_value(serde_json::json!({
        "kind": kind,
        "entraTenantId": TENANT,
        "entraObjectId": object,
        "clientId": CLIENT,
        "contactId": contact_id,
    }))
    .unwrap();
    action.idempotency_key = action.computed_idempotency_key();
    action
}

fn reseal(action: &mut Action) {
    action.idempotency_key = action.computed_idempotency_key();
}

/// Alters `plan` (or `input`) as `tamper` says; `None` when the input offers nothing to alter
/// that way. Returns the input to apply to and the rule the refusal must name.
fn tamper(
    how: Tamper,
    pick: prop::sample::Index,
    input: &PlanInput,
    plan: &mut SyncPlan,
) -> Option<(PlanInput, PlanRule)> {
    let in_client = |c: &&Contact| c.client_id.as_deref() == Some(CLIENT);
    let off = |t: &FieldSync| {
        let all = [
            (t.display_name, "fullName"),
            (t.email, "email"),
            (t.phone, "phoneNumbers"),
            (t.job_title, "role"),
            (t.upn, "userPrincipalName"),
        ];
        all.into_iter().find(|(on, _)| !on).map(|(_, f)| f)
    };
    let rule = match how {
        Tamper::PatchLockedContact => {
            let target = input.contacts.iter().filter(in_client).find(|c| c.locked)?;
            let mut action = forged(ActionKind::Update, input, &target.contact_id);
            action.patch = Some(ContactPatch {
                role: Some("Forged".into()),
                ..ContactPatch::default()
            });
            reseal(&mut action);
            plan.actions.push(action);
            PlanRule::LockedContact
        }
        Tamper::UntoggledField => {
            let field = off(&input.settings.field_sync)?;
            let target = input
                .contacts
                .iter()
                .filter(in_client)
                .find(|c| !c.locked)?;
            let mut action = forged(ActionKind::Update, input, &target.contact_id);
            let mut patch = serde_json::Map::new();
            let value = match field {
                "phoneNumbers" => serde_json::json!([{"number": "999", "type": "other"}]),
                _ => serde_json::json!("forged@contoso.com"),
            };
            patch.insert(field.to_string(), value);
            action.patch = Some(serde_json::from_value(patch.into()).unwrap());
            reseal(&mut action);
            plan.actions.push(action);
            PlanRule::FieldNotToggled
        }
        Tamper::CreateInOtherClient => {
            let existing = plan
                .actions
                .iter()
                .position(|a| a.kind == ActionKind::Create);
            let index = match existing {
                Some(i) => i,
                None => {
                    let mut action = forged(ActionKind::Create, input, "forged-contact");
                    action.contact = Some(Contact::new("forged-contact", CLIENT));
                    plan.actions.push(action);
                    plan.actions.len() - 1
                }
            };
            let action = &mut plan.actions[index];
            if let Some(contact) = action.contact.as_mut() {
                contact.client_id = Some("client-2".into());
            }
            reseal(action);
            PlanRule::OtherClient
        }
        Tamper::LinkInOtherClient => {
            let target = input.contacts.iter().find(|c| !in_client(c))?;
            plan.actions
                .push(forged(ActionKind::Link, input, &target.contact_id));
            PlanRule::OtherClient
        }
        Tamper::AlterKey => {
            if plan.actions.is_empty() {
                return None;
            }
            let i = pick.index(plan.actions.len());
            let action = &mut plan.actions[i];
            action.idempotency_key = format!("{}0", &action.idempotency_key[1..]);
            PlanRule::IdempotencyKeyMismatch
        }
        Tamper::AlterContent => {
            let i = plan
                .actions
                .iter()
                .position(|a| a.kind == ActionKind::Update)?;
            let patch = plan.actions[i].patch.as_mut()?;
            // A value the planner did not choose, in a field the plan already writes.
            if let Some(name) = patch.full_name.as_mut() {
                name.push_str(" (forged)");
            } else if let Some(role) = patch.role.as_mut() {
                role.push_str(" (forged)");
            } else if let Some(upn) = patch.user_principal_name.as_mut() {
                upn.insert(0, 'x');
            } else if let Some(phones) = patch.phone_numbers.as_mut() {
                phones.push(PhoneNumber {
                    number: "999".into(),
                    kind: PhoneType::Other,
                });
            } else if let Some(email) = patch.email.as_mut() {
                email.insert(0, 'x');
            } else {
                return None;
            }
            PlanRule::IdempotencyKeyMismatch
        }
        Tamper::OtherInput => {
            let mut other = input.clone();
            let i = pick.index(other.contacts.len().max(1));
            let contact = other.contacts.get_mut(i)?;
            contact.role = Some(format!(
                "{} (changed)",
                contact.role.as_deref().unwrap_or("")
            ));
            return Some((other, PlanRule::InputMismatch));
        }
    };
    Some((input.clone(), rule))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// An untampered plan is accepted, also after a JSON round trip, and carries the digest of
    /// its input and the version of every existing contact it touches.
    #[test]
    fn untampered_plans_are_accepted(input in input()) {
        let plan = plan_tenant_sync(&input).unwrap();
        let digest = input_digest(&input);
        prop_assert_eq!(plan.input_digest.as_deref(), Some(digest.as_str()));
        for a in plan.actions.iter().chain(&plan.withheld) {
            let existing = input.contacts.iter().any(|c| Some(&c.contact_id) == a.contact_id.as_ref());
            let touches = matches!(a.kind, ActionKind::Link | ActionKind::Update | ActionKind::Inactivate | ActionKind::Reactivate);
            prop_assert_eq!(a.contact_version.is_some(), touches && existing);
            prop_assert_eq!(&a.idempotency_key, &a.computed_idempotency_key());
        }
        let direct = apply_plan(&input, &plan);
        prop_assert!(direct.is_ok(), "refused an untampered plan: {:?}", direct.err());
        let json = serde_json::to_value(&plan).unwrap();
        let reread: SyncPlan = entra_core::json::from_value(&json).unwrap();
        prop_assert_eq!(apply_plan(&input, &reread).unwrap(), direct.unwrap());
    }

    /// Whatever is altered in a valid plan (a locked contact patched, an untoggled field added,
    /// a create or a link in another client, a key or an action's content changed, or the plan
    /// applied to other input), `apply_plan` refuses it, names the rule, and the stores'
    /// change set cannot be built from it.
    #[test]
    fn tampered_plans_are_refused(
        input in input(),
        how in prop::sample::select(TAMPERS),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut plan = plan_tenant_sync(&input).unwrap();
        let Some((target, rule)) = tamper(how, pick, &input, &mut plan) else {
            return Ok(());
        };
        match apply_plan(&target, &plan) {
            Err(CoreError::PlanRejected { rule: got, .. }) => prop_assert_eq!(got, rule, "{:?}", how),
            other => prop_assert!(false, "{:?} was not refused: {:?}", how, other.map(|_| ())),
        }
        prop_assert!(changes_from_plan(&target, &plan).is_err());
    }

    /// A complete listing with no users inactivates nobody for being absent from it, even when
    /// mass inactivation is allowed; identities reported removed are still inactivated.
    #[test]
    fn an_empty_complete_listing_inactivates_nobody_by_absence(mut input in input(), allow in any::<bool>()) {
        input.users.clear();
        input.listing_complete = true;
        input.settings.allow_mass_inactivation = allow;
        let plan = plan_tenant_sync(&input).unwrap();
        prop_assert!(plan.warnings.iter().any(|w| w.code == "empty_listing"));
        let removed: HashSet<&str> = input.removed_object_ids.iter().map(String::as_str).collect();
        for a in &plan.actions {
            prop_assert!(a.kind != ActionKind::Inactivate || removed.contains(a.entra_object_id.as_str()),
                "inactivated {} for absence from an empty listing", a.entra_object_id);
        }
        let after = apply_plan(&input, &plan).unwrap();
        for (before, now) in input.contacts.iter().zip(&after.contacts) {
            let explicit = input.links.iter().any(|l| l.contact_id == before.contact_id && removed.contains(l.entra_object_id.as_str()));
            prop_assert!(explicit || before.is_inactive == now.is_inactive);
        }
    }
}

/// `input` with sync metadata: a `now`, a `syncedBy`, and (when `stale`) metadata from an
/// earlier run on every contact and link.
fn with_metadata(mut input: PlanInput, stale: bool) -> PlanInput {
    input.now = Some(NOW.into());
    input.synced_by = Some("entra-sync:direct".into());
    if stale {
        for contact in &mut input.contacts {
            contact.last_synced_at = Some("2020-01-01T00:00:00Z".into());
            contact.last_synced_by = Some("entra-sync:cipp".into());
        }
        for link in &mut input.links {
            link.last_seen_at = Some("2020-01-01T00:00:00Z".into());
            link.status = Some(if link.active {
                LinkStatus::Active
            } else {
                LinkStatus::Closed
            });
        }
    }
    input
}

const NOW: &str = "2026-12-03T15:00:00.000Z";
const LATER: &str = "2026-12-04T15:00:00.000Z";

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// With sync metadata present, plan -> apply -> plan (at a later `now`) plans no change, and
    /// applying that second plan moves nothing but the seen links' `lastSeenAt`: metadata never
    /// creates churn. The first apply stamps every contact an action changed and every link an
    /// action opened or closed.
    #[test]
    fn a_re_run_after_apply_with_sync_metadata_changes_nothing(
        input in input(),
        stale in any::<bool>(),
    ) {
        let input = with_metadata(input, stale);
        let first = plan_tenant_sync(&input).unwrap();
        if !first.withheld.is_empty() {
            return Ok(());
        }
        let after = apply_plan(&input, &first).unwrap();
        for a in first.actions.iter().filter(|a| changes(a)) {
            let id = a.contact_id.as_deref().unwrap_or_default();
            let contact = after.contacts.iter().find(|c| c.contact_id == id);
            let contact = contact.expect("the acted-on contact is in the output");
            if !contact.locked {
                prop_assert_eq!(contact.last_synced_at.as_deref(), Some(NOW));
                prop_assert_eq!(contact.last_synced_by.as_deref(), Some("entra-sync:direct"));
            }
            // The status the last status-setting action on the contact left (an update keeps it;
            // a contact inactivated for a deleted identity may be linked and reactivated for
            // another in the same plan).
            let last = first
                .actions
                .iter()
                .rev()
                .find(|b| {
                    b.contact_id == a.contact_id
                        && changes(b)
                        && b.kind != ActionKind::Update
                });
            if let Some(last) = last && !contact.locked {
                let status = contact.sync_status.expect("a contact sync acted on has a sync status");
                let state = if last.kind == ActionKind::Inactivate {
                    SyncState::Inactivated
                } else {
                    SyncState::Active
                };
                prop_assert_eq!(status.status, state);
                prop_assert_eq!(status.reason, last.reason);
            }
            let link = after.links.iter().rev().find(|l| {
                l.entra_tenant_id == a.entra_tenant_id
                    && l.entra_object_id == a.entra_object_id
                    && l.contact_id == id
            });
            if let Some(link) = link && matches!(a.kind, ActionKind::Link | ActionKind::Create) {
                prop_assert_eq!(link.status, Some(LinkStatus::Active));
                prop_assert_eq!(link.last_synced_at.as_deref(), Some(NOW));
                prop_assert_eq!(link.last_seen_at.as_deref(), Some(NOW));
            }
            if let Some(link) = link && a.reason == Some(ActionReason::DeletedUpstream) {
                prop_assert_eq!(link.status, Some(LinkStatus::Closed));
                prop_assert!(!link.active);
            }
        }
        for seen in &first.seen {
            let link = after.links.iter().find(|l| {
                l.active
                    && l.entra_tenant_id == TENANT
                    && l.entra_object_id == seen.entra_object_id
                    && l.contact_id == seen.contact_id
            });
            if let Some(link) = link {
                prop_assert_eq!(link.last_seen_at.as_deref(), Some(NOW));
            }
        }

        let mut rerun = after.clone();
        rerun.now = Some(LATER.into());
        let second = plan_tenant_sync(&rerun).unwrap();
        let changing: Vec<&Action> = second.actions.iter().filter(|a| changes(a)).collect();
        prop_assert!(changing.is_empty(), "the re-run still changes contacts: {:?}", changing);
        let again = apply_plan(&rerun, &second).unwrap();
        prop_assert_eq!(&again.contacts, &after.contacts, "the re-run changed a contact");
        prop_assert_eq!(again.links.len(), after.links.len());
        for (now, before) in again.links.iter().zip(&after.links) {
            let mut now = now.clone();
            now.last_seen_at.clone_from(&before.last_seen_at);
            prop_assert_eq!(&now, before, "the re-run changed more than a link's lastSeenAt");
        }
        let writes = changes_from_plan(&rerun, &second).unwrap();
        prop_assert!(writes.contacts.is_empty(), "the re-run writes contacts: {:?}", writes.contacts);
        // Stores key links by (identity, contact): the check needs inputs a store can hold.
        let keys: HashSet<(&str, &str)> = rerun
            .links
            .iter()
            .map(|l| (l.entra_object_id.as_str(), l.contact_id.as_str()))
            .collect();
        if keys.len() == rerun.links.len() {
            prop_assert!(writes.expected.is_empty(), "a lastSeenAt touch checks a contact version");
        }

        // At the same `now`, the output is a fixed point.
        let same = plan_tenant_sync(&after).unwrap();
        prop_assert_eq!(apply_plan(&after, &same).unwrap(), after);
    }
}

/// Group settings over the input's users (`u0`..`u8`) and their listings, each listing complete,
/// incomplete or gone at random (`complete` forces every listing complete).
fn groups(
    complete: bool,
) -> impl Strategy<Value = (Vec<String>, Vec<String>, Vec<GroupMembership>)> {
    let status = if complete {
        Just(GroupListingStatus::Complete).boxed()
    } else {
        prop::sample::select(
            &[
                GroupListingStatus::Complete,
                GroupListingStatus::Incomplete,
                GroupListingStatus::NotFound,
            ][..],
        )
        .boxed()
    };
    let members = prop::collection::vec((0..9usize).prop_map(|u| format!("u{u}")), 0..6);
    (
        prop::collection::vec((0..3usize, any::<bool>()), 1..4),
        prop::collection::vec((members, status), 3),
        any::<bool>(),
    )
        .prop_map(move |(picks, listings, drop_one)| {
            let mut include = Vec::new();
            let mut exclude = Vec::new();
            for (g, excluded) in picks {
                let id = format!("g{g}");
                if excluded {
                    exclude.push(id)
                } else {
                    include.push(id)
                }
            }
            let mut memberships: Vec<GroupMembership> = listings
                .into_iter()
                .enumerate()
                .map(|(g, (member_ids, status))| GroupMembership {
                    group_id: format!("g{g}"),
                    member_ids,
                    status,
                })
                .collect();
            if drop_one && !complete {
                memberships.pop();
            }
            (include, exclude, memberships)
        })
}

/// (object id, reason) of every inactivation a plan makes or withholds.
fn inactivated(plan: &SyncPlan) -> HashSet<(String, Option<ActionReason>)> {
    plan.actions
        .iter()
        .chain(&plan.withheld)
        .filter(|a| a.kind == ActionKind::Inactivate)
        .map(|a| (a.entra_object_id.clone(), a.reason))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// By default, a user leaving the group scope is never inactivated, and the group scope makes
    /// no inactivation the same input without group settings would not make.
    #[test]
    fn leaving_group_scope_never_inactivates_by_default(
        mut input in input(),
        (include, exclude, memberships) in groups(false),
    ) {
        let ungrouped = plan_tenant_sync(&input).unwrap();
        input.settings.filter.include_group_ids = include;
        input.settings.filter.exclude_group_ids = exclude;
        input.group_memberships = memberships;
        let plan = plan_tenant_sync(&input).unwrap();
        let with_groups = inactivated(&plan);
        prop_assert!(with_groups.is_subset(&inactivated(&ungrouped)), "{:?}", with_groups);
        for a in plan.actions.iter().chain(&plan.withheld) {
            prop_assert!(a.kind != ActionKind::Inactivate || a.reason != Some(ActionReason::LeftGroupScope));
            if a.kind == ActionKind::Unlink {
                let reason = plan.excluded.iter().find(|e| e.user.entra_object_id == a.entra_object_id).map(|e| e.reason);
                prop_assert!(reason.is_some_and(|r| r.is_out_of_group_scope()), "unlinked {} in scope", a.entra_object_id);
            }
        }
        // Applying the plan never changes a contact for leaving the scope.
        let after = apply_plan(&input, &plan).unwrap();
        let replanned = plan_tenant_sync(&after).unwrap();
        prop_assert!(!replanned.actions.iter().any(|a| a.kind == ActionKind::Unlink), "unlink is not idempotent");
    }

    /// A group listing that failed, stopped or names a deleted group never inactivates anybody,
    /// even with inactivation on leaving the scope turned on; users it cannot place get no
    /// action at all (unless reported removed).
    #[test]
    fn an_incomplete_group_listing_never_inactivates(
        mut input in input(),
        (include, exclude, mut memberships) in groups(false),
        which in 0..3usize,
    ) {
        let ungrouped = plan_tenant_sync(&input).unwrap();
        if let Some(m) = memberships.get_mut(which) {
            m.status = GroupListingStatus::Incomplete;
        }
        input.settings.filter.include_group_ids = include.clone();
        input.settings.filter.exclude_group_ids = exclude.clone();
        let needed = include.iter().chain(&exclude).any(|g| *g == format!("g{which}"));
        input.group_memberships = memberships;
        input.settings.inactivate_when_leaving_group_scope = true;
        let plan = plan_tenant_sync(&input).unwrap();
        if needed {
            prop_assert!(inactivated(&plan).is_subset(&inactivated(&ungrouped)));
            prop_assert!(plan.warnings.iter().any(|w| w.code == "group_listing_incomplete"));
        }
        let unknown: HashSet<&str> = plan
            .excluded
            .iter()
            .filter(|e| e.reason == ExclusionReason::GroupScopeUnknown)
            .map(|e| e.user.entra_object_id.as_str())
            .collect();
        // (An identity reported removed by a delta query is deleted upstream, whatever its groups.)
        let removed: HashSet<&str> = input.removed_object_ids.iter().map(String::as_str).collect();
        for a in plan.actions.iter().chain(&plan.withheld) {
            let id = a.entra_object_id.as_str();
            prop_assert!(!unknown.contains(id) || removed.contains(id), "{:?} acts on a user of unknown scope", a.kind);
        }
    }

    /// With every listing complete and the host's switch on, a linked user who left the scope has
    /// the contact inactivated or withheld, or (contact locked, inactive or held) the link closed.
    #[test]
    fn leaving_a_complete_group_scope_inactivates_only_when_turned_on(
        mut input in input(),
        (include, exclude, memberships) in groups(true),
        on in any::<bool>(),
    ) {
        input.settings.filter.include_group_ids = include;
        input.settings.filter.exclude_group_ids = exclude;
        input.group_memberships = memberships;
        input.settings.inactivate_when_leaving_group_scope = on;
        let plan = plan_tenant_sync(&input).unwrap();
        let left = plan.actions.iter().chain(&plan.withheld).filter(|a| a.reason == Some(ActionReason::LeftGroupScope));
        for a in left {
            prop_assert!(on || a.kind == ActionKind::Unlink);
        }
    }
}
