//! `apply_plan`: the reference semantics of a plan, applied to the input snapshot. Hosts apply
//! plans to their own database; this is what they must end up with, and what the in-memory
//! store and the idempotency tests rely on.

use crate::error::CoreError;
use crate::model::{ContactLink, InactiveSource};

use super::action::{Action, ActionKind, ActionReason};
use super::input::{PlanInput, dedup_contacts};
use super::plan::SyncPlan;

/// Returns the snapshot after applying `plan.actions` (withheld actions are not applied). Nothing
/// is ever removed: inactivation sets a flag and closing a link sets `active: false`.
pub fn apply_plan(input: &PlanInput, plan: &SyncPlan) -> Result<PlanInput, CoreError> {
    if plan.entra_tenant_id != input.entra_tenant_id || plan.client_id != input.client_id {
        return Err(CoreError::invalid_input(format!(
            "the plan is for tenant `{}` and client `{}`, the input for tenant `{}` and client `{}`",
            plan.entra_tenant_id, plan.client_id, input.entra_tenant_id, input.client_id
        )));
    }
    let mut out = dedup_contacts(input).into_owned();
    let mut by_id: std::collections::HashMap<String, usize> = out
        .contacts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.contact_id.clone(), i))
        .collect();
    for (n, action) in plan.actions.iter().enumerate() {
        let contact_index = |by_id: &std::collections::HashMap<String, usize>| {
            let id = action.contact_id.as_deref().unwrap_or_default();
            by_id.get(id).copied().ok_or_else(|| {
                CoreError::invalid_input(format!(
                    "`plan.actions[{n}].contactId` `{id}` is not a contact of the input"
                ))
            })
        };
        match action.kind {
            ActionKind::Link => {
                contact_index(&by_id)?;
                add_link(&mut out, action);
            }
            ActionKind::Create => {
                let Some(contact) = action.contact.clone() else {
                    return Err(CoreError::invalid_input(format!(
                        "`plan.actions[{n}].contact` is required for `create`"
                    )));
                };
                if by_id.contains_key(&contact.contact_id) {
                    return Err(CoreError::invalid_input(format!(
                        "`plan.actions[{n}].contact.contactId` `{}` already exists",
                        contact.contact_id
                    )));
                }
                by_id.insert(contact.contact_id.clone(), out.contacts.len());
                let mut link_action = action.clone();
                link_action.contact_id = Some(contact.contact_id.clone());
                out.contacts.push(contact);
                add_link(&mut out, &link_action);
            }
            ActionKind::Update => {
                let i = contact_index(&by_id)?;
                if let (Some(patch), Some(contact)) = (&action.patch, out.contacts.get_mut(i)) {
                    patch.apply_to(contact);
                }
            }
            ActionKind::Inactivate => {
                let i = contact_index(&by_id)?;
                if let Some(contact) = out.contacts.get_mut(i) {
                    contact.is_inactive = true;
                    contact.inactive_source = Some(InactiveSource::EntraSync);
                }
                if action.reason == Some(ActionReason::DeletedUpstream) {
                    for link in &mut out.links {
                        if link.active
                            && link.entra_tenant_id == action.entra_tenant_id
                            && link.entra_object_id == action.entra_object_id
                        {
                            link.active = false;
                        }
                    }
                }
            }
            ActionKind::Reactivate => {
                let i = contact_index(&by_id)?;
                if let Some(contact) = out.contacts.get_mut(i) {
                    contact.is_inactive = false;
                    contact.inactive_source = None;
                }
            }
            ActionKind::QueueAmbiguous | ActionKind::Conflict => {}
        }
    }
    Ok(out)
}

fn add_link(out: &mut PlanInput, action: &Action) {
    out.links.push(ContactLink {
        entra_tenant_id: action.entra_tenant_id.clone(),
        entra_object_id: action.entra_object_id.clone(),
        contact_id: action.contact_id.clone().unwrap_or_default(),
        client_id: Some(action.client_id.clone()),
        active: true,
    });
}
