use std::time::{Duration, SystemTime};

use rand::Rng;

/// Parses a `Retry-After` value: delta-seconds (`"2"`) or an HTTP date, relative to `now`.
/// A date in the past means "now" (zero); anything unparsable is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Full-jitter exponential backoff: a uniform draw from `0..=min(max, base * 2^attempt)`.
pub fn backoff_delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let ceiling = base
        .checked_mul(2u32.saturating_pow(attempt.min(30)))
        .unwrap_or(max)
        .min(max);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_dates_are_understood() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        for attempt in 0..40 {
            let d = backoff_delay(attempt, Duration::from_millis(100), Duration::from_secs(2));
            assert!(d <= Duration::from_secs(2));
            if attempt == 0 {
                assert!(d <= Duration::from_millis(100));
            }
        }
        assert_eq!(
            backoff_delay(3, Duration::ZERO, Duration::from_secs(1)),
            Duration::ZERO
        );
    }
}
