//! The sync engine against an in-test provider, for every store.

#[path = "support/fake_provider.rs"]
mod fake_provider;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_core::engine::{CancelToken, ProgressEvent, SyncAllOptions, SyncEngine, SyncOptions};
use entra_core::ids::RunTrigger;
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{Client, Contact, ManagedTenant, MappingState};
use entra_core::provider::{ProviderError, ProviderErrorCode};
use entra_core::store::{
    ApplyFault, ListingMode, MemoryStore, RunStatus, SyncStore, TenantOutcome,
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

async fn sync_story_is_idempotent<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let first = engine.sync_all(keyed("first")).await.unwrap();
    assert_eq!(first.run.status, RunStatus::Completed);
    assert_eq!(first.results.len(), 3);
    assert_eq!(first.run.counters.linked, 3, "{:?}", first.run.counters);
    assert_eq!(first.run.counters.created, 6);

    let p = engine.provider();
    p.update_user("t-a", "t-a-u1", |u| u.account_enabled = false);
    p.delete_user("t-a", "t-a-u2");
    p.put_user(user("t-a", "t-a-u3", "Dana Dale", "dana@a.example"));
    let second = engine.sync_all(keyed("second")).await.unwrap();
    let a = second
        .results
        .iter()
        .find(|r| r.entra_tenant_id == "t-a")
        .unwrap();
    assert_eq!(a.counters.inactivated, 2, "{:?}", a.counters);
    assert_eq!(a.counters.created, 1);
    let links = engine.store().snapshot().await.unwrap().links;
    let deleted = links
        .iter()
        .find(|l| l.entra_object_id == "t-a-u2")
        .unwrap();
    assert!(
        !deleted.active,
        "a deleted user's link is closed, not purged"
    );

    let third = engine.sync_all(keyed("third")).await.unwrap();
    let c = third.run.counters;
    assert_eq!(
        (c.created, c.linked, c.updated, c.inactivated, c.reactivated),
        (0, 0, 0, 0, 0),
        "{c:?}"
    );
    assert_eq!(third.run.status, RunStatus::Completed);
}

async fn dry_run_writes_nothing<S: Harness>(store: S) {
    let engine = estate(store, true).await;
    let before = engine.store().snapshot().await.unwrap();
    let report = engine
        .sync_all(SyncAllOptions {
            sync: SyncOptions {
                dry_run: true,
                use_delta: true,
            },
            ..keyed("dry")
        })
        .await
        .unwrap();
    assert!(report.dry_run);
    assert_eq!(report.run.counters.created, 6, "the plan is still computed");
    assert_eq!(report.plans.len(), 3);
    let mapping = engine.store().load_mapped_tenants().await.unwrap()[0].clone();
    let single = engine
        .sync_tenant(
            &mapping,
            &SyncOptions {
                dry_run: true,
                use_delta: true,
            },
        )
        .await
        .unwrap();
    assert!(!single.applied);
    assert_eq!(engine.store().snapshot().await.unwrap(), before);
}

async fn failing_tenant_never_stops_the_others<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    engine.provider().fail_tenant(
        "t-b",
        Some(ProviderError::new(
            ProviderErrorCode::ConsentRequired,
            "AADSTS65001: consent missing",
        )),
    );
    let report = engine.sync_all(keyed("partial")).await.unwrap();
    assert_eq!(report.run.status, RunStatus::Partial);
    assert_eq!(
        (report.run.tenants_succeeded, report.run.tenants_failed),
        (2, 1)
    );
    let b = report
        .results
        .iter()
        .find(|r| r.entra_tenant_id == "t-b")
        .unwrap();
    assert_eq!(b.outcome, TenantOutcome::Failed);
    assert_eq!(b.error.as_ref().unwrap().code, "consent_required");
    let stored = engine
        .store()
        .load_tenant_results(&report.run.run_id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(
        engine
            .store()
            .load_run(&report.run.run_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        RunStatus::Partial
    );

    for t in TENANTS {
        engine.provider().fail_tenant(
            t,
            Some(ProviderError::new(
                ProviderErrorCode::Throttled,
                "still throttled",
            )),
        );
    }
    let report = engine.sync_all(keyed("all-fail")).await.unwrap();
    assert_eq!(report.run.status, RunStatus::Failed);
}

async fn half_failed_listing_inactivates_nobody<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    engine.sync_all(keyed("initial")).await.unwrap();
    engine.provider().cut_listing("t-a", Some(1));
    let report = engine.sync_all(keyed("cut")).await.unwrap();
    let a = report
        .results
        .iter()
        .find(|r| r.entra_tenant_id == "t-a")
        .unwrap();
    assert_eq!(a.outcome, TenantOutcome::Succeeded);
    assert!(!a.listing_complete);
    assert_eq!(a.counters.inactivated, 0);
    let codes: Vec<&str> = a.warnings.iter().map(|w| w.code.as_str()).collect();
    assert!(codes.contains(&"listing_incomplete"), "{codes:?}");
    assert!(codes.contains(&"listing_failed"), "{codes:?}");
    let snapshot = engine.store().snapshot().await.unwrap();
    assert!(
        snapshot
            .contacts
            .iter()
            .filter(|c| c.client_id.as_deref() == Some("c-a"))
            .all(|c| !c.is_inactive)
    );
}

async fn store_failure_mid_apply_writes_nothing<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let before = engine.store().snapshot().await.unwrap();
    engine.store().inject(Some(ApplyFault {
        entra_tenant_id: Some("t-b".into()),
        after_writes: 2,
    }));
    let report = engine.sync_all(keyed("fault")).await.unwrap();
    assert_eq!(report.run.status, RunStatus::Partial);
    let b = report
        .results
        .iter()
        .find(|r| r.entra_tenant_id == "t-b")
        .unwrap();
    assert_eq!(b.error.as_ref().unwrap().code, "injected_fault");
    let after = engine.store().snapshot().await.unwrap();
    let of_b = |s: &entra_core::store::StoreSnapshot| {
        (
            s.contacts
                .iter()
                .filter(|c| c.client_id.as_deref() == Some("c-b"))
                .cloned()
                .collect::<Vec<_>>(),
            s.links
                .iter()
                .filter(|l| l.entra_tenant_id == "t-b")
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        of_b(&after),
        of_b(&before),
        "nothing of t-b was half-written"
    );
    assert!(after.links.iter().any(|l| l.entra_tenant_id == "t-a"));

    engine.store().inject(None);
    let retry = engine.sync_all(keyed("fault-retry")).await.unwrap();
    assert_eq!(retry.run.status, RunStatus::Completed);
    let b = retry
        .results
        .iter()
        .find(|r| r.entra_tenant_id == "t-b")
        .unwrap();
    assert_eq!((b.counters.linked, b.counters.created), (1, 2));
}

async fn overlapping_runs_with_one_key_are_one_run<S: Harness>(store: S) {
    // A slow upstream, so the first run is still going when the second arrives.
    let provider = FakeProvider::new().with_latency(Duration::from_millis(150));
    let engine = estate_with(store, provider).await;
    let first = engine.sync_all(keyed("click"));
    let second = async {
        tokio::time::sleep(Duration::from_millis(40)).await;
        engine.sync_all(keyed("click")).await
    };
    let (a, b) = tokio::join!(first, second);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.run.run_id, b.run.run_id);
    assert!(!a.joined);
    assert!(b.joined, "the second call joins the running run");
    assert_eq!(b.run.status, RunStatus::Running);
    assert_eq!(a.run.status, RunStatus::Completed);
    for tenant in TENANTS {
        assert_eq!(engine.provider().calls(tenant), 1, "{tenant} synced once");
    }
    assert_eq!(engine.store().snapshot().await.unwrap().runs.len(), 1);

    // The same key after the run finished starts a new attempt and leaves the first intact.
    let finished = engine
        .store()
        .load_run(&a.run.run_id)
        .await
        .unwrap()
        .unwrap();
    let again = engine.sync_all(keyed("click")).await.unwrap();
    assert_eq!(again.run.run_id, format!("{}#2", a.run.run_id));
    assert_eq!(
        engine
            .store()
            .load_run(&a.run.run_id)
            .await
            .unwrap()
            .unwrap(),
        finished
    );
}

async fn cancellation_keeps_finished_tenants_and_resumes<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let cancel = CancelToken::new();
    let events = Arc::new(Mutex::new(Vec::new()));
    let (c, e) = (cancel.clone(), Arc::clone(&events));
    let options = SyncAllOptions {
        concurrency: 1,
        cancel: Some(cancel.clone()),
        progress: Some(Arc::new(move |event: &ProgressEvent| {
            e.lock().unwrap().push(event.clone());
            if matches!(event, ProgressEvent::TenantFinished { .. }) {
                c.cancel();
            }
        })),
        ..keyed("nightly")
    };
    let report = engine.sync_all(options).await.unwrap();
    assert_eq!(report.run.status, RunStatus::Cancelled);
    assert_eq!(report.results.len(), 1);
    let run_id = report.run.run_id.clone();
    assert_eq!(
        engine
            .store()
            .load_tenant_results(&run_id)
            .await
            .unwrap()
            .len(),
        1
    );
    let events = events.lock().unwrap().clone();
    assert!(matches!(
        events.first(),
        Some(ProgressEvent::RunStarted {
            tenants_total: 3,
            ..
        })
    ));
    assert!(matches!(
        events.last(),
        Some(ProgressEvent::RunFinished {
            status: RunStatus::Cancelled,
            ..
        })
    ));

    let resumed = engine.sync_all(keyed("nightly")).await.unwrap();
    assert_eq!(
        resumed.run.run_id, run_id,
        "the cancelled run is resumed, not replaced"
    );
    assert_eq!(resumed.run.status, RunStatus::Completed);
    assert_eq!(resumed.results.len(), 3);
    assert_eq!(
        resumed.plans.len(),
        2,
        "only the remaining tenants were synced"
    );
    assert_eq!(resumed.run.tenants_succeeded, 3);
    assert_eq!(resumed.run.counters.linked, 3);
    for tenant in TENANTS {
        assert_eq!(
            engine.provider().calls(tenant),
            1,
            "{tenant} synced exactly once"
        );
    }
}

async fn delta_rounds_and_resync<S: Harness>(store: S) {
    let engine = estate(store, true).await;
    let mapping = engine
        .store()
        .load_mapped_tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.entra_tenant_id == "t-a")
        .unwrap();
    let opts = SyncOptions::default();
    let first = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(first.mode, ListingMode::Full);
    let link = engine.store().load_delta_link("t-a").await.unwrap();
    assert!(link.is_some());

    // A dry delta round plans the change but does not move the link.
    engine.provider().delete_user("t-a", "t-a-u1");
    let dry = engine
        .sync_tenant(
            &mapping,
            &SyncOptions {
                dry_run: true,
                use_delta: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(dry.mode, ListingMode::Delta);
    assert_eq!(dry.plan.counters.inactivated, 1);
    assert_eq!(engine.store().load_delta_link("t-a").await.unwrap(), link);

    let second = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(second.mode, ListingMode::Delta);
    assert_eq!(second.users_listed, 0);
    assert_eq!(second.plan.counters.inactivated, 1);
    assert!(
        second
            .warnings
            .iter()
            .all(|w| w.code != "listing_incomplete"),
        "a whole delta round is not an incomplete listing: {:?}",
        second.warnings
    );
    assert_ne!(engine.store().load_delta_link("t-a").await.unwrap(), link);

    // Unchanged users are not in a delta round and are never inactivated by absence.
    let third = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(third.mode, ListingMode::Delta);
    assert_eq!(third.plan.counters.inactivated, 0);

    engine.provider().expire_delta_links("t-a");
    let resync = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(resync.mode, ListingMode::Full);
    assert!(resync.warnings.iter().any(|w| w.code == "delta_resync"));
    assert_eq!(resync.plan.counters.inactivated, 0);
    assert_eq!(resync.plan.counters.unchanged, 2);
    let k = contact(engine.store(), "k-t-a").await;
    assert!(!k.is_inactive);
}

async fn unmapped_tenant_is_refused<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    engine
        .apply_mapping_changes(vec![MappingOperation::Skip {
            entra_tenant_id: "t-c".into(),
        }])
        .await
        .unwrap();
    let mappings = engine.store().load_mappings().await.unwrap();
    let skipped = mappings
        .iter()
        .find(|m| m.entra_tenant_id == "t-c")
        .unwrap();
    assert_eq!(skipped.state, MappingState::Skipped);
    let err = engine
        .sync_tenant(skipped, &SyncOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_mapped");
    let report = engine
        .sync_all(SyncAllOptions {
            trigger: RunTrigger::Scheduled,
            ..SyncAllOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(report.run.tenants_total, 2);
    assert_eq!(
        engine
            .store()
            .load_mapping_history("t-c")
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn single_tenant_runs_are_recorded<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let report = engine.sync_tenant_run("t-b", keyed("one")).await.unwrap();
    assert!(
        report
            .run
            .run_id
            .starts_with("entra-sync:tenant:t-b:manual:"),
        "{}",
        report.run.run_id
    );
    assert_eq!(report.run.scope, entra_core::ids::RunScope::Tenant);
    assert_eq!(report.run.entra_tenant_id.as_deref(), Some("t-b"));
    assert_eq!(report.results.len(), 1);
    assert_eq!(report.run.status, RunStatus::Completed);
    assert_eq!(engine.provider().calls("t-a"), 0);
    let again = engine.sync_tenant_run("t-b", keyed("one")).await.unwrap();
    assert_eq!(again.run.run_id, format!("{}#2", report.run.run_id));
    let err = engine
        .sync_tenant_run("t-unknown", keyed("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_mapped");
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

for_each_store!(
    sync_story_is_idempotent,
    dry_run_writes_nothing,
    failing_tenant_never_stops_the_others,
    half_failed_listing_inactivates_nobody,
    store_failure_mid_apply_writes_nothing,
    overlapping_runs_with_one_key_are_one_run,
    cancellation_keeps_finished_tenants_and_resumes,
    delta_rounds_and_resync,
    unmapped_tenant_is_refused,
    single_tenant_runs_are_recorded,
);
