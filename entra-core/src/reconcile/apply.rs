//! `apply_plan`: the reference semantics of a plan, applied to the input snapshot. Hosts apply
//! plans to their own database; this is what they must end up with, and what the in-memory
//! store and the idempotency tests rely on. The plan is checked first (see [`super::verify`]):
//! an altered plan, or one made from other input, is refused and nothing is applied.

use std::collections::HashMap;

use crate::error::CoreError;
use crate::model::{ContactLink, InactiveSource, LinkStatus};

use super::action::{Action, ActionKind, ActionReason};
use super::input::{PlanInput, dedup_contacts};
use super::metadata;
use super::plan::SyncPlan;
use super::verify::{Target, check_action, check_plan};

/// Returns the snapshot after applying `plan.actions` (withheld actions are not applied). Nothing
/// is ever removed: inactivation sets a flag and closing a link sets `active: false`.
///
/// Refuses with `plan_rejected` (naming the rule and the action) a plan for another tenant or
/// client or with an `inputDigest` of other input, and any action that changes a locked contact,
/// writes a field whose toggle is off, drops an address or a number, works outside the mapped
/// client, reactivates a contact sync did not inactivate, carries a `contactVersion` of other
/// data or an `idempotencyKey` that is not its own. A structurally broken action (an unknown
/// contact, a `create` without its contact or with an existing id) is `invalid_input`.
pub fn apply_plan(input: &PlanInput, plan: &SyncPlan) -> Result<PlanInput, CoreError> {
    check_plan(input, plan)?;
    let base = dedup_contacts(input);
    let mut out = base.clone().into_owned();
    let mut by_id: HashMap<String, usize> = out
        .contacts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.contact_id.clone(), i))
        .collect();
    for (n, action) in plan.actions.iter().enumerate() {
        let existing = |by_id: &HashMap<String, usize>| {
            let id = action.contact_id.as_deref().unwrap_or_default();
            by_id.get(id).copied().ok_or_else(|| {
                CoreError::invalid_input(format!(
                    "`plan.actions[{n}].contactId` `{id}` is not a contact of the input"
                ))
            })
        };
        let index = match action.kind {
            ActionKind::QueueAmbiguous | ActionKind::Conflict | ActionKind::Create => None,
            _ => Some(existing(&by_id)?),
        };
        if action.kind == ActionKind::Create {
            let Some(contact) = &action.contact else {
                return Err(CoreError::invalid_input(format!(
                    "`plan.actions[{n}].contact` is required for `create`"
                )));
            };
            if action
                .contact_id
                .as_deref()
                .is_some_and(|id| id != contact.contact_id)
            {
                return Err(CoreError::invalid_input(format!(
                    "`plan.actions[{n}].contactId` is not the created contact's `contactId`"
                )));
            }
            if by_id.contains_key(&contact.contact_id) {
                return Err(CoreError::invalid_input(format!(
                    "`plan.actions[{n}].contact.contactId` `{}` already exists",
                    contact.contact_id
                )));
            }
        }
        let target = Target {
            current: match index {
                Some(i) => out.contacts.get(i),
                None => action.contact.as_ref(),
            },
            planned: index.and_then(|i| base.contacts.get(i)),
        };
        check_action(n, action, &out, target)?;
        apply_action(&mut out, &mut by_id, action, index);
    }
    metadata::apply_seen(&mut out, plan);
    Ok(out)
}

/// Applies one checked action and its sync metadata; `index` is the position of the existing
/// contact it acts on.
fn apply_action(
    out: &mut PlanInput,
    by_id: &mut HashMap<String, usize>,
    action: &Action,
    index: Option<usize>,
) {
    apply_change(out, by_id, action, index);
    if !action.kind.changes_contacts() {
        return;
    }
    let id = action.contact_id.as_deref().unwrap_or_default();
    if let Some(contact) = by_id.get(id).and_then(|&i| out.contacts.get_mut(i)) {
        metadata::write_contact(contact, action.contact_sync.as_ref());
    }
    // The identity's link to the contact as the action left it: active, or just closed by a
    // `deleted_upstream` inactivation (the latest row when history repeats the pair).
    let closes = !action
        .link_sync
        .as_ref()
        .is_none_or(|m| m.status == LinkStatus::Active);
    if let Some(link) = out.links.iter_mut().rev().find(|link| {
        link.entra_tenant_id == action.entra_tenant_id
            && link.entra_object_id == action.entra_object_id
            && link.contact_id == id
            && (link.active || closes)
    }) {
        metadata::write_link(link, action.link_sync.as_ref());
    }
}

/// Applies what one checked action changes.
fn apply_change(
    out: &mut PlanInput,
    by_id: &mut HashMap<String, usize>,
    action: &Action,
    index: Option<usize>,
) {
    let contact = index.and_then(|i| out.contacts.get_mut(i));
    match action.kind {
        ActionKind::Link => add_link(out, action, action.contact_id.clone().unwrap_or_default()),
        ActionKind::Create => {
            if let Some(contact) = action.contact.clone() {
                let id = contact.contact_id.clone();
                by_id.insert(id.clone(), out.contacts.len());
                out.contacts.push(contact);
                add_link(out, action, id);
            }
        }
        ActionKind::Update => {
            if let (Some(patch), Some(contact)) = (&action.patch, contact) {
                patch.apply_to(contact);
            }
        }
        ActionKind::Inactivate => {
            if let Some(contact) = contact {
                contact.is_inactive = true;
                contact.inactive_source = Some(InactiveSource::EntraSync);
            }
            if matches!(
                action.reason,
                Some(ActionReason::DeletedUpstream | ActionReason::LeftGroupScope)
            ) {
                close_links(out, action);
            }
        }
        ActionKind::Unlink => close_links(out, action),
        ActionKind::Reactivate => {
            if let Some(contact) = contact {
                contact.is_inactive = false;
                contact.inactive_source = None;
            }
        }
        ActionKind::QueueAmbiguous | ActionKind::Conflict => {}
    }
}

/// Closes the identity's active links (`active: false`; nothing is removed).
fn close_links(out: &mut PlanInput, action: &Action) {
    for link in &mut out.links {
        if link.active
            && link.entra_tenant_id == action.entra_tenant_id
            && link.entra_object_id == action.entra_object_id
        {
            link.active = false;
        }
    }
}

fn add_link(out: &mut PlanInput, action: &Action, contact_id: String) {
    out.links.push(ContactLink {
        entra_tenant_id: action.entra_tenant_id.clone(),
        entra_object_id: action.entra_object_id.clone(),
        contact_id,
        client_id: Some(action.client_id.clone()),
        active: true,
        last_seen_at: None,
        last_synced_at: None,
        status: None,
    });
}
