//! Storage: the [`SyncStore`] trait (pure: the records and the rules every store shares) and its
//! in-memory (feature `engine`) and SQLite (feature `sqlite`) implementations.
//!
//! The trait is batch-shaped: every method moves a whole batch (one tenant's links, every contact a
//! plan needs, one plan's changes) in one call, so a store backed by a remote database costs a
//! handful of round trips per tenant, never one per user.
//!
//! Methods marked **atomic** must write everything or nothing: a failure (or a crash) half-way
//! must leave the previous state intact. The others either read or write a single record.

use async_trait::async_trait;

use crate::model::{
    Client, Contact, ContactLink, ManagedTenant, Resolution, ResolvedSettings, SettingsOverrides,
    SyncSettings, TenantMapping, resolve_settings,
};

mod account;
mod changes;
mod connection;
mod error;
mod fault;
#[cfg(feature = "engine")]
mod memory;
mod nonce;
mod records;
#[cfg(feature = "engine")]
mod runs;
mod shared;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use account::{DEFAULT_ACCOUNT_ID, MAX_ACCOUNT_ID_LEN, check_account_id};
pub use changes::{changes_from_plan, current_part, normalize_address, user_addresses};
pub use connection::{AccountConnection, ConnectionStatus};
pub use error::{StoreError, StoreErrorCode};
pub use fault::ApplyFault;
#[cfg(feature = "engine")]
pub use memory::MemoryStore;
pub use nonce::{MAX_NONCE_LEN, NonceStore};
pub use records::{
    AppliedChanges, ContactExpectation, DiscoverySummary, FailureInfo, ListingMode,
    MappingHistoryEntry, MappingUpdate, QueueItem, QueueItemKind, QueueObservation, QueueState,
    RunRecord, RunStart, RunStatus, StoreSnapshot, TenantChanges, TenantDeltaLink, TenantOutcome,
    TenantRunResult, TenantSettings,
};
pub use shared::{DynNonceStore, DynStore};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// The persistence the sync engine needs. Implementations must be safe to share across tasks:
/// the engine syncs several tenants at once against one store.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// The PSA account whose records this store reads and writes ([`DEFAULT_ACCOUNT_ID`] unless
    /// the store was opened for another). A store never touches another account's records.
    fn account_id(&self) -> &str {
        DEFAULT_ACCOUNT_ID
    }

    // ----- tenants, clients and mappings -----

    /// Every discovered tenant (including those no longer listed), ordered by tenant id.
    async fn load_tenants(&self) -> Result<Vec<ManagedTenant>, StoreError>;

    /// **Atomic.** Inserts or replaces discovered tenants by `entraTenantId`. Tenants are never
    /// deleted; a tenant that disappeared upstream is written with status `not_listed`.
    async fn upsert_tenants(&self, tenants: &[ManagedTenant]) -> Result<(), StoreError>;

    /// Every client of the PSA, ordered by client id.
    async fn load_clients(&self) -> Result<Vec<Client>, StoreError>;

    /// **Atomic.** Inserts or replaces clients by `clientId`.
    async fn upsert_clients(&self, clients: &[Client]) -> Result<(), StoreError>;

    /// The current mapping of every tenant that has one (mapped or skipped), ordered by tenant id.
    async fn load_mappings(&self) -> Result<Vec<TenantMapping>, StoreError>;

    /// The tenants to sync: current mappings in state `mapped`, ordered by tenant id.
    async fn load_mapped_tenants(&self) -> Result<Vec<TenantMapping>, StoreError>;

    /// **Atomic.** Writes a batch of mapping changes: each tenant's previous mapping is closed in
    /// the history (never deleted) and the new one, if any, becomes current. A tenant has at most
    /// one current mapping.
    async fn write_mapping_changes(&self, updates: &[MappingUpdate]) -> Result<(), StoreError>;

    /// Every mapping a tenant ever had, oldest first.
    async fn load_mapping_history(
        &self,
        entra_tenant_id: &str,
    ) -> Result<Vec<MappingHistoryEntry>, StoreError>;

    // ----- contacts and links -----

    /// **Atomic.** Inserts or replaces contacts by `contactId` (importing the PSA's contacts).
    async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<(), StoreError>;

    /// The contacts a plan needs, in one batch: every contact of `client_id`, plus every contact
    /// of any client whose email or additional email equals one of `addresses` (already trimmed
    /// and lowercased with [`normalize_address`]). Ordered by contact id, without duplicates.
    async fn load_plan_contacts(
        &self,
        client_id: &str,
        addresses: &[String],
    ) -> Result<Vec<Contact>, StoreError>;

    /// The links a plan needs, in one batch: every link of `entra_tenant_id` (active and
    /// closed), plus the active links of any other tenant on one of `contact_ids` (they keep
    /// those contacts from being matched again). Ordered by tenant, object id, contact id.
    async fn load_plan_links(
        &self,
        entra_tenant_id: &str,
        contact_ids: &[String],
    ) -> Result<Vec<ContactLink>, StoreError>;

    /// The operators' answers for one tenant (resolved and dismissed queue items), ordered by
    /// object id. They stick across runs.
    async fn load_resolutions(&self, entra_tenant_id: &str) -> Result<Vec<Resolution>, StoreError>;

    /// **Atomic.** Writes everything one tenant's plan changes: contacts, links and queue items,
    /// all or nothing. Enforces one active link per identity and one active link per contact.
    /// A contact of `changes.expected` whose stored version differs (changed since planning) is
    /// not overwritten: it, its links and the settling of the identities linking to it are left
    /// out, checked and written in the same atomic step, and reported in the result. Implement it
    /// with [`current_part`] so every store leaves out exactly the same writes.
    async fn apply_changes(&self, changes: &TenantChanges) -> Result<AppliedChanges, StoreError>;

    // ----- the reconciliation queue -----

    /// Queue items of one tenant (or of every tenant), ordered by tenant then object id.
    async fn load_queue(&self, entra_tenant_id: Option<&str>)
    -> Result<Vec<QueueItem>, StoreError>;

    /// Records an operator's answer for an identity: the item becomes `resolved` (or `dismissed`
    /// for a `dismissed` decision) and is never queued again as open.
    async fn resolve_queue_item(
        &self,
        entra_tenant_id: &str,
        resolution: &Resolution,
    ) -> Result<(), StoreError>;

    // ----- runs -----

    /// **Atomic** (check and insert as one step). Records `run` as running unless a run with the
    /// same id exists: a running one is returned as is, a cancelled one is reopened (its
    /// `heartbeatAtMs` set to `run`'s, or to `run.startedAtMs`), and a finished one is left
    /// untouched.
    async fn begin_run(&self, run: &RunRecord) -> Result<RunStart, StoreError>;

    /// Records (or replaces) one tenant's result within a running run.
    async fn record_tenant_result(&self, result: &TenantRunResult) -> Result<(), StoreError>;

    /// Ends a run (or marks it cancelled). Refused when the stored run is already final.
    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError>;

    async fn load_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError>;

    /// The tenant results of one run, ordered by tenant id.
    async fn load_tenant_results(&self, run_id: &str) -> Result<Vec<TenantRunResult>, StoreError>;

    /// Records a sign of life of a running run: its `heartbeatAtMs` becomes `at_ms` (never moved
    /// back). Returns `false`, writing nothing, when the run is unknown or no longer running
    /// (finished, cancelled, or taken over by another process as stale). A live run calls it
    /// periodically so that no other process takes it over while a long tenant is syncing.
    async fn touch_run(&self, run_id: &str, at_ms: u64) -> Result<bool, StoreError>;

    // ----- delta links and settings -----

    async fn load_delta_link(&self, entra_tenant_id: &str) -> Result<Option<String>, StoreError>;

    /// Stores (or, with `None`, forgets) a tenant's delta link. Call only after the round that
    /// produced it has been applied.
    async fn save_delta_link(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<(), StoreError>;

    /// A settings layer: the account-wide defaults (`entra_tenant_id: None`) or one tenant's
    /// overrides; empty when none were saved.
    async fn load_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<SettingsOverrides, StoreError>;

    /// Replaces a settings layer (the account's defaults with `None`, else the tenant's
    /// overrides). An empty layer forgets it. An out-of-range value is `invalid_input`, nothing
    /// written.
    async fn save_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
        overrides: &SettingsOverrides,
    ) -> Result<(), StoreError>;

    /// A tenant's effective settings with each field's value and source: the built-in
    /// defaults, then the account's defaults, then the tenant's overrides.
    async fn resolve_sync_settings(
        &self,
        entra_tenant_id: &str,
    ) -> Result<ResolvedSettings, StoreError> {
        let account = self.load_settings_overrides(None).await?;
        let tenant = self.load_settings_overrides(Some(entra_tenant_id)).await?;
        resolve_settings(&account, &tenant).map_err(|e| StoreError::corrupt(e.to_string()))
    }

    /// A tenant's effective settings (see [`SyncStore::resolve_sync_settings`]); the defaults
    /// when no layer was saved.
    async fn load_sync_settings(&self, entra_tenant_id: &str) -> Result<SyncSettings, StoreError> {
        Ok(self.resolve_sync_settings(entra_tenant_id).await?.effective)
    }

    /// Saves a full settings record as the tenant's overrides: every field is then the
    /// tenant's own, whatever the account's defaults say.
    async fn save_sync_settings(
        &self,
        entra_tenant_id: &str,
        settings: &SyncSettings,
    ) -> Result<(), StoreError> {
        self.save_settings_overrides(Some(entra_tenant_id), &SettingsOverrides::from(settings))
            .await
    }

    // ----- the account's connection -----

    /// Every connection the account ever had, oldest first.
    async fn load_connection_history(&self) -> Result<Vec<AccountConnection>, StoreError>;

    /// **Atomic** (check and write as one step). Inserts or replaces a connection by
    /// `connectionId`. Refused (`store_refused`) when it would make a second connection active
    /// or reopen a disconnected one.
    async fn save_account_connection(
        &self,
        connection: &AccountConnection,
    ) -> Result<(), StoreError>;

    /// The account's active connection (not disconnected), if any.
    async fn load_active_connection(&self) -> Result<Option<AccountConnection>, StoreError> {
        Ok(self
            .load_connection_history()
            .await?
            .into_iter()
            .rev()
            .find(AccountConnection::is_active))
    }

    // ----- inspection -----

    /// Every record the store holds, in a stable order.
    async fn snapshot(&self) -> Result<StoreSnapshot, StoreError>;
}
