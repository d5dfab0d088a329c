//! One engine type over providers and stores chosen at run time: `Arc<dyn EntraProvider>` and
//! `Arc<dyn SyncStore>` are a provider and a store themselves, so a binding holds a `DynEngine`
//! whatever the host built.

#[path = "support/fake_provider.rs"]
mod fake_provider;

use std::sync::Arc;

use entra_core::engine::{DynEngine, SyncAllOptions, SyncEngine};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{Client, Contact, ManagedTenant};
use entra_core::provider::{DynProvider, EntraProvider};
use entra_core::store::{
    DynNonceStore, DynStore, ListingMode, MemoryStore, NonceStore, RunStatus, SyncStore,
};
use fake_provider::{FakeProvider, user};

/// Every store kind, each behind `Arc<dyn SyncStore>` (and the same store as a nonce store).
fn stores() -> Vec<(&'static str, DynStore, DynNonceStore)> {
    let memory = Arc::new(MemoryStore::new());
    #[allow(unused_mut)]
    let mut stores: Vec<(&'static str, DynStore, DynNonceStore)> =
        vec![("memory", memory.clone(), memory)];
    #[cfg(feature = "sqlite")]
    {
        let sqlite = Arc::new(entra_core::store::SqliteStore::open_in_memory().unwrap());
        stores.push(("sqlite", sqlite.clone(), sqlite));
    }
    stores
}

/// One tenant with two users, its client, one existing contact matching the first user.
fn provider() -> DynProvider {
    let fake = FakeProvider::new().with_delta();
    let mut tenant = ManagedTenant::new("t-a");
    tenant.display_name = Some("Tenant A".into());
    tenant.primary_domain = Some("a.example".into());
    tenant.domains = vec!["a.example".into()];
    fake.add_tenant(tenant);
    fake.put_user(user("t-a", "u-1", "Alice Archer", "alice@a.example"));
    fake.put_user(user("t-a", "u-2", "Bruno Baker", "bruno@a.example"));
    Arc::new(fake)
}

async fn seed(store: &DynStore) {
    store
        .upsert_clients(&[Client {
            client_id: "c-a".into(),
            client_name: Some("Client A".into()),
            domains: vec!["a.example".into()],
            secondary_domains: vec![],
        }])
        .await
        .unwrap();
    let mut existing = Contact::new("k-1", "c-a");
    existing.email = Some("alice@a.example".into());
    existing.full_name = Some("Alice Archer".into());
    store.upsert_contacts(&[existing]).await.unwrap();
}

async fn map_every_tenant(engine: &DynEngine) {
    engine.discover().await.unwrap();
    let preview = engine
        .preview_mappings(PreviewOptions::default())
        .await
        .unwrap();
    let ops = preview
        .auto_matched
        .iter()
        .map(|m| MappingOperation::Confirm {
            entra_tenant_id: m.entra_tenant_id.clone(),
            client_id: m.suggestion.client_id.clone(),
        })
        .collect();
    engine.apply_mapping_changes(ops).await.unwrap();
}

#[tokio::test]
async fn an_engine_over_dyn_provider_and_dyn_store_syncs_on_every_store() {
    for (kind, store, _) in stores() {
        seed(&store).await;
        let engine: DynEngine = SyncEngine::new(provider(), store.clone());
        map_every_tenant(&engine).await;
        assert_eq!(
            store.load_mapped_tenants().await.unwrap().len(),
            1,
            "{kind}"
        );

        let first = engine.sync_all(SyncAllOptions::default()).await.unwrap();
        assert_eq!(first.run.status, RunStatus::Completed, "{kind}");
        let c = first.run.counters;
        assert_eq!((c.linked, c.created), (1, 1), "{kind}: {c:?}");
        assert_eq!(first.results[0].mode, Some(ListingMode::Full), "{kind}");

        // The store the host keeps is the one the engine wrote to.
        let contacts = store.snapshot().await.unwrap().contacts;
        assert_eq!(contacts.len(), 2, "{kind}: {contacts:?}");

        // Delta support (a default method of the trait) reaches the engine through the pointer.
        let second = engine
            .sync_all(SyncAllOptions {
                request_key: Some("second".into()),
                ..SyncAllOptions::default()
            })
            .await
            .unwrap();
        assert_eq!(second.results[0].mode, Some(ListingMode::Delta), "{kind}");
        let c = second.run.counters;
        assert_eq!((c.linked, c.created, c.updated), (0, 0, 0), "{kind}: {c:?}");
    }
}

#[tokio::test]
async fn dyn_nonce_stores_refuse_a_replayed_nonce() {
    for (kind, _, nonces) in stores() {
        assert!(
            nonces.consume_nonce("n-1", u64::MAX).await.unwrap(),
            "{kind}"
        );
        assert!(
            !nonces.consume_nonce("n-1", u64::MAX).await.unwrap(),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn pointers_forward_overridden_default_methods() {
    // Without forwarding, the pointer would answer with the trait's defaults (no delta support,
    // `unsupported`) instead of the provider's own.
    let boxed: Box<dyn EntraProvider> = Box::new(provider());
    assert!(boxed.supports_delta());
    let round = boxed.list_users_delta("t-a", None).await.unwrap();
    assert!(round.full_enumeration && round.complete, "{round:?}");
    assert_eq!(round.users.len(), 2);
    assert!(round.delta_link.is_some());
}
