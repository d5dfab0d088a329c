//! The actions of a plan: each one carries everything a host needs to apply it inside its own
//! transaction, without a second lookup, plus a stable idempotency key.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Contact, PhoneNumber};

pub use super::metadata::{ContactSyncMetadata, LinkSyncMetadata};

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Link the identity to an existing contact of the mapped client.
    Link,
    /// Create `contact` under the mapped client and link the identity to it.
    Create,
    /// Apply `patch` to the linked contact.
    Update,
    /// Several plausible contacts: an operator must choose (`candidateContactIds`).
    QueueAmbiguous,
    /// Sync cannot proceed safely for this identity; `reason` says why, `contactIds` which contacts.
    Conflict,
    /// Mark the contact inactive (source `entra_sync`); `deleted_upstream` and `left_group_scope`
    /// also close the link.
    Inactivate,
    /// Mark a contact that sync inactivated active again.
    Reactivate,
    /// Close the identity's link and leave the contact as it is (the user left the group scope).
    Unlink,
}

impl ActionKind {
    /// Whether applying the action changes a contact or a link.
    pub fn changes_contacts(self) -> bool {
        !matches!(self, ActionKind::QueueAmbiguous | ActionKind::Conflict)
    }

    fn as_str(self) -> &'static str {
        match self {
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
}

/// Why an action was planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionReason {
    /// The contact's `email` equals the user's mail or UPN.
    EmailMatch,
    /// The hit came through proxy addresses, other mails or the contact's additional emails.
    AliasMatch,
    /// An operator's resolution chose this.
    Resolution,
    /// No contact holds any of the user's addresses.
    NoMatch,
    /// The user's fields changed upstream.
    FieldsChanged,
    /// Several contacts of the mapped client hold the user's addresses.
    MultipleCandidates,
    DisabledUpstream,
    DeletedUpstream,
    EnabledUpstream,
    /// The linked contact now belongs to another client; sync never moves contacts.
    LinkedContactInOtherClient,
    /// The linked contact is not in the input (deleted or not fetched by the host).
    LinkedContactMissing,
    /// Several listed users hit the same single contact (or would create the same email).
    DuplicateUpstreamAddress,
    /// Every matching contact is already linked to another identity.
    ContactLinkedToOtherIdentity,
    /// Several listed identities are linked to the same contact; it cannot follow all of them.
    ContactLinkedToSeveralIdentities,
    /// Only contacts of other clients hold the user's addresses.
    EmailInOtherClient,
    /// The resolution names a contact that is missing or belongs to another client.
    ResolutionContactUnavailable,
    /// The user is no longer in an included group, or is now in an excluded one.
    LeftGroupScope,
}

impl ActionReason {
    fn as_str(self) -> &'static str {
        match self {
            ActionReason::EmailMatch => "email_match",
            ActionReason::AliasMatch => "alias_match",
            ActionReason::Resolution => "resolution",
            ActionReason::NoMatch => "no_match",
            ActionReason::FieldsChanged => "fields_changed",
            ActionReason::MultipleCandidates => "multiple_candidates",
            ActionReason::DisabledUpstream => "disabled_upstream",
            ActionReason::DeletedUpstream => "deleted_upstream",
            ActionReason::EnabledUpstream => "enabled_upstream",
            ActionReason::LinkedContactInOtherClient => "linked_contact_in_other_client",
            ActionReason::LinkedContactMissing => "linked_contact_missing",
            ActionReason::DuplicateUpstreamAddress => "duplicate_upstream_address",
            ActionReason::ContactLinkedToOtherIdentity => "contact_linked_to_other_identity",
            ActionReason::ContactLinkedToSeveralIdentities => {
                "contact_linked_to_several_identities"
            }
            ActionReason::EmailInOtherClient => "email_in_other_client",
            ActionReason::ResolutionContactUnavailable => "resolution_contact_unavailable",
            ActionReason::LeftGroupScope => "left_group_scope",
        }
    }
}

/// Contact fields to overwrite; only fields whose toggle is on and whose value differs appear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// With a new `email`, the complete resulting list of additional emails: the previous email
    /// is kept there, so changing an address never loses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_emails: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The complete resulting list: local numbers Entra does not know are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<PhoneNumber>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
}

impl ContactPatch {
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none()
            && self.email.is_none()
            && self.additional_emails.is_none()
            && self.role.is_none()
            && self.phone_numbers.is_none()
            && self.user_principal_name.is_none()
    }

    /// Writes the patch onto `contact`.
    pub fn apply_to(&self, contact: &mut Contact) {
        if let Some(v) = &self.full_name {
            contact.full_name = Some(v.clone());
        }
        if let Some(v) = &self.email {
            contact.email = Some(v.clone());
        }
        if let Some(v) = &self.additional_emails {
            contact.additional_emails = v.clone();
        }
        if let Some(v) = &self.role {
            contact.role = Some(v.clone());
        }
        if let Some(v) = &self.phone_numbers {
            contact.phone_numbers = v.clone();
        }
        if let Some(v) = &self.user_principal_name {
            contact.user_principal_name = Some(v.clone());
        }
    }
}

/// One step of a plan. Empty fields are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub kind: ActionKind,
    pub entra_tenant_id: String,
    pub entra_object_id: String,
    /// The mapped client the action works in.
    pub client_id: String,
    /// The contact acted on (for `create`, the new contact's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// The contact to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<ContactPatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ActionReason>,
    /// For `queue_ambiguous`: the contacts an operator chooses from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidate_contact_ids: Vec<String>,
    /// For `conflict`: the contacts involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_ids: Vec<String>,
    /// For `queue_ambiguous` and `conflict`: who the item is about, for the operator's queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Stable for the same decision on the same data: a host may record it to apply the action
    /// at most once. `apply_plan` refuses an action whose key is not
    /// [`Action::computed_idempotency_key`].
    #[serde(default)]
    pub idempotency_key: String,
    /// For an action on an existing contact (`link`, `update`, `inactivate`, `reactivate`): the
    /// contact's [`super::contact_version`] as planned. A store leaves a contact whose stored
    /// version differs (changed by someone else since planning) for the next run. Not part of the
    /// idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_version: Option<String>,
    /// Sync metadata to write on the contact with the action (see [`ContactSyncMetadata`]).
    /// Not part of the idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_sync: Option<ContactSyncMetadata>,
    /// Sync metadata to write on the identity's link with the action (see
    /// [`LinkSyncMetadata`]). Not part of the idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_sync: Option<LinkSyncMetadata>,
}

impl Action {
    /// An action with only its identity filled in; the key is computed by [`Action::sealed`].
    pub(crate) fn new(
        kind: ActionKind,
        tenant: &str,
        object_id: &str,
        client_id: &str,
        reason: ActionReason,
    ) -> Self {
        Self {
            kind,
            entra_tenant_id: tenant.to_string(),
            entra_object_id: object_id.to_string(),
            client_id: client_id.to_string(),
            contact_id: None,
            contact: None,
            patch: None,
            reason: Some(reason),
            candidate_contact_ids: Vec::new(),
            contact_ids: Vec::new(),
            display_name: None,
            user_principal_name: None,
            idempotency_key: String::new(),
            contact_version: None,
            contact_sync: None,
            link_sync: None,
        }
    }

    pub(crate) fn with_contact_id(mut self, contact_id: &str) -> Self {
        self.contact_id = Some(contact_id.to_string());
        self
    }

    /// Targets the existing `contact` and records the version the plan saw.
    pub(crate) fn on_contact(mut self, contact: &Contact) -> Self {
        self.contact_id = Some(contact.contact_id.clone());
        self.contact_version = Some(super::digest::contact_version(contact));
        self
    }

    /// Sets the idempotency key to [`Action::computed_idempotency_key`].
    pub(crate) fn sealed(mut self) -> Self {
        self.idempotency_key = self.computed_idempotency_key();
        self
    }

    /// The idempotency key of this action's content: a hash of the tenant, identity, client,
    /// kind, reason, target contact, candidates, patch and created contact (not of
    /// `contactVersion`, the sync metadata or the key itself: a re-plan at another time keeps
    /// its keys). Hosts and `apply_plan` use it to check that an action
    /// was not altered after planning.
    pub fn computed_idempotency_key(&self) -> String {
        let mut hasher = Sha256::new();
        let mut part = |s: &str| {
            hasher.update(s.as_bytes());
            hasher.update([0x1f]);
        };
        part(&self.entra_tenant_id);
        part(&self.entra_object_id);
        part(&self.client_id);
        part(self.kind.as_str());
        part(self.reason.map(ActionReason::as_str).unwrap_or_default());
        part(self.contact_id.as_deref().unwrap_or_default());
        for id in self.candidate_contact_ids.iter().chain(&self.contact_ids) {
            part(id);
        }
        if let Some(patch) = &self.patch {
            part(&serde_json::to_string(patch).unwrap_or_default());
        }
        if let Some(contact) = &self.contact {
            part(&serde_json::to_string(contact).unwrap_or_default());
        }
        let digest = hasher.finalize();
        hex(&digest[..16])
    }
}

/// Lowercase hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
