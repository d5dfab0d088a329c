//! Runs over every mapped tenant: a deterministic run id, bounded concurrency, per-tenant
//! isolation, results recorded as tenants finish, progress events, cancellation and resume.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use futures::StreamExt;
use tracing::{Instrument, info, info_span, warn};

use crate::ids::{RunDiscriminator, RunKey, RunScope};
use crate::model::{SyncSettings, TenantMapping, TenantStatus};
use crate::provider::EntraProvider;
use crate::reconcile::{Counters, SyncPlan};
use crate::store::{
    FailureInfo, RunRecord, RunStart, RunStatus, StoreError, SyncStore, TenantOutcome,
    TenantRunResult,
};

use super::heartbeat::{self, RunClock};
use super::report::add_counters;
use super::{
    EngineError, ProgressEvent, RunReport, SyncAllOptions, SyncEngine, TenantSyncReport, now_ms,
};

/// How many attempt ids a run key may use before the engine gives up.
const MAX_ATTEMPTS: u32 = 1000;

/// The run's tallies while tenants finish in any order.
struct Tally {
    counters: Counters,
    succeeded: u32,
    failed: u32,
    skipped: u32,
}

impl Tally {
    fn add(&mut self, result: &TenantRunResult) {
        add_counters(&mut self.counters, &result.counters);
        match result.outcome {
            TenantOutcome::Succeeded => self.succeeded += 1,
            TenantOutcome::Failed => self.failed += 1,
            TenantOutcome::Skipped => self.skipped += 1,
        }
    }
}

/// The skip reason of a tenant whose effective `syncEnabled` is off.
pub const SKIP_SYNC_DISABLED: &str = "sync_disabled";

/// What a run covers.
#[derive(Debug, Clone)]
enum Subject {
    AllTenants,
    Tenant(String),
    Client(String),
}

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    /// The run key `sync_all` derives from `options` (hosts use its id as a workflow id). Without
    /// a request key or `now_ms`, its time bucket is read from the wall clock; an engine on
    /// another clock derives its key from that clock, so such hosts pass `now_ms`.
    pub fn run_key(options: &SyncAllOptions) -> RunKey {
        run_key(options, &Subject::AllTenants)
    }

    /// Syncs every mapped tenant. A tenant's failure is recorded and never stops the others.
    ///
    /// When a run with the same id is already running, this returns it with `joined: true` and
    /// does nothing, unless it shows no sign of life for longer than the stale timeout
    /// ([`SyncEngine::with_stale_run_after`]): then its process is taken to have died, the run is
    /// marked `failed` (its tenant results kept) and the next attempt id runs. A cancelled run
    /// with the same id is resumed (tenants it completed are kept and skipped); a finished one is
    /// never touched: the next attempt id is used instead.
    pub async fn sync_all(&self, options: SyncAllOptions) -> Result<RunReport, EngineError> {
        let tenants = self.tenants_to_sync().await?;
        self.start_run(Subject::AllTenants, tenants, options).await
    }

    /// "Sync now" on a client: syncs every tenant mapped to `client_id` (that discovery still
    /// lists) as one recorded run of scope `client`, with per-tenant results and the same
    /// run-id, joining, resuming and never-overwrite rules as [`SyncEngine::sync_all`]. A client
    /// no tenant is mapped to is `not_mapped` (details `{clientId}`).
    pub async fn sync_client(
        &self,
        client_id: &str,
        options: SyncAllOptions,
    ) -> Result<RunReport, EngineError> {
        let tenants: Vec<TenantMapping> = self
            .tenants_to_sync()
            .await?
            .into_iter()
            .filter(|m| m.client_id.as_deref() == Some(client_id))
            .collect();
        if tenants.is_empty() {
            return Err(EngineError::ClientNotMapped {
                client_id: client_id.to_string(),
            });
        }
        self.start_run(Subject::Client(client_id.to_string()), tenants, options)
            .await
    }

    /// Syncs one mapped tenant as a recorded run of scope `tenant`, with the same run-id,
    /// joining, resuming and never-overwrite rules as [`SyncEngine::sync_all`].
    pub async fn sync_tenant_run(
        &self,
        entra_tenant_id: &str,
        options: SyncAllOptions,
    ) -> Result<RunReport, EngineError> {
        let mapping = self
            .store
            .load_mapped_tenants()
            .await?
            .into_iter()
            .find(|m| m.entra_tenant_id == entra_tenant_id)
            .ok_or_else(|| EngineError::NotMapped {
                entra_tenant_id: entra_tenant_id.to_string(),
            })?;
        self.start_run(
            Subject::Tenant(entra_tenant_id.to_string()),
            vec![mapping],
            options,
        )
        .await
    }

    async fn start_run(
        &self,
        subject: Subject,
        tenants: Vec<TenantMapping>,
        options: SyncAllOptions,
    ) -> Result<RunReport, EngineError> {
        let started_at_ms = options.now_ms.unwrap_or_else(|| self.clock.now_ms());
        let key = run_key(
            &SyncAllOptions {
                now_ms: Some(started_at_ms),
                ..options.clone()
            },
            &subject,
        );
        let tenants_total = u32::try_from(tenants.len()).unwrap_or(u32::MAX);
        let fresh = |run_id: String| RunRecord {
            run_id,
            scope: key.scope,
            trigger: options.trigger,
            entra_tenant_id: key.entra_tenant_id.clone(),
            client_id: key.client_id.clone(),
            status: RunStatus::Running,
            started_at_ms,
            finished_at_ms: None,
            heartbeat_at_ms: Some(started_at_ms),
            tenants_total,
            tenants_succeeded: 0,
            tenants_failed: 0,
            counters: Counters::default(),
            tenants_skipped: 0,
            error: None,
            discovery: None,
        };

        let clock = RunClock::starting_at(started_at_ms, self.clock.clone());
        if options.sync.dry_run {
            let run = fresh(key.run_id()?);
            return self
                .execute(run, tenants, Vec::new(), &options, clock)
                .await;
        }

        let mut attempt = 1;
        let (run, previous) = loop {
            let run_id = key.attempt_id(attempt)?;
            match self.store.begin_run(&fresh(run_id.clone())).await? {
                RunStart::Started(run) => break (run, Vec::new()),
                RunStart::Resumed(run) => {
                    let previous = self.store.load_tenant_results(&run.run_id).await?;
                    info!(run_id = %run.run_id, done = previous.len(), "resuming cancelled run");
                    break (run, previous);
                }
                RunStart::AlreadyRunning(run) => {
                    let results = self.store.load_tenant_results(&run.run_id).await?;
                    if self.is_stale(&run, &results, started_at_ms) {
                        self.abandon(run, &results, started_at_ms).await?;
                        if attempt >= MAX_ATTEMPTS {
                            return Err(EngineError::AttemptsExhausted {
                                run_id: key.run_id()?,
                                attempts: MAX_ATTEMPTS,
                            });
                        }
                        attempt += 1;
                        continue;
                    }
                    info!(run_id = %run.run_id, "run already in progress; joining it");
                    return Ok(RunReport {
                        run,
                        results,
                        plans: Vec::new(),
                        joined: true,
                        dry_run: false,
                    });
                }
                RunStart::Finished(_) if attempt < MAX_ATTEMPTS => attempt += 1,
                RunStart::Finished(_) => {
                    return Err(EngineError::AttemptsExhausted {
                        run_id: key.run_id()?,
                        attempts: MAX_ATTEMPTS,
                    });
                }
            }
        };
        self.execute(run, tenants, previous, &options, clock).await
    }

    /// Whether a `running` run shows no sign of life within the stale timeout at `now_ms`.
    fn is_stale(&self, run: &RunRecord, results: &[TenantRunResult], now_ms: u64) -> bool {
        let Some(after) = self.stale_run_after else {
            return false;
        };
        let last_seen = results
            .iter()
            .map(|r| r.finished_at_ms)
            .chain(run.heartbeat_at_ms)
            .fold(run.started_at_ms, u64::max);
        let after_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
        now_ms.saturating_sub(last_seen) > after_ms
    }

    /// Ends a run whose process died as `failed`, keeping the tenant results it recorded. When
    /// another process ended it first, that outcome stands.
    async fn abandon(
        &self,
        mut run: RunRecord,
        results: &[TenantRunResult],
        now_ms: u64,
    ) -> Result<(), EngineError> {
        let mut tally = Tally::new();
        for result in results {
            tally.add(result);
        }
        run.status = RunStatus::Failed;
        run.finished_at_ms = Some(now_ms.max(run.started_at_ms));
        run.tenants_succeeded = tally.succeeded;
        run.tenants_failed = tally.failed;
        run.tenants_skipped = tally.skipped;
        run.counters = tally.counters;
        warn!(
            run_id = %run.run_id,
            tenants_recorded = results.len(),
            "run stayed running past the stale timeout; marking it failed and starting a new attempt"
        );
        match self.store.finish_run(&run).await {
            Ok(()) | Err(StoreError::Refused { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Mapped tenants that discovery still lists, ordered by tenant id.
    async fn tenants_to_sync(&self) -> Result<Vec<TenantMapping>, EngineError> {
        let mappings = self.store.load_mapped_tenants().await?;
        let gone: BTreeSet<String> = self
            .store
            .load_tenants()
            .await?
            .into_iter()
            .filter(|t| t.status == TenantStatus::NotListed)
            .map(|t| t.entra_tenant_id)
            .collect();
        Ok(mappings
            .into_iter()
            .filter(|m| !gone.contains(&m.entra_tenant_id))
            .collect())
    }

    async fn execute(
        &self,
        mut run: RunRecord,
        tenants: Vec<TenantMapping>,
        previous: Vec<TenantRunResult>,
        options: &SyncAllOptions,
        clock: RunClock,
    ) -> Result<RunReport, EngineError> {
        let dry_run = options.sync.dry_run;
        let span = info_span!(
            "entra_sync.run",
            run_id = %run.run_id,
            tenants = tenants.len(),
            dry_run,
            status = tracing::field::Empty,
            succeeded = tracing::field::Empty,
            failed = tracing::field::Empty,
            created = tracing::field::Empty,
            inactivated = tracing::field::Empty,
        );
        let run_id = run.run_id.clone();

        // Tenants a resumed run already completed keep their results and are not synced again.
        let done: BTreeSet<&str> = previous
            .iter()
            .filter(|r| r.outcome == TenantOutcome::Succeeded)
            .map(|r| r.entra_tenant_id.as_str())
            .collect();
        let mut kept: BTreeMap<String, TenantRunResult> = BTreeMap::new();
        let tally = Mutex::new(Tally::new());
        for result in previous
            .iter()
            .filter(|r| done.contains(r.entra_tenant_id.as_str()))
        {
            if let Ok(mut t) = tally.lock() {
                t.add(result);
            }
            kept.insert(result.entra_tenant_id.clone(), result.clone());
        }
        let todo: Vec<TenantMapping> = tenants
            .into_iter()
            .filter(|m| !done.contains(m.entra_tenant_id.as_str()))
            .collect();
        let tenants_total = run.tenants_total;
        let emit = |event: ProgressEvent| {
            if let Some(progress) = &options.progress {
                progress(&event);
            }
        };
        emit(ProgressEvent::RunStarted {
            run_id: run_id.clone(),
            tenants_total,
            tenants_already_done: u32::try_from(kept.len()).unwrap_or(u32::MAX),
        });

        let concurrency = options.concurrency.max(1);
        let work = futures::stream::iter(todo.into_iter().map(|mapping| {
            let run_id = run_id.clone();
            let tally = &tally;
            let emit = &emit;
            let clock = &clock;
            async move {
                if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
                    return None;
                }
                emit(ProgressEvent::TenantStarted {
                    run_id: run_id.clone(),
                    entra_tenant_id: mapping.entra_tenant_id.clone(),
                });
                let started = clock.now_ms();
                let (result, plan) = match self.tenant_settings(&mapping).await {
                    Ok(Some(settings)) => {
                        let outcome = self
                            .sync_tenant_with(&mapping, &options.sync, Some(settings))
                            .await;
                        let finished = clock.now_ms();
                        let elapsed = finished.saturating_sub(started);
                        to_result(&run_id, &mapping, outcome, elapsed, finished, dry_run)
                    }
                    Ok(None) => {
                        info!(tenant = %mapping.entra_tenant_id, "sync disabled; tenant skipped");
                        (
                            skipped_result(&run_id, &mapping, clock.now_ms(), dry_run),
                            None,
                        )
                    }
                    Err(e) => {
                        let finished = clock.now_ms();
                        let elapsed = finished.saturating_sub(started);
                        to_result(&run_id, &mapping, Err(e), elapsed, finished, dry_run)
                    }
                };
                let result = if dry_run {
                    result
                } else {
                    self.record(result).await
                };
                let (totals, done) = match tally.lock() {
                    Ok(mut t) => {
                        t.add(&result);
                        (t.counters, t.succeeded + t.failed + t.skipped)
                    }
                    Err(_) => (Counters::default(), 0),
                };
                emit(ProgressEvent::TenantFinished {
                    run_id: run_id.clone(),
                    entra_tenant_id: result.entra_tenant_id.clone(),
                    outcome: result.outcome,
                    counters: result.counters,
                    totals,
                    tenants_done: done,
                    tenants_total,
                });
                Some((result, plan))
            }
        }))
        .buffer_unordered(concurrency)
        .collect::<Vec<Option<(TenantRunResult, Option<SyncPlan>)>>>()
        .instrument(span.clone());
        let outcomes = if dry_run {
            work.await
        } else {
            // While tenants sync, the run records a heartbeat so no other process takes it over.
            let interval = heartbeat::interval_for(
                self.stale_run_after
                    .unwrap_or(super::DEFAULT_STALE_RUN_AFTER),
            );
            let beat = heartbeat::beat(self.store.as_ref(), &run_id, &clock, interval)
                .instrument(span.clone());
            futures::pin_mut!(work, beat);
            match futures::future::select(work, beat).await {
                futures::future::Either::Left((outcomes, _)) => outcomes,
                futures::future::Either::Right(((), work)) => work.await,
            }
        };

        let mut cancelled = 0usize;
        let mut plans = Vec::new();
        for outcome in outcomes {
            match outcome {
                Some((result, plan)) => {
                    if let Some(plan) = plan {
                        plans.push(plan);
                    }
                    kept.insert(result.entra_tenant_id.clone(), result);
                }
                None => cancelled += 1,
            }
        }
        plans.sort_by(|a, b| a.entra_tenant_id.cmp(&b.entra_tenant_id));

        let tally = tally
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        run.counters = tally.counters;
        run.tenants_succeeded = tally.succeeded;
        run.tenants_failed = tally.failed;
        run.tenants_skipped = tally.skipped;
        run.finished_at_ms = Some(clock.now_ms().max(run.started_at_ms));
        run.status = if cancelled > 0 {
            RunStatus::Cancelled
        } else if tally.failed == 0 {
            RunStatus::Completed
        } else if tally.succeeded == 0 {
            RunStatus::Failed
        } else {
            RunStatus::Partial
        };
        if !dry_run {
            self.store.finish_run(&run).await?;
        }
        let c = &run.counters;
        span.record("status", run.status.as_str());
        span.record("succeeded", run.tenants_succeeded);
        span.record("failed", run.tenants_failed);
        span.record("created", c.created);
        span.record("inactivated", c.inactivated);
        span.in_scope(|| {
            info!(
                status = run.status.as_str(),
                succeeded = run.tenants_succeeded,
                failed = run.tenants_failed,
                skipped = run.tenants_skipped,
                cancelled,
                created = c.created,
                linked = c.linked,
                updated = c.updated,
                inactivated = c.inactivated,
                reactivated = c.reactivated,
                ambiguous = c.ambiguous,
                conflicts = c.conflicts,
                "run finished"
            )
        });
        emit(ProgressEvent::RunFinished {
            run_id: run.run_id.clone(),
            status: run.status,
            counters: run.counters,
        });
        Ok(RunReport {
            run,
            results: kept.into_values().collect(),
            plans,
            joined: false,
            dry_run,
        })
    }

    /// Records a tenant's result; a store that cannot record it turns the result into a failure
    /// the run reports (the tenant's own writes, if any, were already committed atomically).
    async fn record(&self, mut result: TenantRunResult) -> TenantRunResult {
        if let Err(e) = self.store.record_tenant_result(&result).await {
            warn!(tenant = %result.entra_tenant_id, code = e.code(), "could not record tenant result");
            result.outcome = TenantOutcome::Failed;
            result.error = Some(FailureInfo {
                code: e.code().to_string(),
                message: format!("the result could not be recorded: {e}"),
            });
        }
        result
    }
}

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    /// The effective settings of a tenant about to be synced, or `None` when its effective
    /// `syncEnabled` is off.
    async fn tenant_settings(
        &self,
        mapping: &TenantMapping,
    ) -> Result<Option<SyncSettings>, EngineError> {
        let settings = self
            .store
            .load_sync_settings(&mapping.entra_tenant_id)
            .await?;
        Ok(settings.sync_enabled.then_some(settings))
    }
}

impl Tally {
    fn new() -> Self {
        Self {
            counters: Counters::default(),
            succeeded: 0,
            failed: 0,
            skipped: 0,
        }
    }
}

/// The run key of a run over `subject`.
fn run_key(options: &SyncAllOptions, subject: &Subject) -> RunKey {
    let discriminator = match &options.request_key {
        Some(key) => RunDiscriminator::RequestKey { key: key.clone() },
        None => RunDiscriminator::TimeBucket {
            unix_seconds: options.now_ms.unwrap_or_else(now_ms) / 1000,
            bucket_seconds: options.bucket_seconds,
        },
    };
    let (scope, entra_tenant_id, client_id) = match subject {
        Subject::AllTenants => (RunScope::AllTenants, None, None),
        Subject::Tenant(t) => (RunScope::Tenant, Some(t.clone()), None),
        Subject::Client(c) => (RunScope::Client, None, Some(c.clone())),
    };
    RunKey {
        scope,
        entra_tenant_id,
        client_id,
        trigger: options.trigger,
        discriminator,
    }
}

/// The result of a tenant left alone because its effective `syncEnabled` is off.
fn skipped_result(
    run_id: &str,
    mapping: &TenantMapping,
    finished_at_ms: u64,
    dry_run: bool,
) -> TenantRunResult {
    TenantRunResult {
        run_id: run_id.to_string(),
        entra_tenant_id: mapping.entra_tenant_id.clone(),
        client_id: mapping.client_id.clone(),
        outcome: TenantOutcome::Skipped,
        mode: None,
        listing_complete: false,
        dry_run,
        counters: Counters::default(),
        warnings: Vec::new(),
        error: None,
        duration_ms: 0,
        finished_at_ms,
        license_summary: None,
        skip_reason: Some(SKIP_SYNC_DISABLED.to_string()),
    }
}

fn to_result(
    run_id: &str,
    mapping: &TenantMapping,
    outcome: Result<TenantSyncReport, EngineError>,
    elapsed_ms: u64,
    finished_at_ms: u64,
    dry_run: bool,
) -> (TenantRunResult, Option<SyncPlan>) {
    match outcome {
        Ok(report) => (
            TenantRunResult {
                run_id: run_id.to_string(),
                entra_tenant_id: report.entra_tenant_id.clone(),
                client_id: Some(report.client_id.clone()),
                outcome: TenantOutcome::Succeeded,
                mode: Some(report.mode),
                listing_complete: report.listing_complete,
                dry_run,
                counters: report.plan.counters,
                warnings: report.warnings,
                error: None,
                duration_ms: report.duration_ms,
                finished_at_ms,
                license_summary: report.license_summary,
                skip_reason: None,
            },
            Some(report.plan),
        ),
        Err(e) => {
            warn!(tenant = %mapping.entra_tenant_id, code = e.code(), "tenant sync failed");
            (
                TenantRunResult {
                    run_id: run_id.to_string(),
                    entra_tenant_id: mapping.entra_tenant_id.clone(),
                    client_id: mapping.client_id.clone(),
                    outcome: TenantOutcome::Failed,
                    mode: None,
                    listing_complete: false,
                    dry_run,
                    counters: Counters::default(),
                    warnings: Vec::new(),
                    error: Some(FailureInfo {
                        code: e.code().to_string(),
                        message: e.to_string(),
                    }),
                    duration_ms: elapsed_ms,
                    finished_at_ms,
                    license_summary: None,
                    skip_reason: None,
                },
                None,
            )
        }
    }
}
