//! Virtual time: a clock that moves only when told to, so tests of timeouts and heartbeats run
//! instantly and deterministically.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::{Clock, Sleep};

/// A [`Clock`] that stands still until [`ManualClock::advance`] moves it; waits complete when
/// virtual time reaches their deadline, never on their own.
#[derive(Debug, Default)]
pub struct ManualClock {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    now_ms: u64,
    next_id: u64,
    /// Pending waits by id: their deadline and the task to wake when it is reached.
    sleeping: BTreeMap<u64, (u64, Option<Waker>)>,
}

impl ManualClock {
    /// A clock standing at `now_ms` (milliseconds since the Unix epoch).
    pub fn starting_at(now_ms: u64) -> Self {
        Self {
            state: Mutex::new(State {
                now_ms,
                ..State::default()
            }),
        }
    }

    /// Moves time forward by `by` and wakes every wait whose deadline is now reached.
    pub fn advance(&self, by: Duration) {
        let due: Vec<Waker> = {
            let mut state = self.lock();
            let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
            state.now_ms = state.now_ms.saturating_add(by);
            let now = state.now_ms;
            state
                .sleeping
                .values_mut()
                .filter(|(deadline, _)| *deadline <= now)
                .filter_map(|(_, waker)| waker.take())
                .collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    /// How many waits on this clock are pending (begun, neither complete nor dropped): a test
    /// advances time once the code under test is waiting.
    pub fn pending_sleeps(&self) -> usize {
        self.lock().sleeping.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent under every lock, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.lock().now_ms
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        let mut state = self.lock();
        let by = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let deadline = state.now_ms.saturating_add(by);
        let id = state.next_id;
        state.next_id += 1;
        state.sleeping.insert(id, (deadline, None));
        Box::pin(ManualSleep { clock: self, id })
    }
}

/// One pending wait on a [`ManualClock`].
struct ManualSleep<'a> {
    clock: &'a ManualClock,
    id: u64,
}

impl Future for ManualSleep<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.clock.lock();
        let now = state.now_ms;
        match state.sleeping.get_mut(&self.id) {
            Some((deadline, _)) if *deadline <= now => {
                state.sleeping.remove(&self.id);
                Poll::Ready(())
            }
            Some((_, waker)) => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl Drop for ManualSleep<'_> {
    fn drop(&mut self) {
        self.clock.lock().sleeping.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wait_completes_only_when_virtual_time_reaches_its_deadline() {
        let clock = ManualClock::starting_at(1_000);
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);

        let mut wait = clock.sleep(Duration::from_millis(500));
        assert_eq!(clock.pending_sleeps(), 1);
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        clock.advance(Duration::from_millis(499));
        assert_eq!(clock.now_ms(), 1_499);
        assert_eq!(counter.0.load(Ordering::SeqCst), 0, "not due yet");
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        clock.advance(Duration::from_millis(1));
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken at its deadline");
        assert!(wait.as_mut().poll(&mut cx).is_ready());
        assert_eq!(clock.pending_sleeps(), 0);

        let dropped = clock.sleep(Duration::from_secs(1));
        assert_eq!(clock.pending_sleeps(), 1);
        drop(dropped);
        assert_eq!(clock.pending_sleeps(), 0, "a dropped wait is forgotten");
    }
}
