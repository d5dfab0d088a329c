//! Whole runs: idempotence, dry runs, failing tenants, overlapping keys, single-tenant runs,
//! refusals, bounded concurrency and the store's batch sizes.

use super::*;

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
    let a = result_of(&second.results, "t-a");
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
            sync: dry_delta(),
            ..keyed("dry")
        })
        .await
        .unwrap();
    assert!(report.dry_run);
    assert_eq!(report.run.counters.created, 6, "the plan is still computed");
    assert_eq!(report.plans.len(), 3);
    let mapping = engine.store().load_mapped_tenants().await.unwrap()[0].clone();
    let single = engine.sync_tenant(&mapping, &dry_delta()).await.unwrap();
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
    let b = result_of(&report.results, "t-b");
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
            sync: dry_delta(),
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

for_each_store!(
    sync_story_is_idempotent,
    dry_run_writes_nothing,
    failing_tenant_never_stops_the_others,
    overlapping_runs_with_one_key_are_one_run,
    unmapped_tenant_is_refused,
    single_tenant_runs_are_recorded,
    concurrency_is_bounded_and_progress_adds_up,
);
