//! Progress events and cancellation for long runs.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::reconcile::Counters;
use crate::store::{RunStatus, TenantOutcome};

/// What a run reports while it works, so a host can show a progress bar or stream updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "event")]
pub enum ProgressEvent {
    #[serde(rename_all = "camelCase")]
    RunStarted {
        run_id: String,
        tenants_total: u32,
        /// Tenants a resumed run had already completed.
        tenants_already_done: u32,
    },
    #[serde(rename_all = "camelCase")]
    TenantStarted {
        run_id: String,
        entra_tenant_id: String,
    },
    #[serde(rename_all = "camelCase")]
    TenantFinished {
        run_id: String,
        entra_tenant_id: String,
        outcome: TenantOutcome,
        /// This tenant's counters.
        counters: Counters,
        /// The run's counters so far.
        totals: Counters,
        tenants_done: u32,
        tenants_total: u32,
    },
    #[serde(rename_all = "camelCase")]
    RunFinished {
        run_id: String,
        status: RunStatus,
        counters: Counters,
    },
}

/// Receives progress events. It is called from the tasks doing the work: keep it quick.
pub type ProgressCallback = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Asks a run to stop: tenants not yet started are skipped, tenants in flight finish and are
/// recorded, and the run ends `cancelled` so it can be resumed later.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CancelToken")
            .field(&self.is_cancelled())
            .finish()
    }
}
