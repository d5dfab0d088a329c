use serde::{Deserialize, Serialize};

use super::nullable::or_default;
use crate::reconcile::ActionReason;

/// A PSA contact, as the host hands it to the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub contact_id: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub additional_emails: Vec<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub phone_numbers: Vec<PhoneNumber>,
    /// Written by the `upn` field toggle.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub is_inactive: bool,
    /// Who made the contact inactive: sync only ever reactivates what sync inactivated.
    #[serde(default)]
    pub inactive_source: Option<InactiveSource>,
    /// A pinned contact: sync never changes or inactivates it.
    #[serde(default, deserialize_with = "or_default")]
    pub locked: bool,
    /// Sync metadata: who last changed the contact through sync (the plan input's `syncedBy`,
    /// e.g. `entra-sync:direct`). Metadata never drives a decision and is not part of the
    /// contact's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_by: Option<String>,
    /// Sync metadata: when sync last changed the contact (the plan input's `now`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<String>,
    /// Sync metadata: the linked user's `accountEnabled` as last listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_enabled: Option<bool>,
    /// Sync metadata: what sync last did to the contact and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<SyncStatus>,
}

impl Contact {
    /// An active, unlocked contact with only an id and a client; handy for hosts and tests.
    pub fn new(contact_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            contact_id: contact_id.into(),
            client_id: Some(client_id.into()),
            email: None,
            additional_emails: Vec::new(),
            full_name: None,
            role: None,
            phone_numbers: Vec::new(),
            user_principal_name: None,
            is_inactive: false,
            inactive_source: None,
            locked: false,
            last_synced_by: None,
            last_synced_at: None,
            upstream_enabled: None,
            sync_status: None,
        }
    }
}

/// One phone number of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    pub number: String,
    #[serde(rename = "type", default)]
    pub kind: PhoneType,
}

/// The kind of a phone number: Entra business phones are `work`, its mobile phone `mobile`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PhoneType {
    Work,
    Mobile,
    #[default]
    Other,
}

/// Who made a contact inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InactiveSource {
    EntraSync,
    Other,
}

/// The sync state of a contact, as the last sync action left it: `{"status": "inactivated",
/// "reason": "disabled_upstream"}`. The reason is the reason of that action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub status: SyncState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ActionReason>,
}

/// Whether sync last left a contact active or inactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    Active,
    Inactivated,
}
