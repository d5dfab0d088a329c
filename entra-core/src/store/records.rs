//! The records a store keeps besides the contract records themselves: runs, per-tenant results,
//! the reconciliation queue, mapping history, and the change set of one applied plan.

use serde::{Deserialize, Serialize};

use crate::ids::{RunScope, RunTrigger};
use crate::model::{
    Client, Contact, ContactLink, ManagedTenant, Resolution, SettingsOverrides, TenantMapping,
    Warning,
};
use crate::reconcile::Counters;

/// Where a run stands. `running` and `cancelled` runs can continue; the others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Every tenant succeeded.
    Completed,
    /// Some tenants failed, others succeeded.
    Partial,
    /// Every tenant failed.
    Failed,
    /// Stopped on request; completed tenants stay recorded and the run can be resumed.
    Cancelled,
}

impl RunStatus {
    /// A final run is never reopened or overwritten.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Partial | RunStatus::Failed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// One run of the engine (a sync of one or all tenants, or a discovery).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub run_id: String,
    pub scope: RunScope,
    pub trigger: RunTrigger,
    /// The tenant of a single-tenant run.
    #[serde(default)]
    pub entra_tenant_id: Option<String>,
    pub status: RunStatus,
    /// Milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    #[serde(default)]
    pub finished_at_ms: Option<u64>,
    /// When a process last took charge of the run (its start, or the moment a cancelled run was
    /// resumed), in milliseconds since the epoch. With the tenants' `finishedAtMs` it tells a live
    /// run from one whose process died: see `SyncEngine::with_stale_run_after`.
    #[serde(default)]
    pub heartbeat_at_ms: Option<u64>,
    /// Tenants the run set out to sync.
    #[serde(default)]
    pub tenants_total: u32,
    #[serde(default)]
    pub tenants_succeeded: u32,
    #[serde(default)]
    pub tenants_failed: u32,
    /// The sum of the tenants' counters.
    #[serde(default)]
    pub counters: Counters,
    /// The client of a `client` run (every tenant mapped to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Tenants the run left alone on purpose (their effective `syncEnabled` is off).
    #[serde(default)]
    pub tenants_skipped: u32,
    /// Why a run that syncs no tenant (a discovery) failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FailureInfo>,
    /// What a discovery run found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoverySummary>,
}

/// What a discovery run found, in counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverySummary {
    pub listing_complete: bool,
    pub inserted: u32,
    pub updated: u32,
    pub not_listed: u32,
    pub unchanged: u32,
}

/// How a tenant's users were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingMode {
    /// Every user was listed.
    Full,
    /// Only the changes since the stored delta link.
    Delta,
}

/// How one tenant of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantOutcome {
    Succeeded,
    Failed,
    /// Not synced on purpose (see `skipReason`): neither a success nor a failure.
    Skipped,
}

/// Why a tenant failed, in the shape operators and hosts switch on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInfo {
    pub code: String,
    pub message: String,
}

/// The result of one tenant within a run, recorded as soon as the tenant finishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRunResult {
    pub run_id: String,
    pub entra_tenant_id: String,
    #[serde(default)]
    pub client_id: Option<String>,
    pub outcome: TenantOutcome,
    #[serde(default)]
    pub mode: Option<ListingMode>,
    #[serde(default)]
    pub listing_complete: bool,
    /// True when the plan was computed but not applied.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub counters: Counters,
    #[serde(default)]
    pub warnings: Vec<Warning>,
    #[serde(default)]
    pub error: Option<FailureInfo>,
    pub duration_ms: u64,
    pub finished_at_ms: u64,
    /// The tenant's licence summary of this run (see
    /// `engine::TenantSyncReport::license_summary`), kept with the run's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_summary: Option<crate::licenses::LicenseSummary>,
    /// Why a `skipped` tenant was not synced, e.g. `sync_disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
}

/// What [`crate::store::SyncStore::begin_run`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "run")]
pub enum RunStart {
    /// No run had this id: it is now recorded as running.
    Started(RunRecord),
    /// A run with this id is still running: the caller should join it, not start another.
    AlreadyRunning(RunRecord),
    /// A cancelled run with this id was reopened: tenants it already completed may be skipped.
    Resumed(RunRecord),
    /// A run with this id has finished; it was left untouched. Use the next attempt id.
    Finished(RunRecord),
}

/// Why an identity is in the reconciliation queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueItemKind {
    /// Several contacts could be this user.
    Ambiguous,
    /// Linking would break a rule (another client, another identity, a duplicate address).
    Conflict,
}

/// Where a queue item stands. Resolved and dismissed items stick across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    Open,
    Resolved,
    Dismissed,
}

/// One item of the reconciliation queue, keyed by identity `(entraTenantId, entraObjectId)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueItem {
    pub entra_tenant_id: String,
    pub entra_object_id: String,
    pub kind: QueueItemKind,
    pub state: QueueState,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub candidate_contact_ids: Vec<String>,
    /// Who the item is about, for the operator's screen.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// The operator's answer, once given.
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

/// An identity a plan could not settle on its own (an ambiguity or a conflict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueObservation {
    pub entra_object_id: String,
    pub kind: QueueItemKind,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub candidate_contact_ids: Vec<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// Everything one applied plan writes, computed from the plan by the reference applier so that
/// every store persists exactly the same outcome. A store writes it all or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantChanges {
    pub entra_tenant_id: String,
    /// Contacts created or changed (whole records, upserted by `contactId`).
    pub contacts: Vec<Contact>,
    /// Links created or changed (upserted by identity and contact). Links are never deleted.
    pub links: Vec<ContactLink>,
    /// Identities to queue (or to refresh when already open).
    pub queued: Vec<QueueObservation>,
    /// Identities the plan linked or created: their open queue items are settled.
    pub settled: Vec<String>,
    /// The version each contact these changes touch had when the plan was made (written
    /// contacts and link targets). A store writes nothing about a contact whose stored version is
    /// no longer this one (someone changed it since planning), and reports it in
    /// [`AppliedChanges::skipped_contact_ids`] so the next run plans it again. Contacts not listed
    /// are written unchecked.
    #[serde(default)]
    pub expected: Vec<ContactExpectation>,
}

/// A contact's version as a plan saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactExpectation {
    pub contact_id: String,
    /// [`crate::reconcile::contact_version`] of the contact, or `None` for a contact the plan
    /// creates (which must not exist yet).
    #[serde(default)]
    pub version: Option<String>,
}

/// What [`crate::store::SyncStore::apply_changes`] left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedChanges {
    /// Contacts changed by someone else since planning (or created meanwhile): neither they nor
    /// their links were written, and the identities linking to them were not settled. Sorted.
    pub skipped_contact_ids: Vec<String>,
}

impl TenantChanges {
    /// True when applying would write nothing.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
            && self.links.is_empty()
            && self.queued.is_empty()
            && self.settled.is_empty()
    }
}

/// The new current mapping of one tenant (`None`: no mapping any more). The store closes the
/// previous mapping into the history; nothing is deleted. Updates of one batch apply in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingUpdate {
    pub entra_tenant_id: String,
    pub mapping: Option<TenantMapping>,
    /// When the change happened (RFC 3339), recorded in the history.
    pub changed_at: String,
}

/// A mapping as it was during a period; the current one has no `closedAt` (and neither has its
/// `mapping.closedAt`, which mirrors it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingHistoryEntry {
    pub mapping: TenantMapping,
    pub opened_at: String,
    #[serde(default)]
    pub closed_at: Option<String>,
}

/// A tenant's settings overrides as stored (the fields it sets; the others inherit from the
/// account's defaults, then the built-in defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSettings {
    pub entra_tenant_id: String,
    pub settings: SettingsOverrides,
}

/// A stored delta link of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDeltaLink {
    pub entra_tenant_id: String,
    pub delta_link: String,
}

/// Every record of a store, each list in a stable order. Two snapshots are equal exactly when the
/// stores hold the same data, which is how tests prove that a dry run wrote nothing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreSnapshot {
    pub tenants: Vec<ManagedTenant>,
    pub clients: Vec<Client>,
    pub mapping_history: Vec<MappingHistoryEntry>,
    pub settings: Vec<TenantSettings>,
    pub contacts: Vec<Contact>,
    pub links: Vec<ContactLink>,
    pub queue: Vec<QueueItem>,
    pub runs: Vec<RunRecord>,
    pub tenant_results: Vec<TenantRunResult>,
    pub delta_links: Vec<TenantDeltaLink>,
    /// The account-wide settings defaults, when any were saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_settings: Option<SettingsOverrides>,
    /// Every connection the account ever had, oldest first.
    #[serde(default)]
    pub connections: Vec<super::AccountConnection>,
}
