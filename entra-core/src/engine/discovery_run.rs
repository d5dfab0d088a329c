//! Discovery as a recorded run (scope `discovery`): when it ran, how it ended and what it found,
//! under a deterministic run id like the syncs' (a double click starts one discovery).

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::ids::{RunDiscriminator, RunKey, RunScope};
use crate::provider::EntraProvider;
use crate::reconcile::Counters;
use crate::store::{DiscoverySummary, FailureInfo, RunRecord, RunStart, RunStatus, SyncStore};

use super::{DiscoveryReport, EngineError, SyncAllOptions, SyncEngine};

/// How many attempt ids a discovery key may use.
const MAX_ATTEMPTS: u32 = 1000;

/// A recorded discovery: its run, and the merge when this call ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryRunReport {
    pub run: RunRecord,
    /// What the discovery found; `None` when this call joined a discovery already running.
    pub report: Option<DiscoveryReport>,
    /// True when a discovery with the same run id was already running: this call did nothing.
    pub joined: bool,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    /// Runs [`SyncEngine::discover`] as a recorded run of scope `discovery` (run id from the
    /// trigger and the request key or time bucket of `options`; its sync options, concurrency
    /// and callbacks do not apply). The run ends `completed` with a [`DiscoverySummary`], or
    /// `failed` with the error, which is then returned as well (so a workflow retries; the retry
    /// gets the next attempt id). A discovery already running under the same id is joined.
    pub async fn discover_run(
        &self,
        options: SyncAllOptions,
    ) -> Result<DiscoveryRunReport, EngineError> {
        let started_at_ms = options.now_ms.unwrap_or_else(|| self.clock.now_ms());
        let key = discovery_key(&options, started_at_ms);
        let fresh = |run_id: String| RunRecord {
            run_id,
            scope: RunScope::Discovery,
            trigger: options.trigger,
            entra_tenant_id: None,
            status: RunStatus::Running,
            started_at_ms,
            finished_at_ms: None,
            heartbeat_at_ms: Some(started_at_ms),
            tenants_total: 0,
            tenants_succeeded: 0,
            tenants_failed: 0,
            counters: Counters::default(),
            client_id: None,
            tenants_skipped: 0,
            error: None,
            discovery: None,
        };
        let mut attempt = 1;
        let mut run = loop {
            match self
                .store
                .begin_run(&fresh(key.attempt_id(attempt)?))
                .await?
            {
                RunStart::Started(run) | RunStart::Resumed(run) => break run,
                RunStart::AlreadyRunning(run) => {
                    info!(run_id = %run.run_id, "discovery already in progress; joining it");
                    return Ok(DiscoveryRunReport {
                        run,
                        report: None,
                        joined: true,
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
        let outcome = self.discover().await;
        run.finished_at_ms = Some(self.clock.now_ms().max(started_at_ms));
        match outcome {
            Ok(report) => {
                let merge = &report.merge;
                run.status = RunStatus::Completed;
                run.tenants_total =
                    count(merge.insert.len() + merge.update.len() + merge.unchanged.len());
                run.discovery = Some(DiscoverySummary {
                    listing_complete: report.listing_complete,
                    inserted: count(merge.insert.len()),
                    updated: count(merge.update.len()),
                    not_listed: count(merge.not_listed.len()),
                    unchanged: count(merge.unchanged.len()),
                });
                self.store.finish_run(&run).await?;
                Ok(DiscoveryRunReport {
                    run,
                    report: Some(report),
                    joined: false,
                })
            }
            Err(e) => {
                run.status = RunStatus::Failed;
                run.error = Some(FailureInfo {
                    code: e.code().to_string(),
                    message: e.to_string(),
                });
                self.store.finish_run(&run).await?;
                Err(e)
            }
        }
    }
}

fn discovery_key(options: &SyncAllOptions, started_at_ms: u64) -> RunKey {
    let discriminator = match &options.request_key {
        Some(key) => RunDiscriminator::RequestKey { key: key.clone() },
        None => RunDiscriminator::TimeBucket {
            unix_seconds: started_at_ms / 1000,
            bucket_seconds: options.bucket_seconds,
        },
    };
    RunKey {
        entra_tenant_id: None,
        client_id: None,
        scope: RunScope::Discovery,
        trigger: options.trigger,
        discriminator,
    }
}
