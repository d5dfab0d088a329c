//! The system's clock: the only place the crate reads the system time or starts a thread.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use std::{future::Future, pin::Pin};

use super::{Clock, Sleep};

/// Milliseconds since the Unix epoch on the system clock (0 if the clock is before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Seconds since the Unix epoch on the system clock (0 if the clock is before it).
pub fn unix_now() -> u64 {
    now_ms() / 1000
}

/// The system clock, the default of the engine and the stores. Its waits run on a small timer
/// thread each (they are rare: a run's heartbeat), so they work under any async runtime or none;
/// a dropped wait wakes and ends its thread at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock;

impl WallClock {
    /// The wall clock as the engine and the stores share it.
    pub fn shared() -> super::SharedClock {
        Arc::new(Self)
    }
}

impl Clock for WallClock {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(ThreadSleep::start(duration))
    }
}

#[derive(Debug, Default)]
struct Shared {
    done: bool,
    waker: Option<Waker>,
}

/// A wait timed by its own thread.
struct ThreadSleep {
    shared: Arc<Mutex<Shared>>,
    /// Dropping it wakes the timer thread, which then ends.
    _stop: Option<mpsc::Sender<()>>,
}

impl ThreadSleep {
    fn start(duration: Duration) -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (stop, stopped) = mpsc::channel::<()>();
        let timer = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("entra-sync-timer".into())
            .spawn(move || {
                if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(duration) {
                    let mut state = timer.lock().unwrap_or_else(PoisonError::into_inner);
                    state.done = true;
                    if let Some(waker) = state.waker.take() {
                        waker.wake();
                    }
                }
            });
        match spawned {
            Ok(_) => Self {
                shared,
                _stop: Some(stop),
            },
            Err(e) => {
                // Without a timer the wait never completes: a heartbeat stops rather than spins.
                tracing::warn!(error = %e, "could not start a timer thread");
                Self {
                    shared,
                    _stop: None,
                }
            }
        }
    }
}

impl Future for ThreadSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if state.done {
            Poll::Ready(())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
