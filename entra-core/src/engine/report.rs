//! What engine steps hand back to the caller.

use serde::{Deserialize, Serialize};

use crate::licenses::LicenseSummary;
use crate::mapping::MergeDiscoveryOutput;
use crate::model::Warning;
use crate::reconcile::{Counters, SyncPlan};
use crate::store::{ListingMode, RunRecord, TenantRunResult};

/// The outcome of a discovery: what the merge decided (and the store now holds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryReport {
    pub listing_complete: bool,
    pub merge: MergeDiscoveryOutput,
    /// The provider's own warnings about the listing.
    pub warnings: Vec<Warning>,
}

/// One tenant's sync: the plan, whether it was applied, and how the users were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSyncReport {
    pub entra_tenant_id: String,
    pub client_id: String,
    pub mode: ListingMode,
    /// Whether the listing (or delta round) arrived whole.
    pub listing_complete: bool,
    /// Users read (for a delta round, the changed ones).
    pub users_listed: u64,
    pub applied: bool,
    pub plan: SyncPlan,
    /// The plan's warnings plus the listing's.
    pub warnings: Vec<Warning>,
    pub duration_ms: u64,
    /// The tenant's licence summary, made from this run's full, complete listing and the
    /// subscribed SKUs; absent when either was not whole or the provider reads no SKUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_summary: Option<LicenseSummary>,
}

impl TenantSyncReport {
    pub fn counters(&self) -> &Counters {
        &self.plan.counters
    }
}

/// A run over every mapped tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub run: RunRecord,
    /// Every tenant result of the run (including those a resumed run had already recorded),
    /// ordered by tenant id.
    pub results: Vec<TenantRunResult>,
    /// The plans of the tenants synced by this call, ordered by tenant id.
    pub plans: Vec<SyncPlan>,
    /// True when the run was already in progress elsewhere: this call joined it and did nothing.
    pub joined: bool,
    /// True when nothing was written (a dry run).
    pub dry_run: bool,
}

/// Adds `b` into `a`.
pub fn add_counters(a: &mut Counters, b: &Counters) {
    a.created += b.created;
    a.linked += b.linked;
    a.updated += b.updated;
    a.unchanged += b.unchanged;
    a.ambiguous += b.ambiguous;
    a.conflicts += b.conflicts;
    a.inactivated += b.inactivated;
    a.reactivated += b.reactivated;
    a.excluded += b.excluded;
    a.withheld += b.withheld;
}
