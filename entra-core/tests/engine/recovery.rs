//! Runs that break: store failures mid-apply, cancellation and resumption, crashed runs and
//! their takeover, heartbeats of live runs.

use super::*;
use entra_core::clock::ManualClock;

async fn store_failure_mid_apply_writes_nothing<S: Harness>(store: S) {
    let engine = estate(store, true).await;
    let before = engine.store().snapshot().await.unwrap();
    engine.store().inject(Some(ApplyFault {
        entra_tenant_id: Some("t-b".into()),
        after_writes: 2,
    }));
    let report = engine.sync_all(keyed("fault")).await.unwrap();
    assert_eq!(report.run.status, RunStatus::Partial);
    let b = result_of(&report.results, "t-b");
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
        delta_link(engine.store(), "t-b").await,
        None,
        "no delta link moves forward past an apply that failed"
    );
    assert!(delta_link(engine.store(), "t-a").await.is_some());

    engine.store().inject(None);
    let retry = engine.sync_all(keyed("fault-retry")).await.unwrap();
    assert_eq!(retry.run.status, RunStatus::Completed);
    let b = result_of(&retry.results, "t-b");
    assert_eq!((b.counters.linked, b.counters.created), (1, 2));
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
    assert_eq!(recorded_results(engine.store(), &run_id).await, 1);
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
        client_id: None,
        tenants_skipped: 0,
        error: None,
        discovery: None,
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
            license_summary: None,
            skip_reason: None,
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
        .sync_all(keyed_at("crashed", last_seen + 59 * 60_000))
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
        .sync_all(keyed_at("crashed", last_seen + 61 * 60_000))
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
        recorded_results(engine.store(), &run_id).await,
        1,
        "the abandoned run's results stay recorded"
    );

    // Asking again joins nothing stale: the finished attempts stay as they are.
    let again = engine
        .sync_all(keyed_at("crashed", last_seen + 62 * 60_000))
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
        .sync_all(keyed_at("forever", t0 + 48 * 3_600_000))
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
        .sync_all(keyed_at("forever", t0 + 60_000 + 61_000))
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
        .sync_all(keyed_at("resumed", resume_at + 60_000))
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

for_each_store!(
    store_failure_mid_apply_writes_nothing,
    cancellation_keeps_finished_tenants_and_resumes,
    stale_running_run_is_taken_over,
    stale_timeout_is_configurable,
    resumed_run_counts_its_resume_as_a_heartbeat,
    live_run_is_never_taken_over_while_a_slow_tenant_syncs,
    stale_run_is_taken_over_on_virtual_time,
    heartbeats_keep_a_live_run_on_virtual_time,
);
