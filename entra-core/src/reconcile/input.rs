//! The planner's input snapshot and the checks that reject a snapshot the planner cannot trust.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::filter::GroupMembership;

use super::hashing::FastSet;
use crate::model::nullable::or_default;
use crate::model::{Contact, ContactLink, EntraUser, Resolution, ResolutionDecision, SyncSettings};

/// Everything [`super::plan_tenant_sync`] decides from, for one tenant mapped to one client.
///
/// `contacts` holds the mapped client's contacts plus every other contact of the PSA whose email
/// or additional email equals an address of a listed user, so the planner can refuse to create a
/// duplicate of a person who already exists under another client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInput {
    pub entra_tenant_id: String,
    /// The mapped client: the only client whose contacts sync may link, create or change.
    pub client_id: String,
    /// The provider's listing, unfiltered.
    #[serde(default, deserialize_with = "or_default")]
    pub users: Vec<EntraUser>,
    /// Whether the listing finished without error. Required: absence from an incomplete
    /// listing must never inactivate anybody, so there is no safe default.
    pub listing_complete: bool,
    /// Identities a delta query reported as deleted.
    #[serde(default, deserialize_with = "or_default")]
    pub removed_object_ids: Vec<String>,
    /// The same contact may appear twice (hosts union two queries); the first copy is used.
    #[serde(default, deserialize_with = "or_default")]
    pub contacts: Vec<Contact>,
    /// This tenant's links (links of other tenants only keep their contacts from being matched).
    #[serde(default, deserialize_with = "or_default")]
    pub links: Vec<ContactLink>,
    #[serde(default, deserialize_with = "or_default")]
    pub resolutions: Vec<Resolution>,
    #[serde(default, deserialize_with = "or_default")]
    pub settings: SyncSettings,
    /// The time to stamp as sync metadata (`lastSyncedAt`, `lastSeenAt`), as the host formats it
    /// (RFC 3339 recommended). The core reads no clock: without it the timestamps stay unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// Who the plan's changes are stamped with (`lastSyncedBy`); [`DEFAULT_SYNCED_BY`] when
    /// absent. The engine passes `entra-sync:<connection type>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_by: Option<String>,
    /// The transitive members of the groups named in `settings.filter`'s group settings, one
    /// listing per group (see [`crate::filter::groups`]).
    #[serde(default, deserialize_with = "or_default")]
    pub group_memberships: Vec<GroupMembership>,
}

/// The `lastSyncedBy` of a plan whose input names no `syncedBy`.
pub const DEFAULT_SYNCED_BY: &str = "entra-sync";

/// Empty or only whitespace (the same test as `s.trim().is_empty()`, stopping at the first
/// visible character).
fn blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Rejects inputs whose meaning is unclear, naming the offending field (duplicate identities and
/// contacts are caught while the lookup tables are built).
pub(crate) fn validate(input: &PlanInput) -> Result<(), CoreError> {
    let err = |msg: String| Err(CoreError::invalid_input(msg));
    if blank(&input.entra_tenant_id) {
        return err("`entraTenantId` must not be empty".into());
    }
    if blank(&input.client_id) {
        return err("`clientId` must not be empty".into());
    }
    for (i, user) in input.users.iter().enumerate() {
        if blank(&user.entra_object_id) {
            return err(format!("`users[{i}].entraObjectId` must not be empty"));
        }
        if !user.entra_tenant_id.is_empty() && user.entra_tenant_id != input.entra_tenant_id {
            return err(format!(
                "`users[{i}].entraTenantId` is `{}`, not the planned tenant `{}`",
                user.entra_tenant_id, input.entra_tenant_id
            ));
        }
    }
    for (i, contact) in input.contacts.iter().enumerate() {
        if blank(&contact.contact_id) {
            return err(format!("`contacts[{i}].contactId` must not be empty"));
        }
    }
    for (i, link) in input.links.iter().enumerate() {
        if blank(&link.entra_object_id) {
            return err(format!("`links[{i}].entraObjectId` must not be empty"));
        }
        if blank(&link.contact_id) {
            return err(format!("`links[{i}].contactId` must not be empty"));
        }
    }
    for (i, resolution) in input.resolutions.iter().enumerate() {
        if blank(&resolution.entra_object_id) {
            return err(format!(
                "`resolutions[{i}].entraObjectId` must not be empty"
            ));
        }
        if resolution.decision == ResolutionDecision::LinkExisting
            && resolution.contact_id.as_deref().is_none_or(blank)
        {
            return err(format!(
                "`resolutions[{i}].contactId` is required for `link_existing`"
            ));
        }
    }
    let share = input.settings.mass_inactivation.max_share;
    if !(0.0..=1.0).contains(&share) {
        return err(format!(
            "`settings.massInactivation.maxShare` must be between 0 and 1, got {share}"
        ));
    }
    Ok(())
}

/// `input` with each contact listed once (the first copy of a `contactId` wins). Hosts build the
/// contact list from two overlapping queries (the client's contacts, and contacts holding a
/// listed address), so a repeat is the same record, not a conflict.
pub(crate) fn dedup_contacts(input: &PlanInput) -> Cow<'_, PlanInput> {
    let mut seen: FastSet<&str> = FastSet::default();
    let repeated = input
        .contacts
        .iter()
        .any(|c| !seen.insert(c.contact_id.as_str()));
    if !repeated {
        return Cow::Borrowed(input);
    }
    let mut seen: FastSet<&str> = FastSet::default();
    let contacts = input
        .contacts
        .iter()
        .filter(|c| seen.insert(c.contact_id.as_str()))
        .cloned()
        .collect();
    Cow::Owned(PlanInput {
        entra_tenant_id: input.entra_tenant_id.clone(),
        client_id: input.client_id.clone(),
        users: input.users.clone(),
        listing_complete: input.listing_complete,
        removed_object_ids: input.removed_object_ids.clone(),
        contacts,
        links: input.links.clone(),
        resolutions: input.resolutions.clone(),
        settings: input.settings.clone(),
        now: input.now.clone(),
        synced_by: input.synced_by.clone(),
        group_memberships: input.group_memberships.clone(),
    })
}
