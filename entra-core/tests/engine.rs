//! The sync engine against an in-test provider, for every store.

#[path = "support/counting_store.rs"]
mod counting_store;
#[path = "support/fake_provider.rs"]
mod fake_provider;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use counting_store::CountingStore;
use entra_core::clock::ManualClock;
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
    let engine = estate(store, true).await;
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
    let queue_of_b = |s: &entra_core::store::StoreSnapshot| {
        s.queue
            .iter()
            .filter(|i| i.entra_tenant_id == "t-b")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(queue_of_b(&after), queue_of_b(&before));
    assert_eq!(
        engine.store().load_delta_link("t-b").await.unwrap(),
        None,
        "no delta link moves forward past an apply that failed"
    );
    assert!(
        engine
            .store()
            .load_delta_link("t-a")
            .await
            .unwrap()
            .is_some()
    );

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
    let replaced = engine.store().load_delta_link("t-a").await.unwrap();
    assert!(replaced.is_some(), "the resync's link is stored");
    assert_ne!(replaced, link);
    let after_resync = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(
        after_resync.mode,
        ListingMode::Delta,
        "the new link is used"
    );

    // A refused link whose fallback listing stops early is forgotten, not retried, and the
    // partial listing inactivates nobody.
    engine.provider().expire_delta_links("t-a");
    engine.provider().cut_listing("t-a", Some(1));
    let cut = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(cut.mode, ListingMode::Full);
    assert!(!cut.listing_complete);
    assert_eq!(cut.plan.counters.inactivated, 0);
    assert_eq!(engine.store().load_delta_link("t-a").await.unwrap(), None);
    engine.provider().cut_listing("t-a", None);
    let whole = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(whole.mode, ListingMode::Full);
    assert!(
        whole.warnings.iter().all(|w| w.code != "delta_resync"),
        "no refused link was asked for again: {:?}",
        whole.warnings
    );
    assert!(
        engine
            .store()
            .load_delta_link("t-a")
            .await
            .unwrap()
            .is_some()
    );
}

/// An incomplete or empty tenant listing never marks known tenants `not_listed`; a complete one
/// does, and never deletes them.
async fn discovery_marks_not_listed_only_after_a_complete_listing<S: Harness>(store: S) {
    use entra_core::model::TenantStatus;
    let engine = estate(store, false).await;
    let status = |tenants: Vec<ManagedTenant>, id: &str| {
        tenants
            .into_iter()
            .find(|t| t.entra_tenant_id == id)
            .map(|t| t.status)
    };

    engine.provider().cut_tenant_listing(Some(1));
    let partial = engine.discover().await.unwrap();
    assert!(!partial.listing_complete);
    assert!(partial.merge.not_listed.is_empty());
    engine.provider().cut_tenant_listing(Some(0));
    let empty = engine.discover().await.unwrap();
    assert!(empty.merge.not_listed.is_empty(), "{:?}", empty.merge);
    let tenants = engine.store().load_tenants().await.unwrap();
    assert_eq!(tenants.len(), 3);
    assert!(tenants.iter().all(|t| t.status != TenantStatus::NotListed));

    // A complete listing without t-c marks it not_listed; it stays stored and is not synced.
    engine.provider().cut_tenant_listing(None);
    engine.provider().remove_tenant("t-c");
    let whole = engine.discover().await.unwrap();
    assert!(whole.listing_complete);
    let tenants = engine.store().load_tenants().await.unwrap();
    assert_eq!(tenants.len(), 3, "nothing is deleted");
    assert_eq!(status(tenants, "t-c"), Some(TenantStatus::NotListed));
    let run = engine.sync_all(keyed("after-discovery")).await.unwrap();
    assert_eq!(run.results.len(), 2);
    assert!(run.results.iter().all(|r| r.entra_tenant_id != "t-c"));
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

/// A run left `running` by a process that died: begun at `t0`, one tenant recorded a minute
/// later, never finished.
async fn crashed_run<S: Harness>(
    engine: &SyncEngine<FakeProvider, S>,
    key: &str,
    t0: u64,
) -> String {
    let run_id = SyncEngine::<FakeProvider, S>::run_key(&keyed(key))
        .run_id()
        .unwrap();
    let crashed = RunRecord {
        run_id: run_id.clone(),
        scope: RunScope::AllTenants,
        trigger: RunTrigger::Manual,
        entra_tenant_id: None,
        status: RunStatus::Running,
        started_at_ms: t0,
        finished_at_ms: None,
        heartbeat_at_ms: Some(t0),
        tenants_total: 3,
        tenants_succeeded: 0,
        tenants_failed: 0,
        counters: Counters::default(),
    };
    engine.store().begin_run(&crashed).await.unwrap();
    let counters = Counters {
        created: 2,
        ..Counters::default()
    };
    engine
        .store()
        .record_tenant_result(&TenantRunResult {
            run_id: run_id.clone(),
            entra_tenant_id: "t-a".into(),
            client_id: Some(client_of("t-a")),
            outcome: TenantOutcome::Succeeded,
            mode: Some(ListingMode::Full),
            listing_complete: true,
            dry_run: false,
            counters,
            warnings: vec![],
            error: None,
            duration_ms: 10,
            finished_at_ms: t0 + 60_000,
        })
        .await
        .unwrap();
    run_id
}

async fn stale_running_run_is_taken_over<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let t0 = 1_700_000_000_000u64;
    let last_seen = t0 + 60_000;
    let run_id = crashed_run(&engine, "crashed", t0).await;

    // Within the timeout of its last sign of life the run may still be alive: joined.
    let joined = engine
        .sync_all(SyncAllOptions {
            now_ms: Some(last_seen + 59 * 60_000),
            ..keyed("crashed")
        })
        .await
        .unwrap();
    assert!(joined.joined);
    assert_eq!(joined.run.run_id, run_id);
    for tenant in TENANTS {
        assert_eq!(
            engine.provider().calls(tenant),
            0,
            "a joined run syncs nothing"
        );
    }

    // Past it, the run is marked failed (its recorded tenant kept) and a new attempt runs.
    let taken = engine
        .sync_all(SyncAllOptions {
            now_ms: Some(last_seen + 61 * 60_000),
            ..keyed("crashed")
        })
        .await
        .unwrap();
    assert!(!taken.joined);
    assert_eq!(taken.run.run_id, format!("{run_id}#2"));
    assert_eq!(taken.run.status, RunStatus::Completed);
    assert_eq!(taken.results.len(), 3);
    let old = engine.store().load_run(&run_id).await.unwrap().unwrap();
    assert_eq!(old.status, RunStatus::Failed);
    assert_eq!(old.started_at_ms, t0, "the abandoned run keeps its start");
    assert_eq!(old.tenants_succeeded, 1);
    assert_eq!(old.counters.created, 2);
    assert!(old.finished_at_ms.is_some());
    assert_eq!(
        engine
            .store()
            .load_tenant_results(&run_id)
            .await
            .unwrap()
            .len(),
        1,
        "the abandoned run's results stay recorded"
    );

    // Asking again joins nothing stale: the finished attempts stay as they are.
    let again = engine
        .sync_all(SyncAllOptions {
            now_ms: Some(last_seen + 62 * 60_000),
            ..keyed("crashed")
        })
        .await
        .unwrap();
    assert_eq!(again.run.run_id, format!("{run_id}#3"));
    assert_eq!(
        engine.store().load_run(&run_id).await.unwrap().unwrap(),
        old,
        "a finished run is never overwritten"
    );
}

async fn stale_timeout_is_configurable<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let t0 = 1_700_000_000_000u64;
    let run_id = crashed_run(&engine, "forever", t0).await;
    let patient = engine.clone().with_stale_run_after(None);
    let joined = patient
        .sync_all(SyncAllOptions {
            now_ms: Some(t0 + 48 * 3_600_000),
            ..keyed("forever")
        })
        .await
        .unwrap();
    assert!(
        joined.joined,
        "without a timeout a running run is always joined"
    );

    let eager = engine
        .clone()
        .with_stale_run_after(Some(Duration::from_secs(60)));
    let taken = eager
        .sync_all(SyncAllOptions {
            now_ms: Some(t0 + 60_000 + 61_000),
            ..keyed("forever")
        })
        .await
        .unwrap();
    assert!(!taken.joined);
    assert_eq!(taken.run.run_id, format!("{run_id}#2"));
}

async fn resumed_run_counts_its_resume_as_a_heartbeat<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let t0 = 1_700_000_000_000u64;
    let run_id = crashed_run(&engine, "resumed", t0).await;
    let mut cancelled = engine.store().load_run(&run_id).await.unwrap().unwrap();
    cancelled.status = RunStatus::Cancelled;
    cancelled.finished_at_ms = Some(t0 + 70_000);
    engine.store().finish_run(&cancelled).await.unwrap();

    // Resumed two hours later by a process that is still working on it.
    let resume_at = t0 + 2 * 3_600_000;
    let mut resume = cancelled.clone();
    resume.status = RunStatus::Running;
    resume.started_at_ms = resume_at;
    resume.heartbeat_at_ms = Some(resume_at);
    assert!(matches!(
        engine.store().begin_run(&resume).await.unwrap(),
        entra_core::store::RunStart::Resumed(_)
    ));
    // A request moments later joins it rather than taking it over.
    let joined = engine
        .sync_all(SyncAllOptions {
            now_ms: Some(resume_at + 60_000),
            ..keyed("resumed")
        })
        .await
        .unwrap();
    assert!(joined.joined);
    assert_eq!(joined.run.run_id, run_id);
}

/// A run whose tenants take longer than the stale timeout writes heartbeats while they sync, so a
/// second engine over the same store joins it instead of taking it over; a run whose process
/// died (no heartbeat) is still taken over.
async fn live_run_is_never_taken_over_while_a_slow_tenant_syncs<S: Harness>(store: S) {
    let stale = Duration::from_millis(400);
    let provider = FakeProvider::new().with_latency(Duration::from_millis(2_500));
    let engine = estate_with(store, provider)
        .await
        .with_stale_run_after(Some(stale));
    let run_id = SyncEngine::<FakeProvider, S>::run_key(&keyed("live"))
        .run_id()
        .unwrap();

    let first = engine.clone();
    let live = tokio::spawn(async move { first.sync_all(keyed("live")).await });
    // Past the stale timeout, no tenant has finished yet: only heartbeats show the run is alive.
    tokio::time::sleep(stale * 2 + stale / 4).await;
    let running = engine.store().load_run(&run_id).await.unwrap().unwrap();
    assert_eq!(running.status, RunStatus::Running);
    assert!(
        engine
            .store()
            .load_tenant_results(&run_id)
            .await
            .unwrap()
            .is_empty(),
        "no tenant finished yet"
    );
    assert!(
        running.heartbeat_at_ms > Some(running.started_at_ms),
        "the live run recorded activity: {running:?}"
    );
    let second = engine.clone().sync_all(keyed("live")).await.unwrap();
    assert!(second.joined, "a live run is joined, not taken over");
    assert_eq!(second.run.run_id, run_id);

    let finished = live.await.unwrap().unwrap();
    assert!(!finished.joined);
    assert_eq!(finished.run.run_id, run_id);
    assert_eq!(finished.run.status, RunStatus::Completed);
    assert_eq!(
        engine
            .store()
            .load_run(&run_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        RunStatus::Completed
    );
    assert!(
        !engine.store().touch_run(&run_id, u64::MAX).await.unwrap(),
        "a finished run takes no heartbeat"
    );

    // A run whose process died two minutes ago writes no heartbeat: taken over.
    let dead = crashed_run(&engine, "dead", entra_core::engine::now_ms() - 120_000).await;
    let taken = engine.sync_all(keyed("dead")).await.unwrap();
    assert!(!taken.joined);
    assert_eq!(taken.run.run_id, format!("{dead}#2"));
    assert_eq!(
        engine
            .store()
            .load_run(&dead)
            .await
            .unwrap()
            .unwrap()
            .status,
        RunStatus::Failed
    );
}

/// Polls the runtime's other tasks until `ready` holds (no timer: a bounded number of yields).
async fn until(mut ready: impl AsyncFnMut() -> bool, what: &str) {
    for _ in 0..100_000 {
        if ready().await {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never happened: {what}");
}

/// Stale-run takeover decided by the engine's clock alone: a manual clock moved past the timeout
/// turns a joined run into a taken-over one, with no request time given and no sleeping.
async fn stale_run_is_taken_over_on_virtual_time<S: Harness>(store: S) {
    let t0 = 1_700_000_000_000u64;
    let last_seen = t0 + 60_000;
    let clock = Arc::new(ManualClock::starting_at(last_seen + 59 * 60_000));
    let engine = estate(store, false).await.with_clock(clock.clone());
    let run_id = crashed_run(&engine, "virtual", t0).await;

    let joined = engine.sync_all(keyed("virtual")).await.unwrap();
    assert!(joined.joined, "59 minutes after its last sign of life");
    assert_eq!(joined.run.run_id, run_id);

    clock.advance(Duration::from_secs(2 * 60));
    let taken = engine.sync_all(keyed("virtual")).await.unwrap();
    assert!(!taken.joined, "61 minutes after its last sign of life");
    assert_eq!(taken.run.run_id, format!("{run_id}#2"));
    let now = last_seen + 61 * 60_000;
    assert_eq!(
        taken.run.started_at_ms, now,
        "the run starts on the engine's clock"
    );
    assert_eq!(
        taken.run.finished_at_ms,
        Some(now),
        "virtual time stood still during the run"
    );
    assert!(taken.results.iter().all(|r| r.finished_at_ms == now));
    let old = engine.store().load_run(&run_id).await.unwrap().unwrap();
    assert_eq!(old.status, RunStatus::Failed);
    assert_eq!(old.finished_at_ms, Some(now));
}

/// A live run's heartbeat waits on the engine's clock: while its tenants are held mid-sync, moving
/// a manual clock past the stale timeout fires the heartbeat, so a second request joins the run
/// instead of taking it over. Nothing sleeps.
async fn heartbeats_keep_a_live_run_on_virtual_time<S: Harness>(store: S) {
    let t0 = 1_700_000_000_000u64;
    let clock = Arc::new(ManualClock::starting_at(t0));
    let (open, gate) = tokio::sync::watch::channel(false);
    let engine = estate_with(store, FakeProvider::new().with_gate(gate))
        .await
        .with_clock(clock.clone());
    let run_id = SyncEngine::<FakeProvider, S>::run_key(&keyed("held"))
        .run_id()
        .unwrap();

    let first = engine.clone();
    let live = tokio::spawn(async move { first.sync_all(keyed("held")).await });
    until(async || clock.pending_sleeps() == 1, "the heartbeat waits").await;
    let running = engine.store().load_run(&run_id).await.unwrap().unwrap();
    assert_eq!(running.started_at_ms, t0);
    assert_eq!(running.heartbeat_at_ms, Some(t0));

    // An hour and a minute later (the default timeout is an hour), no tenant has finished.
    clock.advance(Duration::from_secs(61 * 60));
    let beat_at = t0 + 61 * 60_000;
    until(
        async || {
            engine
                .store()
                .load_run(&run_id)
                .await
                .unwrap()
                .unwrap()
                .heartbeat_at_ms
                == Some(beat_at)
        },
        "the heartbeat is recorded at the virtual time",
    )
    .await;
    assert!(
        engine
            .store()
            .load_tenant_results(&run_id)
            .await
            .unwrap()
            .is_empty()
    );
    let second = engine.clone().sync_all(keyed("held")).await.unwrap();
    assert!(second.joined, "the heartbeat shows the run is alive");
    assert_eq!(second.run.run_id, run_id);

    open.send(true).unwrap();
    let finished = live.await.unwrap().unwrap();
    assert_eq!(finished.run.run_id, run_id);
    assert_eq!(finished.run.status, RunStatus::Completed);
    assert_eq!(finished.run.finished_at_ms, Some(beat_at));
    assert_eq!(
        clock.pending_sleeps(),
        0,
        "the heartbeat ended with the run"
    );
}

/// At most `concurrency` tenants are in flight; progress reports each tenant's start and end
/// with the run's counters so far, ending on the run's totals.
async fn concurrency_is_bounded_and_progress_adds_up<S: Harness>(store: S) {
    assert_eq!(entra_core::engine::DEFAULT_CONCURRENCY, 4);
    assert_eq!(SyncAllOptions::default().concurrency, 4);
    let provider = FakeProvider::new().with_latency(Duration::from_millis(60));
    let engine = estate_with(store, provider).await;
    for (concurrency, key) in [(2usize, "two"), (3, "three"), (1, "one")] {
        let events: Arc<Mutex<Vec<ProgressEvent>>> = Arc::default();
        let sink = Arc::clone(&events);
        let report = engine
            .sync_all(SyncAllOptions {
                concurrency,
                progress: Some(Arc::new(move |e: &ProgressEvent| {
                    sink.lock().unwrap().push(e.clone())
                })),
                ..keyed(key)
            })
            .await
            .unwrap();
        let events = events.lock().unwrap().clone();
        let (mut in_flight, mut peak) = (0usize, 0usize);
        let mut done = Vec::new();
        let mut last_totals = None;
        for event in &events {
            match event {
                ProgressEvent::TenantStarted { .. } => {
                    in_flight += 1;
                    peak = peak.max(in_flight);
                }
                ProgressEvent::TenantFinished {
                    tenants_done,
                    tenants_total,
                    totals,
                    ..
                } => {
                    in_flight -= 1;
                    assert_eq!(*tenants_total, 3);
                    done.push(*tenants_done);
                    last_totals = Some(*totals);
                }
                _ => {}
            }
        }
        assert_eq!(peak, concurrency, "concurrency {concurrency}: {events:?}");
        assert_eq!(done, vec![1, 2, 3]);
        assert_eq!(last_totals, Some(report.run.counters));
        assert!(matches!(
            events.first(),
            Some(ProgressEvent::RunStarted { .. })
        ));
        assert!(matches!(
            events.last(),
            Some(ProgressEvent::RunFinished { .. })
        ));
    }
}

/// Operators' answers are fed to the planner on every later run and stick; a dismissed identity
/// is never queued again; each tenant's own settings drive its plan.
async fn resolutions_and_settings_drive_later_runs<S: Harness>(store: S) {
    use entra_core::model::{Resolution, ResolutionDecision};
    use entra_core::store::QueueState;
    let engine = estate(store, false).await;
    let mut extra = Vec::new();
    for (who, other) in [("jane", "jd"), ("zed", "zz")] {
        let mut u = user(
            "t-a",
            &format!("t-a-{who}"),
            who,
            &format!("{who}@a.example"),
        );
        u.other_mails = vec![format!("{other}@gmail.com")];
        engine.provider().put_user(u);
        let mut by_mail = Contact::new(format!("k-{who}-1"), "c-a");
        by_mail.email = Some(format!("{who}@a.example"));
        let mut by_other = Contact::new(format!("k-{who}-2"), "c-a");
        by_other.email = Some(format!("{other}@gmail.com"));
        extra.extend([by_mail, by_other]);
    }
    engine.store().upsert_contacts(&extra).await.unwrap();
    let lenient = entra_core::model::SyncSettings {
        mark_inactive_when_disabled: false,
        ..entra_core::model::SyncSettings::default()
    };
    engine
        .store()
        .save_sync_settings("t-b", &lenient)
        .await
        .unwrap();

    let first = engine.sync_all(keyed("queue-1")).await.unwrap();
    assert_eq!(first.run.counters.ambiguous, 2, "{:?}", first.run.counters);
    let open = engine.store().load_queue(Some("t-a")).await.unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|i| i.state == QueueState::Open));

    engine
        .store()
        .resolve_queue_item(
            "t-a",
            &Resolution {
                entra_object_id: "t-a-jane".into(),
                decision: ResolutionDecision::LinkExisting,
                contact_id: Some("k-jane-2".into()),
            },
        )
        .await
        .unwrap();
    engine
        .store()
        .resolve_queue_item(
            "t-a",
            &Resolution {
                entra_object_id: "t-a-zed".into(),
                decision: ResolutionDecision::Dismissed,
                contact_id: None,
            },
        )
        .await
        .unwrap();
    // Both users' accounts are disabled upstream in t-b and t-c: only t-c inactivates.
    engine
        .provider()
        .update_user("t-b", "t-b-u0", |u| u.account_enabled = false);
    engine
        .provider()
        .update_user("t-c", "t-c-u0", |u| u.account_enabled = false);

    for key in ["queue-2", "queue-3"] {
        let run = engine.sync_all(keyed(key)).await.unwrap();
        let a = run
            .results
            .iter()
            .find(|r| r.entra_tenant_id == "t-a")
            .unwrap();
        assert_eq!(a.counters.ambiguous, 0, "{key}: {:?}", a.counters);
        let snapshot = engine.store().snapshot().await.unwrap();
        let jane: Vec<_> = snapshot
            .links
            .iter()
            .filter(|l| l.entra_object_id == "t-a-jane" && l.active)
            .collect();
        assert_eq!(jane.len(), 1, "{key}");
        assert_eq!(jane[0].contact_id, "k-jane-2", "{key}: the chosen contact");
        assert!(
            !snapshot
                .links
                .iter()
                .any(|l| l.entra_object_id == "t-a-zed"),
            "{key}: a dismissed user is neither linked nor created"
        );
        let queue = engine.store().load_queue(Some("t-a")).await.unwrap();
        let state_of = |id: &str| {
            queue
                .iter()
                .find(|i| i.entra_object_id == id)
                .map(|i| i.state)
        };
        assert_eq!(state_of("t-a-jane"), Some(QueueState::Resolved), "{key}");
        assert_eq!(state_of("t-a-zed"), Some(QueueState::Dismissed), "{key}");
        assert_eq!(
            engine.store().load_resolutions("t-a").await.unwrap().len(),
            2,
            "{key}: the answers stick"
        );
        assert!(
            !contact(engine.store(), "k-t-b").await.is_inactive,
            "{key}: t-b's settings keep disabled users' contacts active"
        );
        assert!(
            contact(engine.store(), "k-t-c").await.is_inactive,
            "{key}: t-c uses the defaults"
        );
    }
}

/// The engine talks to its store in batches: a fixed number of calls per tenant and per run,
/// whatever the number of users.
#[tokio::test]
async fn store_calls_per_tenant_do_not_grow_with_users() {
    let engine = estate(CountingStore::new(MemoryStore::new()), true).await;
    engine.store().take();
    engine.sync_all(keyed("small")).await.unwrap();
    let small = engine.store().take();

    for tenant in TENANTS {
        for i in 0..40 {
            engine.provider().put_user(user(
                tenant,
                &format!("{tenant}-x{i}"),
                &format!("Extra Person{i}"),
                &format!("extra{i}@{}", domain(tenant)),
            ));
        }
    }
    let report = engine.sync_all(keyed("large")).await.unwrap();
    assert_eq!(
        report.run.counters.created, 120,
        "{:?}",
        report.run.counters
    );
    let large = engine.store().take();
    assert_eq!(small, large, "calls do not depend on the number of users");

    let tenants = TENANTS.len();
    let expected: std::collections::BTreeMap<&str, usize> = [
        // once per run
        ("load_mapped_tenants", 1),
        ("load_tenants", 1),
        ("begin_run", 1),
        ("finish_run", 1),
        // once per tenant
        ("load_sync_settings", tenants),
        ("load_delta_link", tenants),
        ("load_plan_contacts", tenants),
        ("load_plan_links", tenants),
        ("load_resolutions", tenants),
        ("apply_changes", tenants),
        ("save_delta_link", tenants),
        ("record_tenant_result", tenants),
    ]
    .into_iter()
    .collect();
    assert_eq!(large, expected);

    // A dry run reads in the same batches and writes nothing.
    engine
        .sync_all(SyncAllOptions {
            sync: SyncOptions {
                dry_run: true,
                use_delta: true,
            },
            ..keyed("dry-count")
        })
        .await
        .unwrap();
    let dry = engine.store().take();
    for write in [
        "begin_run",
        "finish_run",
        "apply_changes",
        "save_delta_link",
        "record_tenant_result",
    ] {
        assert_eq!(dry.get(write), None, "a dry run never calls {write}");
    }
    assert_eq!(dry.get("load_plan_contacts"), Some(&tenants));
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
    stale_running_run_is_taken_over,
    stale_timeout_is_configurable,
    resumed_run_counts_its_resume_as_a_heartbeat,
    live_run_is_never_taken_over_while_a_slow_tenant_syncs,
    stale_run_is_taken_over_on_virtual_time,
    heartbeats_keep_a_live_run_on_virtual_time,
    discovery_marks_not_listed_only_after_a_complete_listing,
    concurrency_is_bounded_and_progress_adds_up,
    resolutions_and_settings_drive_later_runs,
);
