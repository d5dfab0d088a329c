//! A live run's sign of life. A run left `running` without recorded activity for the stale
//! timeout is taken over by the next request for its id; a tenant whose sync takes longer than
//! that would make a live run look dead. So while tenants are syncing, the run's heartbeat is
//! written through the store every quarter of the timeout.
//!
//! The core depends on no async runtime: the ticks come from a small timer thread that ends as
//! soon as the run does.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc as async_mpsc;
use tracing::{debug, warn};

use crate::store::SyncStore;

/// The run's clock: the injected start time (`SyncAllOptions::now_ms`, or the wall clock)
/// advanced by the monotonic time elapsed since, so heartbeats agree with the run's start.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunClock {
    start_ms: u64,
    started: Instant,
}

impl RunClock {
    pub(super) fn starting_at(start_ms: u64) -> Self {
        Self {
            start_ms,
            started: Instant::now(),
        }
    }

    pub(super) fn now_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.start_ms.saturating_add(elapsed)
    }
}

/// How often a live run records activity for a stale timeout of `stale_after`: a quarter of it,
/// so three heartbeats may be late before the run could look dead.
pub(super) fn interval_for(stale_after: Duration) -> Duration {
    (stale_after / 4).max(MIN_INTERVAL)
}

/// The shortest heartbeat period, whatever the timeout.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Ticks every `interval` until dropped.
struct Ticker {
    ticks: async_mpsc::UnboundedReceiver<()>,
    /// Dropping it wakes the timer thread, which then ends.
    _stop: mpsc::Sender<()>,
}

impl Ticker {
    fn every(interval: Duration) -> Option<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let (tick, ticks) = async_mpsc::unbounded();
        let spawned = std::thread::Builder::new()
            .name("entra-sync-heartbeat".into())
            .spawn(move || {
                // Ends when the ticker is dropped (the sender disconnects) or stops listening.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    if tick.unbounded_send(()).is_err() {
                        break;
                    }
                }
            });
        match spawned {
            Ok(_) => Some(Self { ticks, _stop: stop }),
            Err(e) => {
                warn!(error = %e, "could not start the run heartbeat timer");
                None
            }
        }
    }
}

/// Writes the run's heartbeat every `interval` until the future is dropped (the run finished)
/// or the store says the run is no longer running (then it stays pending, writing nothing).
pub(super) async fn beat<S: SyncStore + ?Sized>(
    store: &S,
    run_id: &str,
    clock: RunClock,
    interval: Duration,
) {
    if let Some(mut ticker) = Ticker::every(interval) {
        while ticker.ticks.next().await.is_some() {
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
    fn the_run_clock_starts_at_the_injected_time() {
        let clock = RunClock::starting_at(1_700_000_000_000);
        let now = clock.now_ms();
        assert!((1_700_000_000_000..1_700_000_600_000).contains(&now));
    }
}
