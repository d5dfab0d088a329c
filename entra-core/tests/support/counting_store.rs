//! A store wrapper that counts the calls the engine makes, to prove the engine talks to its store
//! in batches (a fixed number of calls per tenant, whatever the number of users).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use entra_core::model::{
    Client, Contact, ContactLink, ManagedTenant, Resolution, SettingsOverrides, SyncSettings,
    TenantMapping,
};
use entra_core::store::{
    AccountConnection, AppliedChanges, MappingHistoryEntry, MappingUpdate, QueueItem, RunRecord,
    RunStart, StoreError, StoreSnapshot, SyncStore, TenantChanges, TenantRunResult,
};

/// Delegates every call to `inner` and counts it by method name.
pub struct CountingStore<S> {
    pub inner: S,
    calls: Mutex<BTreeMap<&'static str, usize>>,
}

impl<S> CountingStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            calls: Mutex::new(BTreeMap::new()),
        }
    }

    fn hit(&self, method: &'static str) {
        *self.calls.lock().unwrap().entry(method).or_default() += 1;
    }

    /// Calls so far, by method, and forgets them.
    pub fn take(&self) -> BTreeMap<&'static str, usize> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[async_trait]
impl<S: SyncStore> SyncStore for CountingStore<S> {
    async fn load_tenants(&self) -> Result<Vec<ManagedTenant>, StoreError> {
        self.hit("load_tenants");
        self.inner.load_tenants().await
    }
    async fn upsert_tenants(&self, tenants: &[ManagedTenant]) -> Result<(), StoreError> {
        self.hit("upsert_tenants");
        self.inner.upsert_tenants(tenants).await
    }
    async fn load_clients(&self) -> Result<Vec<Client>, StoreError> {
        self.hit("load_clients");
        self.inner.load_clients().await
    }
    async fn upsert_clients(&self, clients: &[Client]) -> Result<(), StoreError> {
        self.hit("upsert_clients");
        self.inner.upsert_clients(clients).await
    }
    async fn load_mappings(&self) -> Result<Vec<TenantMapping>, StoreError> {
        self.hit("load_mappings");
        self.inner.load_mappings().await
    }
    async fn load_mapped_tenants(&self) -> Result<Vec<TenantMapping>, StoreError> {
        self.hit("load_mapped_tenants");
        self.inner.load_mapped_tenants().await
    }
    async fn write_mapping_changes(&self, updates: &[MappingUpdate]) -> Result<(), StoreError> {
        self.hit("write_mapping_changes");
        self.inner.write_mapping_changes(updates).await
    }
    async fn load_mapping_history(
        &self,
        entra_tenant_id: &str,
    ) -> Result<Vec<MappingHistoryEntry>, StoreError> {
        self.hit("load_mapping_history");
        self.inner.load_mapping_history(entra_tenant_id).await
    }
    async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<(), StoreError> {
        self.hit("upsert_contacts");
        self.inner.upsert_contacts(contacts).await
    }
    async fn load_plan_contacts(
        &self,
        client_id: &str,
        addresses: &[String],
    ) -> Result<Vec<Contact>, StoreError> {
        self.hit("load_plan_contacts");
        self.inner.load_plan_contacts(client_id, addresses).await
    }
    async fn load_plan_links(
        &self,
        entra_tenant_id: &str,
        contact_ids: &[String],
    ) -> Result<Vec<ContactLink>, StoreError> {
        self.hit("load_plan_links");
        self.inner
            .load_plan_links(entra_tenant_id, contact_ids)
            .await
    }
    async fn load_resolutions(&self, entra_tenant_id: &str) -> Result<Vec<Resolution>, StoreError> {
        self.hit("load_resolutions");
        self.inner.load_resolutions(entra_tenant_id).await
    }
    async fn apply_changes(&self, changes: &TenantChanges) -> Result<AppliedChanges, StoreError> {
        self.hit("apply_changes");
        self.inner.apply_changes(changes).await
    }
    async fn load_queue(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<Vec<QueueItem>, StoreError> {
        self.hit("load_queue");
        self.inner.load_queue(entra_tenant_id).await
    }
    async fn resolve_queue_item(
        &self,
        entra_tenant_id: &str,
        resolution: &Resolution,
    ) -> Result<(), StoreError> {
        self.hit("resolve_queue_item");
        self.inner
            .resolve_queue_item(entra_tenant_id, resolution)
            .await
    }
    async fn begin_run(&self, run: &RunRecord) -> Result<RunStart, StoreError> {
        self.hit("begin_run");
        self.inner.begin_run(run).await
    }
    async fn record_tenant_result(&self, result: &TenantRunResult) -> Result<(), StoreError> {
        self.hit("record_tenant_result");
        self.inner.record_tenant_result(result).await
    }
    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.hit("finish_run");
        self.inner.finish_run(run).await
    }
    async fn load_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.hit("load_run");
        self.inner.load_run(run_id).await
    }
    async fn load_tenant_results(&self, run_id: &str) -> Result<Vec<TenantRunResult>, StoreError> {
        self.hit("load_tenant_results");
        self.inner.load_tenant_results(run_id).await
    }
    async fn touch_run(&self, run_id: &str, at_ms: u64) -> Result<bool, StoreError> {
        self.hit("touch_run");
        self.inner.touch_run(run_id, at_ms).await
    }
    async fn load_delta_link(&self, entra_tenant_id: &str) -> Result<Option<String>, StoreError> {
        self.hit("load_delta_link");
        self.inner.load_delta_link(entra_tenant_id).await
    }
    async fn save_delta_link(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<(), StoreError> {
        self.hit("save_delta_link");
        self.inner
            .save_delta_link(entra_tenant_id, delta_link)
            .await
    }
    async fn load_sync_settings(&self, entra_tenant_id: &str) -> Result<SyncSettings, StoreError> {
        self.hit("load_sync_settings");
        self.inner.load_sync_settings(entra_tenant_id).await
    }
    async fn save_sync_settings(
        &self,
        entra_tenant_id: &str,
        settings: &SyncSettings,
    ) -> Result<(), StoreError> {
        self.hit("save_sync_settings");
        self.inner
            .save_sync_settings(entra_tenant_id, settings)
            .await
    }
    fn account_id(&self) -> &str {
        self.inner.account_id()
    }
    async fn load_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<SettingsOverrides, StoreError> {
        self.hit("load_settings_overrides");
        self.inner.load_settings_overrides(entra_tenant_id).await
    }
    async fn save_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
        overrides: &SettingsOverrides,
    ) -> Result<(), StoreError> {
        self.hit("save_settings_overrides");
        self.inner
            .save_settings_overrides(entra_tenant_id, overrides)
            .await
    }
    async fn load_connection_history(&self) -> Result<Vec<AccountConnection>, StoreError> {
        self.hit("load_connection_history");
        self.inner.load_connection_history().await
    }
    async fn save_account_connection(
        &self,
        connection: &AccountConnection,
    ) -> Result<(), StoreError> {
        self.hit("save_account_connection");
        self.inner.save_account_connection(connection).await
    }
    async fn snapshot(&self) -> Result<StoreSnapshot, StoreError> {
        self.hit("snapshot");
        self.inner.snapshot().await
    }
}
