use serde::{Deserialize, Serialize};

/// Per-tenant sync settings. Every field has a safe default, so `{}` is a valid settings object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncSettings {
    pub field_sync: FieldSync,
    pub mark_inactive_when_disabled: bool,
    pub reactivate_when_enabled: bool,
    pub filter: FilterOptions,
    pub mass_inactivation: MassInactivation,
    pub allow_mass_inactivation: bool,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            field_sync: FieldSync::default(),
            mark_inactive_when_disabled: true,
            reactivate_when_enabled: true,
            filter: FilterOptions::default(),
            mass_inactivation: MassInactivation::default(),
            allow_mass_inactivation: false,
        }
    }
}

/// Field toggles: sync overwrites a local contact field only when its toggle is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldSync {
    pub display_name: bool,
    pub email: bool,
    pub phone: bool,
    pub job_title: bool,
    pub upn: bool,
}

/// Which users become contacts at all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FilterOptions {
    /// Case-insensitive regular expressions tested against the UPN, the mail and the display name.
    pub custom_exclusion_patterns: Vec<String>,
    pub include_guests: bool,
    pub licensed_only: bool,
}

/// The mass-inactivation guard: more than `max(minCount, maxShare × synced users)` inactivations
/// in one plan are withheld unless explicitly allowed. Synced users are this tenant's identities
/// linked to the mapped client's contacts plus the listed, included users not linked yet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MassInactivation {
    pub max_share: f64,
    pub min_count: u32,
}

impl Default for MassInactivation {
    fn default() -> Self {
        Self {
            max_share: 0.25,
            min_count: 10,
        }
    }
}
