//! The sync engine: discovery, mapping, per-tenant sync and runs, generic over a provider and a
//! store. It holds no state of its own beyond the two: everything durable goes through the
//! [`SyncStore`], so an engine can be rebuilt at any time and a run resumed by another process.
//!
//! Each step is sized to be a retry-safe workflow activity: discovery and mapping writes are
//! idempotent, a tenant's plan is applied atomically, and a run's id is deterministic.

mod discovery_run;
mod error;
mod heartbeat;
mod listing;
mod options;
mod progress;
mod report;
mod run;
mod scope;
mod tenant;

use std::sync::Arc;
use std::time::Duration;

use tracing::info;

use crate::clock::{SharedClock, WallClock};
use crate::mapping::{
    MappingChangesInput, MappingChangesOutput, MappingOperation, MergeDiscoveryInput, PreviewInput,
    PreviewOptions, PreviewOutput, merge_discovery, plan_mapping_changes, preview_mappings,
};
use crate::model::TenantStatus;
use crate::provider::EntraProvider;
use crate::store::{MappingUpdate, SyncStore};

pub use crate::clock::{now_ms, rfc3339};
pub use discovery_run::DiscoveryRunReport;
pub use error::{EngineError, EngineErrorCode};
pub use options::{DEFAULT_CONCURRENCY, RunRequest, SyncAllOptions, SyncOptions};
pub use progress::{CancelToken, ProgressCallback, ProgressEvent};
pub use report::{DiscoveryReport, RunReport, TenantSyncReport, add_counters};
pub use run::SKIP_SYNC_DISABLED;

/// How long a run may stay `running` without a sign of life (its start, its resume, a tenant
/// result, or the heartbeat a live run writes every quarter of this timeout while tenants are
/// syncing) before a new request for the same run id takes it over: one hour.
pub const DEFAULT_STALE_RUN_AFTER: Duration = Duration::from_secs(3600);

/// An engine over a provider and a store both chosen at run time (a binding's objects, a
/// config file), so one engine type serves every combination.
pub type DynEngine = SyncEngine<crate::provider::DynProvider, crate::store::DynStore>;

/// Runs discovery and syncs with one provider against one store.
pub struct SyncEngine<P: EntraProvider, S: SyncStore> {
    provider: Arc<P>,
    store: Arc<S>,
    stale_run_after: Option<Duration>,
    clock: SharedClock,
}

impl<P: EntraProvider, S: SyncStore> Clone for SyncEngine<P, S> {
    fn clone(&self) -> Self {
        Self {
            provider: Arc::clone(&self.provider),
            store: Arc::clone(&self.store),
            stale_run_after: self.stale_run_after,
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<P: EntraProvider, S: SyncStore> std::fmt::Debug for SyncEngine<P, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("connection", &self.provider.connection_type())
            .finish_non_exhaustive()
    }
}

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    pub fn new(provider: P, store: S) -> Self {
        Self::from_shared(Arc::new(provider), Arc::new(store))
    }

    /// An engine over a provider and a store the host also uses elsewhere.
    pub fn from_shared(provider: Arc<P>, store: Arc<S>) -> Self {
        Self {
            provider,
            store,
            stale_run_after: Some(DEFAULT_STALE_RUN_AFTER),
            clock: WallClock::shared(),
        }
    }

    /// Keeps time with `clock` instead of the wall clock: run starts and ends, tenant results,
    /// heartbeats and their waits, stale-run checks and mapping timestamps all read it, so a test
    /// on a [`crate::clock::ManualClock`] drives timeouts without sleeping. A request's
    /// [`SyncAllOptions::now_ms`] still overrides the run's start.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock the engine keeps time with.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Sets when a `running` run counts as abandoned by a process that died (default
    /// [`DEFAULT_STALE_RUN_AFTER`]; `None`: never). A run is stale when neither its start, its
    /// resume, any tenant result nor its heartbeat is more recent than this. A request for a
    /// stale run's id marks it `failed` (its recorded tenant results are kept) and starts the
    /// next attempt id instead of joining it forever. A live run writes its heartbeat
    /// ([`SyncStore::touch_run`]) every quarter of this timeout while tenants are syncing (every
    /// quarter of the default when `None`), so a slow tenant never makes it look dead; engines
    /// sharing a store should use the same timeout.
    pub fn with_stale_run_after(mut self, after: Option<Duration>) -> Self {
        self.stale_run_after = after;
        self
    }

    pub fn provider(&self) -> &P {
        &self.provider
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Lists the managed tenants, merges them with the stored ones and writes the result:
    /// new tenants inserted, changed ones updated, and (only after a complete listing) tenants no
    /// longer listed marked `not_listed`. Nothing is ever deleted.
    pub async fn discover(&self) -> Result<DiscoveryReport, EngineError> {
        let listing = self.provider.list_managed_tenants().await?;
        let known = self.store.load_tenants().await?;
        let merge = merge_discovery(&MergeDiscoveryInput {
            known,
            listed: listing.tenants,
            listing_complete: listing.complete,
        })?;
        let writes: Vec<_> = merge
            .insert
            .iter()
            .chain(&merge.update)
            .chain(&merge.not_listed)
            .cloned()
            .collect();
        if !writes.is_empty() {
            self.store.upsert_tenants(&writes).await?;
        }
        info!(
            inserted = merge.insert.len(),
            updated = merge.update.len(),
            not_listed = merge.not_listed.len(),
            unchanged = merge.unchanged.len(),
            "discovery merged"
        );
        Ok(DiscoveryReport {
            listing_complete: listing.complete,
            merge,
            warnings: listing.warnings,
        })
    }

    /// Suggests a client for every listed tenant; writes nothing.
    pub async fn preview_mappings(
        &self,
        options: PreviewOptions,
    ) -> Result<PreviewOutput, EngineError> {
        let mut tenants = self.store.load_tenants().await?;
        tenants.retain(|t| t.status != TenantStatus::NotListed);
        let input = PreviewInput {
            tenants,
            clients: self.store.load_clients().await?,
            mappings: self.store.load_mappings().await?,
            options,
        };
        Ok(preview_mappings(&input)?)
    }

    /// Validates the operators' mapping decisions against the current mappings and writes them
    /// in one batch (previous mappings are closed into the history). Fails as a whole, writing
    /// nothing, when the batch contradicts itself or the current state.
    pub async fn apply_mapping_changes(
        &self,
        operations: Vec<MappingOperation>,
    ) -> Result<MappingChangesOutput, EngineError> {
        let now = rfc3339(self.clock.now_ms());
        let output = plan_mapping_changes(&MappingChangesInput {
            mappings: self.store.load_mappings().await?,
            operations,
            now: Some(now.clone()),
        })?;
        let updates: Vec<MappingUpdate> = output
            .changes
            .iter()
            .map(|c| MappingUpdate {
                entra_tenant_id: c.entra_tenant_id.clone(),
                mapping: c.opened.clone(),
                changed_at: now.clone(),
            })
            .collect();
        if !updates.is_empty() {
            self.store.write_mapping_changes(&updates).await?;
        }
        Ok(output)
    }
}
