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
    /// What happens to the contact of a linked user who leaves the group scope (no longer in an
    /// included group, or now in an excluded one). Off (the default): the link is closed and
    /// the contact left as it is. On: the contact is also inactivated (under the mass guard).
    pub inactivate_when_leaving_group_scope: bool,
    /// Whether scheduled and all-tenant runs sync this tenant at all. A run over every tenant
    /// records a tenant whose effective value is `false` as skipped (with the reason), not failed.
    pub sync_enabled: bool,
    /// How often the host's recurring schedule should sync, in minutes: between
    /// [`MIN_SYNC_INTERVAL_MINUTES`] and [`MAX_SYNC_INTERVAL_MINUTES`]. The library does not
    /// schedule; hosts read it to set up their own schedule.
    pub sync_interval_minutes: u32,
}

/// The shortest recurring-sync interval: five minutes.
pub const MIN_SYNC_INTERVAL_MINUTES: u32 = 5;
/// The longest recurring-sync interval: one week.
pub const MAX_SYNC_INTERVAL_MINUTES: u32 = 10_080;
/// The default recurring-sync interval: once a day.
pub const DEFAULT_SYNC_INTERVAL_MINUTES: u32 = 1_440;

/// Refuses an interval outside `5..=10080` minutes.
pub(crate) fn check_interval(minutes: u32) -> Result<(), crate::CoreError> {
    if (MIN_SYNC_INTERVAL_MINUTES..=MAX_SYNC_INTERVAL_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(crate::CoreError::invalid_input(format!(
            "`syncIntervalMinutes` must be between {MIN_SYNC_INTERVAL_MINUTES} and \
             {MAX_SYNC_INTERVAL_MINUTES}, got {minutes}"
        )))
    }
}

impl SyncSettings {
    /// Checks the values no type can express (the interval's range).
    pub fn validate(&self) -> Result<(), crate::CoreError> {
        check_interval(self.sync_interval_minutes)
    }
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
            inactivate_when_leaving_group_scope: false,
            sync_enabled: true,
            sync_interval_minutes: DEFAULT_SYNC_INTERVAL_MINUTES,
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
    /// Group object ids: when not empty, only their (transitive) members are synced.
    #[serde(deserialize_with = "super::nullable::or_default")]
    pub include_group_ids: Vec<String>,
    /// Group object ids whose (transitive) members are never synced; exclusion wins over
    /// inclusion.
    #[serde(deserialize_with = "super::nullable::or_default")]
    pub exclude_group_ids: Vec<String>,
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
