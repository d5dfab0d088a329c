//! Run-record rules shared by both stores.

use super::records::{RunRecord, RunStatus};

/// Moves a running run's heartbeat forward to `at_ms`; `false` (nothing changed) when the run is
/// not running. A heartbeat never moves back, so a late or reordered write cannot make a live
/// run look older than it is.
pub(crate) fn heartbeat(run: &mut RunRecord, at_ms: u64) -> bool {
    if run.status != RunStatus::Running {
        return false;
    }
    run.heartbeat_at_ms = Some(run.heartbeat_at_ms.map_or(at_ms, |seen| seen.max(at_ms)));
    true
}
