//! Stores behind a pointer: `Arc<S>` and `Box<S>` are stores themselves (also for
//! `S = dyn SyncStore` or `dyn NonceStore`), so a host that picks its storage at run time (a
//! binding, a config file) holds a [`DynStore`] and runs one engine type over any of them.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    AccountConnection, AppliedChanges, MappingHistoryEntry, MappingUpdate, NonceStore, QueueItem,
    RunRecord, RunStart, StoreError, StoreSnapshot, SyncStore, TenantChanges, TenantRunResult,
};
use crate::model::{
    Client, Contact, ContactLink, ManagedTenant, Resolution, ResolvedSettings, SettingsOverrides,
    SyncSettings, TenantMapping,
};

/// Any sync store, chosen at run time.
pub type DynStore = Arc<dyn SyncStore>;

/// Any nonce store, chosen at run time.
pub type DynNonceStore = Arc<dyn NonceStore>;

/// Forwards every method to the store behind the pointer.
macro_rules! forward_store {
    ($ptr:ident) => {
        #[async_trait]
        impl<S: SyncStore + ?Sized> SyncStore for $ptr<S> {
            fn account_id(&self) -> &str {
                (**self).account_id()
            }

            async fn load_settings_overrides(
                &self,
                entra_tenant_id: Option<&str>,
            ) -> Result<SettingsOverrides, StoreError> {
                (**self).load_settings_overrides(entra_tenant_id).await
            }

            async fn save_settings_overrides(
                &self,
                entra_tenant_id: Option<&str>,
                overrides: &SettingsOverrides,
            ) -> Result<(), StoreError> {
                (**self)
                    .save_settings_overrides(entra_tenant_id, overrides)
                    .await
            }

            async fn resolve_sync_settings(
                &self,
                entra_tenant_id: &str,
            ) -> Result<ResolvedSettings, StoreError> {
                (**self).resolve_sync_settings(entra_tenant_id).await
            }

            async fn load_connection_history(&self) -> Result<Vec<AccountConnection>, StoreError> {
                (**self).load_connection_history().await
            }

            async fn save_account_connection(
                &self,
                connection: &AccountConnection,
            ) -> Result<(), StoreError> {
                (**self).save_account_connection(connection).await
            }

            async fn load_tenants(&self) -> Result<Vec<ManagedTenant>, StoreError> {
                (**self).load_tenants().await
            }

            async fn upsert_tenants(&self, tenants: &[ManagedTenant]) -> Result<(), StoreError> {
                (**self).upsert_tenants(tenants).await
            }

            async fn load_clients(&self) -> Result<Vec<Client>, StoreError> {
                (**self).load_clients().await
            }

            async fn upsert_clients(&self, clients: &[Client]) -> Result<(), StoreError> {
                (**self).upsert_clients(clients).await
            }

            async fn load_mappings(&self) -> Result<Vec<TenantMapping>, StoreError> {
                (**self).load_mappings().await
            }

            async fn load_mapped_tenants(&self) -> Result<Vec<TenantMapping>, StoreError> {
                (**self).load_mapped_tenants().await
            }

            async fn write_mapping_changes(
                &self,
                updates: &[MappingUpdate],
            ) -> Result<(), StoreError> {
                (**self).write_mapping_changes(updates).await
            }

            async fn load_mapping_history(
                &self,
                entra_tenant_id: &str,
            ) -> Result<Vec<MappingHistoryEntry>, StoreError> {
                (**self).load_mapping_history(entra_tenant_id).await
            }

            async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<(), StoreError> {
                (**self).upsert_contacts(contacts).await
            }

            async fn load_plan_contacts(
                &self,
                client_id: &str,
                addresses: &[String],
            ) -> Result<Vec<Contact>, StoreError> {
                (**self).load_plan_contacts(client_id, addresses).await
            }

            async fn load_plan_links(
                &self,
                entra_tenant_id: &str,
                contact_ids: &[String],
            ) -> Result<Vec<ContactLink>, StoreError> {
                (**self).load_plan_links(entra_tenant_id, contact_ids).await
            }

            async fn load_resolutions(
                &self,
                entra_tenant_id: &str,
            ) -> Result<Vec<Resolution>, StoreError> {
                (**self).load_resolutions(entra_tenant_id).await
            }

            async fn apply_changes(
                &self,
                changes: &TenantChanges,
            ) -> Result<AppliedChanges, StoreError> {
                (**self).apply_changes(changes).await
            }

            async fn load_queue(
                &self,
                entra_tenant_id: Option<&str>,
            ) -> Result<Vec<QueueItem>, StoreError> {
                (**self).load_queue(entra_tenant_id).await
            }

            async fn resolve_queue_item(
                &self,
                entra_tenant_id: &str,
                resolution: &Resolution,
            ) -> Result<(), StoreError> {
                (**self)
                    .resolve_queue_item(entra_tenant_id, resolution)
                    .await
            }

            async fn begin_run(&self, run: &RunRecord) -> Result<RunStart, StoreError> {
                (**self).begin_run(run).await
            }

            async fn record_tenant_result(
                &self,
                result: &TenantRunResult,
            ) -> Result<(), StoreError> {
                (**self).record_tenant_result(result).await
            }

            async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
                (**self).finish_run(run).await
            }

            async fn load_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
                (**self).load_run(run_id).await
            }

            async fn load_tenant_results(
                &self,
                run_id: &str,
            ) -> Result<Vec<TenantRunResult>, StoreError> {
                (**self).load_tenant_results(run_id).await
            }

            async fn touch_run(&self, run_id: &str, at_ms: u64) -> Result<bool, StoreError> {
                (**self).touch_run(run_id, at_ms).await
            }

            async fn load_delta_link(
                &self,
                entra_tenant_id: &str,
            ) -> Result<Option<String>, StoreError> {
                (**self).load_delta_link(entra_tenant_id).await
            }

            async fn save_delta_link(
                &self,
                entra_tenant_id: &str,
                delta_link: Option<&str>,
            ) -> Result<(), StoreError> {
                (**self).save_delta_link(entra_tenant_id, delta_link).await
            }

            async fn load_sync_settings(
                &self,
                entra_tenant_id: &str,
            ) -> Result<SyncSettings, StoreError> {
                (**self).load_sync_settings(entra_tenant_id).await
            }

            async fn save_sync_settings(
                &self,
                entra_tenant_id: &str,
                settings: &SyncSettings,
            ) -> Result<(), StoreError> {
                (**self).save_sync_settings(entra_tenant_id, settings).await
            }

            async fn snapshot(&self) -> Result<StoreSnapshot, StoreError> {
                (**self).snapshot().await
            }
        }

        #[async_trait]
        impl<S: NonceStore + ?Sized> NonceStore for $ptr<S> {
            async fn consume_nonce(
                &self,
                nonce: &str,
                expires_at_ms: u64,
            ) -> Result<bool, StoreError> {
                (**self).consume_nonce(nonce, expires_at_ms).await
            }
        }
    };
}

forward_store!(Arc);
forward_store!(Box);
