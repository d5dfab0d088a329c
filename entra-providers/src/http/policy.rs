use std::time::Duration;

/// Timeouts and retry budget of an [`HttpClient`](super::HttpClient).
///
/// The defaults suit Microsoft Graph and the login endpoint; CIPP pages whole tenants inside one
/// call, so it needs [`HttpPolicy::for_cipp`]. Tests shrink the delays to keep suites fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    /// How long to wait for a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// How long one request may take, body included.
    pub request_timeout: Duration,
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// The first backoff step; step `n` is drawn from `0..=min(max_delay, base_delay * 2^n)`.
    pub base_delay: Duration,
    /// The largest single backoff step (a longer `Retry-After` is still honoured, within the cap).
    pub max_delay: Duration,
    /// The most time spent sleeping between attempts of one request; a `Retry-After` that would
    /// exceed it ends the retries and the last answer is returned.
    pub max_total_wait: Duration,
    /// The most pages one listing may follow before it is treated as a paging loop.
    pub max_pages: usize,
    /// Whether 502 Bad Gateway is retried too (gateways in front of CIPP produce it).
    pub retry_bad_gateway: bool,
    /// The largest answer body read, in bytes; a larger one is a `response_too_large` error
    /// (the body is streamed and reading stops at the cap). Default 32 MiB: a Graph page of 999
    /// users with every selected property is well under 4 MiB.
    pub max_body_bytes: u64,
    /// The most time one listing (every page of one tenant's users, or of a discovery source)
    /// may take, retries and token refreshes included. Past it the listing stops with
    /// `listing_deadline_exceeded`: an error before the first page, otherwise an incomplete
    /// listing. Default 30 minutes: a 300,000-user tenant at Graph's pace fits comfortably.
    pub listing_deadline: Duration,
    /// The shortest wait before a retry that `Retry-After` asked for; `Retry-After: 0` (or a date
    /// in the past) would otherwise retry a throttled call at once. Default 1 second.
    pub min_retry_after: Duration,
}

/// Whether a request may be sent again once it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resend {
    /// Retry throttling, gateway errors, connection failures and timeouts (idempotent reads).
    #[default]
    Allowed,
    /// Retry only when the connection could not be opened, so the request never left; an
    /// answer of any status, a timeout or a broken connection is final. For requests that
    /// spend something single-use, such as an authorization code.
    NeverAfterSend,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(120),
            max_pages: 10_000,
            retry_bad_gateway: false,
            max_body_bytes: 32 * 1024 * 1024,
            listing_deadline: Duration::from_secs(30 * 60),
            min_retry_after: Duration::from_secs(1),
        }
    }
}

impl HttpPolicy {
    /// CIPP answers after paging a tenant server-side (Azure cuts responses at 230 s), so
    /// requests get 180 s and gateway errors are retried.
    pub fn for_cipp() -> Self {
        Self {
            request_timeout: Duration::from_secs(180),
            retry_bad_gateway: true,
            ..Self::default()
        }
    }

    /// A policy with tiny delays, for tests against local servers.
    pub fn fast_for_tests() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            max_retries: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(3),
            max_pages: 1_000,
            retry_bad_gateway: false,
            max_body_bytes: 32 * 1024 * 1024,
            listing_deadline: Duration::from_secs(120),
            min_retry_after: Duration::from_millis(1),
        }
    }

    /// Whether an answer with this status may be retried.
    pub fn is_retryable_status(&self, status: u16) -> bool {
        matches!(status, 429 | 503 | 504) || (self.retry_bad_gateway && status == 502)
    }
}
