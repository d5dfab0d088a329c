//! Time, as the engine and the stores see it: a [`Clock`] they are given rather than the system
//! time they would read, so the same code runs on the wall clock in production and on virtual
//! time ([`ManualClock`]) in tests; plus civil-date formatting without a date crate.
//!
//! Everything here is pure except `WallClock` (feature `wall-clock`), the one place the crate
//! reads the system time or starts a timer thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

mod manual;
#[cfg(feature = "wall-clock")]
mod wall;

pub use manual::ManualClock;
#[cfg(feature = "wall-clock")]
pub use wall::{WallClock, now_ms, unix_now};

/// A wait on a [`Clock`]: completes once the duration has passed on that clock; dropping it
/// cancels the wait.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A shared clock, as the engine and the stores hold it.
pub type SharedClock = Arc<dyn Clock>;

/// The time source of the engine and the stores: what time it is, and how to wait. Injected so
/// that tests run on virtual time and a host can supply its own (a workflow runtime's
/// deterministic clock, say). Waiting must not depend on any particular async runtime.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;

    /// Completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

/// `ms` as an RFC 3339 UTC timestamp with millisecond precision, e.g. `2026-11-22T02:15:39.000Z`.
pub fn rfc3339(ms: u64) -> String {
    let (y, m, d, hh, mm, ss) = civil_time(ms / 1000);
    format!(
        "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:03}Z",
        ms % 1000
    )
}

/// Seconds since the Unix epoch to UTC (year, month, day, hour, minute, second).
pub fn civil_time(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = u32::try_from(secs % 86_400).unwrap_or(0);
    let (year, month, day) = civil_from_days(days);
    (year, month, day, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_795_313_739_000), "2026-11-22T02:15:39.000Z");
    }
}
