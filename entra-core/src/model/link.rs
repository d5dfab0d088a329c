use serde::{Deserialize, Serialize};

/// The durable link between an Entra identity `(entraTenantId, entraObjectId)` and a contact.
/// Links are closed (`active: false`), never purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactLink {
    pub entra_tenant_id: String,
    pub entra_object_id: String,
    pub contact_id: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Sync metadata: when a listing last showed the identity (the plan input's `now`). A bump
    /// is a touch, not a change: it is never an action and never counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
    /// Sync metadata: when sync last opened, closed or acted through the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<String>,
    /// Sync metadata: `active` or `closed`, as `apply_plan` last wrote it (`active` stays the
    /// field decisions are made from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LinkStatus>,
}

impl ContactLink {
    /// An active link without sync metadata.
    pub fn new(
        entra_tenant_id: impl Into<String>,
        entra_object_id: impl Into<String>,
        contact_id: impl Into<String>,
        client_id: Option<String>,
    ) -> Self {
        Self {
            entra_tenant_id: entra_tenant_id.into(),
            entra_object_id: entra_object_id.into(),
            contact_id: contact_id.into(),
            client_id,
            active: true,
            last_seen_at: None,
            last_synced_at: None,
            status: None,
        }
    }
}

/// A link's state as sync metadata: links are closed, never purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Active,
    Closed,
}

fn yes() -> bool {
    true
}

/// An operator's answer to an ambiguous item; it takes precedence over email matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub entra_object_id: String,
    pub decision: ResolutionDecision,
    /// The chosen contact, for `link_existing`.
    #[serde(default)]
    pub contact_id: Option<String>,
}

/// What the operator decided for an ambiguous user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionDecision {
    LinkExisting,
    CreateNew,
    Dismissed,
}
