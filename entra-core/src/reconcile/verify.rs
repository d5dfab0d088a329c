//! The rules `apply_plan` checks before it applies anything: a plan is only ever the planner's
//! output for the very input it is applied to. Each check repeats, on the plan it is handed, a
//! promise the planner makes (never change a locked contact, never write a field whose toggle is
//! off, never work outside the mapped client, never lose an address or a number, only undo its
//! own inactivations), so an altered or misdirected plan is refused instead of trusted.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::model::{Contact, FieldSync, InactiveSource};

use super::action::{Action, ActionKind, ContactPatch};
use super::digest::{contact_version, input_digest};
use super::input::PlanInput;
use super::plan::SyncPlan;

/// The rule a refused plan breaks (the `rule` of a `plan_rejected` error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanRule {
    /// The plan was made from other input: another tenant or client, an `inputDigest` that is
    /// not the input's digest, or a `contactVersion` that is not the input contact's version.
    InputMismatch,
    /// An action names another tenant than the plan.
    OtherTenant,
    /// An action works in another client, or links, changes or creates a contact of another
    /// client.
    OtherClient,
    /// An `update`, `inactivate` or `reactivate` of a locked contact.
    LockedContact,
    /// A patch (or a created contact's `userPrincipalName`) writes a field whose toggle is off.
    FieldNotToggled,
    /// A patch drops a phone number or an address the contact holds.
    RemovesData,
    /// An `inactivate` of a contact that is inactive in the input, or a `reactivate` of a contact
    /// that sync did not inactivate: sync only ever undoes its own inactivations.
    InactiveSource,
    /// An action's `idempotencyKey` is not the key of its content: it was altered after planning.
    IdempotencyKeyMismatch,
}

impl PlanRule {
    /// The rule's stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanRule::InputMismatch => "input_mismatch",
            PlanRule::OtherTenant => "other_tenant",
            PlanRule::OtherClient => "other_client",
            PlanRule::LockedContact => "locked_contact",
            PlanRule::FieldNotToggled => "field_not_toggled",
            PlanRule::RemovesData => "removes_data",
            PlanRule::InactiveSource => "inactive_source",
            PlanRule::IdempotencyKeyMismatch => "idempotency_key_mismatch",
        }
    }
}

impl fmt::Display for PlanRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message quotes ids from the plan, which may be huge: it is bounded like an
/// `invalid_input` message.
fn reject(rule: PlanRule, action_index: Option<usize>, message: String) -> CoreError {
    CoreError::PlanRejected {
        rule,
        action_index,
        message: crate::error::echo_up_to(&message, crate::error::MAX_MESSAGE_CHARS).into_owned(),
    }
}

/// The plan as a whole: made for this tenant and client, and (when it carries a digest) from
/// exactly this input.
pub(crate) fn check_plan(input: &PlanInput, plan: &SyncPlan) -> Result<(), CoreError> {
    if plan.entra_tenant_id != input.entra_tenant_id || plan.client_id != input.client_id {
        return Err(reject(
            PlanRule::InputMismatch,
            None,
            format!(
                "the plan is for tenant `{}` and client `{}`, the input for tenant `{}` and client `{}`",
                plan.entra_tenant_id, plan.client_id, input.entra_tenant_id, input.client_id
            ),
        ));
    }
    if let Some(digest) = &plan.input_digest
        && *digest != input_digest(input)
    {
        return Err(reject(
            PlanRule::InputMismatch,
            None,
            "`plan.inputDigest` is not the digest of this input: the plan was made from other data"
                .into(),
        ));
    }
    Ok(())
}

/// What one action is checked against.
pub(crate) struct Target<'a> {
    /// The contact acted on as it stands when the action is applied (earlier actions of the plan
    /// included); for `create`, the contact to create.
    pub(crate) current: Option<&'a Contact>,
    /// The contact acted on as it is in the input (what the plan saw).
    pub(crate) planned: Option<&'a Contact>,
}

/// One action of `plan.actions`, at index `n`.
pub(crate) fn check_action(
    n: usize,
    action: &Action,
    input: &PlanInput,
    target: Target<'_>,
) -> Result<(), CoreError> {
    let at = Some(n);
    if action.entra_tenant_id != input.entra_tenant_id {
        return Err(reject(
            PlanRule::OtherTenant,
            at,
            format!(
                "`plan.actions[{n}]` is for tenant `{}`, the plan for `{}`",
                action.entra_tenant_id, input.entra_tenant_id
            ),
        ));
    }
    let client = input.client_id.as_str();
    if action.client_id != client {
        return Err(reject(
            PlanRule::OtherClient,
            at,
            format!(
                "`plan.actions[{n}]` works in client `{}`, the plan in `{client}`",
                action.client_id
            ),
        ));
    }
    if let Some(contact) = target.current
        && action.kind.changes_contacts()
    {
        if contact.client_id.as_deref() != Some(client) {
            return Err(reject(
                PlanRule::OtherClient,
                at,
                format!(
                    "`plan.actions[{n}]` ({}) targets contact `{}` of client `{}`, not of the mapped client `{client}`",
                    kind_name(action.kind),
                    contact.contact_id,
                    contact.client_id.as_deref().unwrap_or("none")
                ),
            ));
        }
        check_contact_rules(
            n,
            action,
            contact,
            target.planned,
            &input.settings.field_sync,
        )?;
    }
    if let (Some(version), Some(planned)) = (&action.contact_version, target.planned)
        && *version != contact_version(planned)
    {
        return Err(reject(
            PlanRule::InputMismatch,
            at,
            format!(
                "`plan.actions[{n}].contactVersion` is not the version of contact `{}` in this input",
                planned.contact_id
            ),
        ));
    }
    let key = action.computed_idempotency_key();
    if action.idempotency_key != key {
        return Err(reject(
            PlanRule::IdempotencyKeyMismatch,
            at,
            format!(
                "`plan.actions[{n}].idempotencyKey` `{}` is not the key of the action's content",
                action.idempotency_key
            ),
        ));
    }
    Ok(())
}

/// The rules that depend on the kind of action and the contact it changes (`contact` as it
/// stands, `planned` as the input has it).
fn check_contact_rules(
    n: usize,
    action: &Action,
    contact: &Contact,
    planned: Option<&Contact>,
    toggles: &FieldSync,
) -> Result<(), CoreError> {
    let at = Some(n);
    let id = contact.contact_id.as_str();
    let changes_contact = matches!(
        action.kind,
        ActionKind::Update | ActionKind::Inactivate | ActionKind::Reactivate
    );
    if changes_contact && contact.locked {
        return Err(reject(
            PlanRule::LockedContact,
            at,
            format!(
                "`plan.actions[{n}]` ({}) changes the locked contact `{id}`",
                kind_name(action.kind)
            ),
        ));
    }
    match action.kind {
        ActionKind::Create if !toggles.upn && contact.user_principal_name.is_some() => Err(reject(
            PlanRule::FieldNotToggled,
            at,
            format!(
                "`plan.actions[{n}].contact.userPrincipalName` is set but the `upn` toggle is off"
            ),
        )),
        ActionKind::Update => match &action.patch {
            Some(patch) => check_patch(n, patch, contact, toggles),
            None => Ok(()),
        },
        // Several identities gone from one contact each plan its inactivation: the input's
        // state is what counts.
        ActionKind::Inactivate if planned.is_some_and(|p| p.is_inactive) => Err(reject(
            PlanRule::InactiveSource,
            at,
            format!("`plan.actions[{n}]` inactivates contact `{id}`, which is already inactive"),
        )),
        ActionKind::Reactivate
            if contact.is_inactive
                && contact.inactive_source != Some(InactiveSource::EntraSync) =>
        {
            Err(reject(
                PlanRule::InactiveSource,
                at,
                format!(
                    "`plan.actions[{n}]` reactivates contact `{id}`, which sync did not inactivate"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// A patch writes only toggled fields and keeps every address and number the contact holds.
fn check_patch(
    n: usize,
    patch: &ContactPatch,
    contact: &Contact,
    toggles: &FieldSync,
) -> Result<(), CoreError> {
    let fields: [(&str, bool, bool); 6] = [
        ("fullName", patch.full_name.is_some(), toggles.display_name),
        ("email", patch.email.is_some(), toggles.email),
        (
            "additionalEmails",
            patch.additional_emails.is_some(),
            toggles.email,
        ),
        ("role", patch.role.is_some(), toggles.job_title),
        ("phoneNumbers", patch.phone_numbers.is_some(), toggles.phone),
        (
            "userPrincipalName",
            patch.user_principal_name.is_some(),
            toggles.upn,
        ),
    ];
    if let Some((field, _, _)) = fields.iter().find(|(_, set, on)| *set && !*on) {
        return Err(reject(
            PlanRule::FieldNotToggled,
            Some(n),
            format!("`plan.actions[{n}].patch.{field}` is set but its toggle is off"),
        ));
    }
    if let Some(numbers) = &patch.phone_numbers
        && let Some(lost) = contact
            .phone_numbers
            .iter()
            .find(|kept| !numbers.contains(kept))
    {
        return Err(reject(
            PlanRule::RemovesData,
            Some(n),
            format!(
                "`plan.actions[{n}].patch.phoneNumbers` drops the number `{}` of contact `{}`",
                lost.number, contact.contact_id
            ),
        ));
    }
    if patch.email.is_some() || patch.additional_emails.is_some() {
        let email = patch.email.as_ref().or(contact.email.as_ref());
        let additional = patch
            .additional_emails
            .as_ref()
            .unwrap_or(&contact.additional_emails);
        let after: Vec<String> = email
            .into_iter()
            .chain(additional)
            .filter_map(|a| comparable(a))
            .collect();
        let lost = contact
            .email
            .iter()
            .chain(&contact.additional_emails)
            .find(|a| comparable(a).is_some_and(|a| !after.contains(&a)));
        if let Some(lost) = lost {
            return Err(reject(
                PlanRule::RemovesData,
                Some(n),
                format!(
                    "`plan.actions[{n}].patch` drops the address `{lost}` of contact `{}`",
                    contact.contact_id
                ),
            ));
        }
    }
    Ok(())
}

/// An address (or any non-blank value of an address field) as `same_address` compares it.
fn comparable(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_lowercase())
}

fn kind_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Link => "link",
        ActionKind::Create => "create",
        ActionKind::Update => "update",
        ActionKind::QueueAmbiguous => "queue_ambiguous",
        ActionKind::Conflict => "conflict",
        ActionKind::Inactivate => "inactivate",
        ActionKind::Reactivate => "reactivate",
        ActionKind::Unlink => "unlink",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContactLink, EntraUser, PhoneNumber, PhoneType};
    use crate::reconcile::{apply_plan, plan_tenant_sync};

    /// A linked user whose name changed, with the display-name toggle on: the plan updates `k1`.
    fn input() -> PlanInput {
        let mut user = EntraUser::new("t", "u1");
        user.email = Some("ann@contoso.com".into());
        user.display_name = Some("Ann New".into());
        let mut k1 = Contact::new("k1", "c");
        k1.email = Some("ann@contoso.com".into());
        k1.phone_numbers = vec![PhoneNumber {
            number: "555".into(),
            kind: PhoneType::Work,
        }];
        let mut locked = Contact::new("k2", "c");
        locked.locked = true;
        let mut input = PlanInput {
            entra_tenant_id: "t".into(),
            client_id: "c".into(),
            users: vec![user],
            listing_complete: true,
            removed_object_ids: vec![],
            contacts: vec![k1, locked, Contact::new("k3", "other")],
            links: vec![ContactLink {
                entra_tenant_id: "t".into(),
                entra_object_id: "u1".into(),
                contact_id: "k1".into(),
                client_id: Some("c".into()),
                active: true,
                last_seen_at: None,
                last_synced_at: None,
                status: None,
            }],
            resolutions: vec![],
            settings: Default::default(),
            now: None,
            synced_by: None,
            group_memberships: Vec::new(),
        };
        input.settings.field_sync.display_name = true;
        input
    }

    /// Each way of altering a valid plan, and the rule `apply_plan` must name for it.
    #[test]
    fn apply_plan_names_the_rule_each_altered_plan_breaks() {
        type Alter = fn(&mut PlanInput, &mut Action);
        let cases: &[(&str, Alter, PlanRule)] = &[
            (
                "update retargeted at a locked contact",
                |_, a| a.contact_id = Some("k2".into()),
                PlanRule::LockedContact,
            ),
            (
                "update retargeted at another client",
                |_, a| a.contact_id = Some("k3".into()),
                PlanRule::OtherClient,
            ),
            (
                "patch writes a field whose toggle is off",
                |_, a| a.patch.as_mut().unwrap().role = Some("CFO".into()),
                PlanRule::FieldNotToggled,
            ),
            (
                "patch drops a phone number",
                |i, a| {
                    i.settings.field_sync.phone = true;
                    a.patch.as_mut().unwrap().phone_numbers = Some(vec![]);
                },
                PlanRule::RemovesData,
            ),
            (
                "action of another tenant",
                |_, a| a.entra_tenant_id = "t2".into(),
                PlanRule::OtherTenant,
            ),
            (
                "action in another client",
                |_, a| a.client_id = "other".into(),
                PlanRule::OtherClient,
            ),
            (
                "contact version of other data",
                |_, a| a.contact_version = Some("0".repeat(32)),
                PlanRule::InputMismatch,
            ),
            (
                "content changed, key kept",
                |_, a| a.patch.as_mut().unwrap().full_name = Some("Forged".into()),
                PlanRule::IdempotencyKeyMismatch,
            ),
        ];
        for (name, alter, rule) in cases {
            let mut input = input();
            let mut plan = plan_tenant_sync(&input).unwrap();
            assert_eq!(plan.actions.len(), 1, "{name}: {plan:?}");
            assert!(
                apply_plan(&input, &plan).is_ok(),
                "{name}: untampered plan refused"
            );
            plan.input_digest = None;
            let action = &mut plan.actions[0];
            alter(&mut input, action);
            if *rule != PlanRule::IdempotencyKeyMismatch {
                action.idempotency_key = action.computed_idempotency_key();
            }
            match apply_plan(&input, &plan) {
                Err(CoreError::PlanRejected {
                    rule: got,
                    action_index,
                    ..
                }) => {
                    assert_eq!(got, *rule, "{name}");
                    assert_eq!(action_index, Some(0), "{name}");
                }
                other => panic!("{name}: not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn apply_plan_refuses_a_plan_made_from_other_input() {
        let input = input();
        let plan = plan_tenant_sync(&input).unwrap();
        let mut other = input.clone();
        other.contacts[2].role = Some("changed".into());
        let err = apply_plan(&other, &plan).unwrap_err();
        assert_eq!(err.code(), "plan_rejected");
        assert!(matches!(
            err,
            CoreError::PlanRejected {
                rule: PlanRule::InputMismatch,
                action_index: None,
                ..
            }
        ));
    }
}
