//! The sync engine against an in-test provider, for every store.

#[path = "../support/counting_store.rs"]
mod counting_store;
#[path = "../support/fake_provider.rs"]
mod fake_provider;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use counting_store::CountingStore;
use entra_core::engine::{CancelToken, ProgressEvent, SyncAllOptions, SyncEngine, SyncOptions};
use entra_core::ids::{RunScope, RunTrigger};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{Client, Contact, ManagedTenant, MappingState};
use entra_core::provider::{ProviderError, ProviderErrorCode};
use entra_core::reconcile::Counters;
use entra_core::store::{
    ApplyFault, ListingMode, MemoryStore, RunRecord, RunStatus, SyncStore, TenantOutcome,
    TenantRunResult,
};
use fake_provider::{FakeProvider, user};

trait Harness: SyncStore + Sized + 'static {
    fn inject(&self, fault: Option<ApplyFault>);
}

impl Harness for MemoryStore {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.set_apply_fault(fault);
    }
}

impl Harness for CountingStore<MemoryStore> {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.inner.set_apply_fault(fault);
    }
}

#[cfg(feature = "sqlite")]
impl Harness for entra_core::store::SqliteStore {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.set_apply_fault(fault);
    }
}

const TENANTS: [&str; 3] = ["t-a", "t-b", "t-c"];

fn domain(tenant: &str) -> String {
    format!("{}.example", tenant.trim_start_matches("t-"))
}

fn client_of(tenant: &str) -> String {
    format!("c-{}", tenant.trim_start_matches("t-"))
}

/// Three tenants with three users each, three clients with the tenants' domains, one existing
/// contact per client matching the tenant's first user, every tenant mapped.
async fn estate<S: Harness>(store: S, delta: bool) -> SyncEngine<FakeProvider, S> {
    let provider = if delta {
        FakeProvider::new().with_delta()
    } else {
        FakeProvider::new()
    };
    estate_with(store, provider).await
}

async fn estate_with<S: Harness>(store: S, provider: FakeProvider) -> SyncEngine<FakeProvider, S> {
    let mut clients = Vec::new();
    let mut contacts = Vec::new();
    for tenant in TENANTS {
        let d = domain(tenant);
        let mut record = ManagedTenant::new(tenant);
        record.display_name = Some(format!("Tenant {tenant}"));
        record.primary_domain = Some(d.clone());
        record.domains = vec![d.clone()];
        provider.add_tenant(record);
        for (i, name) in ["Alice Archer", "Bruno Baker", "Chloe Carter"]
            .iter()
            .enumerate()
        {
            let first = name.split(' ').next().unwrap().to_lowercase();
            provider.put_user(user(
                tenant,
                &format!("{tenant}-u{i}"),
                name,
                &format!("{first}@{d}"),
            ));
        }
        clients.push(Client {
            client_id: client_of(tenant),
            client_name: Some(format!("Client {tenant}")),
            domains: vec![d.clone()],
            secondary_domains: vec![],
        });
        let mut existing = Contact::new(format!("k-{tenant}"), client_of(tenant));
        existing.email = Some(format!("alice@{d}"));
        existing.full_name = Some("Alice Archer".into());
        contacts.push(existing);
    }
    store.upsert_clients(&clients).await.unwrap();
    store.upsert_contacts(&contacts).await.unwrap();
    let engine = SyncEngine::new(provider, store);
    engine.discover().await.unwrap();
    let preview = engine
        .preview_mappings(PreviewOptions::default())
        .await
        .unwrap();
    assert_eq!(preview.auto_matched.len(), 3, "{preview:?}");
    let ops = preview
        .auto_matched
        .iter()
        .map(|m| MappingOperation::Confirm {
            entra_tenant_id: m.entra_tenant_id.clone(),
            client_id: m.suggestion.client_id.clone(),
        })
        .collect();
    engine.apply_mapping_changes(ops).await.unwrap();
    assert_eq!(engine.store().load_mapped_tenants().await.unwrap().len(), 3);
    engine
}

fn keyed(key: &str) -> SyncAllOptions {
    SyncAllOptions {
        request_key: Some(key.into()),
        ..SyncAllOptions::default()
    }
}

/// [`keyed`] with the engine's clock at `now_ms`.
fn keyed_at(key: &str, now_ms: u64) -> SyncAllOptions {
    SyncAllOptions {
        now_ms: Some(now_ms),
        ..keyed(key)
    }
}

/// A dry delta round: planned from the changes, nothing written.
fn dry_delta() -> SyncOptions {
    SyncOptions {
        dry_run: true,
        use_delta: true,
    }
}

/// The stored delta link of `tenant`.
async fn delta_link(store: &impl SyncStore, tenant: &str) -> Option<String> {
    store.load_delta_link(tenant).await.unwrap()
}

/// The result recorded for `tenant`.
fn result_of<'a>(results: &'a [TenantRunResult], tenant: &str) -> &'a TenantRunResult {
    results
        .iter()
        .find(|r| r.entra_tenant_id == tenant)
        .unwrap_or_else(|| panic!("no result for {tenant}"))
}

/// How many tenant results `run_id` has recorded.
async fn recorded_results(store: &impl SyncStore, run_id: &str) -> usize {
    store.load_tenant_results(run_id).await.unwrap().len()
}

async fn contact(store: &impl SyncStore, id: &str) -> Contact {
    store
        .snapshot()
        .await
        .unwrap()
        .contacts
        .into_iter()
        .find(|c| c.contact_id == id)
        .unwrap_or_else(|| panic!("no contact {id}"))
}

macro_rules! for_each_store {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(MemoryStore::new()).await;
                }
            )*
        }
        #[cfg(feature = "sqlite")]
        mod sqlite {
            use entra_core::store::SqliteStore;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(SqliteStore::open_in_memory().unwrap()).await;
                }
            )*
        }
    };
}

mod delta;
mod recovery;
mod runs;
mod scopes;
mod settings;
