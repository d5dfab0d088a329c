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
