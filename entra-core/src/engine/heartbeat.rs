//! A live run's sign of life. A run left `running` without recorded activity for the stale
//! timeout is taken over by the next request for its id; a tenant whose sync takes longer than
//! that would make a live run look dead. So while tenants are syncing, the run's heartbeat is
//! written through the store every quarter of the timeout.
//!
//! The engine depends on no async runtime: it waits on its [`Clock`], whose wall-clock waits run
//! on a timer thread and whose virtual waits complete when a test advances time.

use std::time::Duration;

use tracing::{debug, warn};

use crate::clock::SharedClock;
use crate::store::SyncStore;

/// The run's clock: the injected start time (`SyncAllOptions::now_ms`, or the engine's clock)
/// advanced by the time elapsed on the engine's clock since, so every time the run records agrees
/// with its start.
#[derive(Debug, Clone)]
pub(super) struct RunClock {
    start_ms: u64,
    clock_at_start: u64,
    clock: SharedClock,
}

impl RunClock {
    pub(super) fn starting_at(start_ms: u64, clock: SharedClock) -> Self {
        Self {
            start_ms,
            clock_at_start: clock.now_ms(),
            clock,
        }
    }

    pub(super) fn now_ms(&self) -> u64 {
        let elapsed = self.clock.now_ms().saturating_sub(self.clock_at_start);
        self.start_ms.saturating_add(elapsed)
    }

    /// Waits `duration` on the engine's clock.
    async fn sleep(&self, duration: Duration) {
        self.clock.sleep(duration).await;
    }
}

/// How often a live run records activity for a stale timeout of `stale_after`: a quarter of it,
/// so three heartbeats may be late before the run could look dead.
pub(super) fn interval_for(stale_after: Duration) -> Duration {
    (stale_after / 4).max(MIN_INTERVAL)
}

/// The shortest heartbeat period, whatever the timeout.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Writes the run's heartbeat every `interval` until the future is dropped (the run finished)
/// or the store says the run is no longer running (then it stays pending, writing nothing).
pub(super) async fn beat<S: SyncStore + ?Sized>(
    store: &S,
    run_id: &str,
    clock: &RunClock,
    interval: Duration,
) {
    loop {
        clock.sleep(interval).await;
        match store.touch_run(run_id, clock.now_ms()).await {
            Ok(true) => debug!(run_id, "run heartbeat recorded"),
            Ok(false) => {
                warn!(
                    run_id,
                    "the run is no longer running in the store (taken over or ended elsewhere); heartbeats stop"
                );
                break;
            }
            Err(e) => warn!(
                run_id,
                code = e.code(),
                "could not record the run heartbeat"
            ),
        }
    }
    futures::future::pending::<()>().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heartbeat_is_a_quarter_of_the_stale_timeout() {
        assert_eq!(
            interval_for(Duration::from_secs(3600)),
            Duration::from_secs(900)
        );
        assert_eq!(interval_for(Duration::ZERO), MIN_INTERVAL);
    }

    #[test]
    fn the_run_clock_starts_at_the_injected_time_and_follows_the_engine_clock() {
        let engine_clock = std::sync::Arc::new(crate::clock::ManualClock::starting_at(5_000));
        let clock = RunClock::starting_at(1_700_000_000_000, engine_clock.clone());
        assert_eq!(clock.now_ms(), 1_700_000_000_000);
        engine_clock.advance(Duration::from_millis(1_234));
        assert_eq!(clock.now_ms(), 1_700_000_001_234);
    }
}
