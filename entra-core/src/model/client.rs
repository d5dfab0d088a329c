use serde::{Deserialize, Serialize};

use super::nullable::or_default;

/// A PSA client (company) that a tenant can be mapped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub client_id: String,
    #[serde(default)]
    pub client_name: Option<String>,
    /// The client's own domains (configured domains, website): strong evidence.
    #[serde(default, deserialize_with = "or_default")]
    pub domains: Vec<String>,
    /// Weaker evidence: billing email domain, domains seen on its contacts' emails.
    #[serde(default, deserialize_with = "or_default")]
    pub secondary_domains: Vec<String>,
}
