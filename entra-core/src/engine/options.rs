//! How a sync runs.

use std::fmt;

use crate::ids::{DEFAULT_BUCKET_SECONDS, RunTrigger};

use super::progress::{CancelToken, ProgressCallback};

/// Options of one tenant's sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Plan only: nothing at all is written (no contacts, links, queue items, delta links or runs).
    pub dry_run: bool,
    /// Read only the changes since the stored delta link when the provider supports it.
    pub use_delta: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            use_delta: true,
        }
    }
}

/// The default number of tenants synced at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Options of a run over every mapped tenant.
#[derive(Clone)]
pub struct SyncAllOptions {
    pub sync: SyncOptions,
    /// Tenants synced at once (at least 1).
    pub concurrency: usize,
    pub trigger: RunTrigger,
    /// A caller-chosen key: the same key is the same run. Without one, the time bucket decides.
    pub request_key: Option<String>,
    /// Width of the time bucket when no request key is given.
    pub bucket_seconds: u64,
    /// The run's start, in milliseconds since the epoch (defaults to the engine's clock); the
    /// times the run records afterwards advance from it as the engine's clock does.
    pub now_ms: Option<u64>,
    pub cancel: Option<CancelToken>,
    pub progress: Option<ProgressCallback>,
}

impl Default for SyncAllOptions {
    fn default() -> Self {
        Self {
            sync: SyncOptions::default(),
            concurrency: DEFAULT_CONCURRENCY,
            trigger: RunTrigger::Manual,
            request_key: None,
            bucket_seconds: DEFAULT_BUCKET_SECONDS,
            now_ms: None,
            cancel: None,
            progress: None,
        }
    }
}

impl fmt::Debug for SyncAllOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncAllOptions")
            .field("sync", &self.sync)
            .field("concurrency", &self.concurrency)
            .field("trigger", &self.trigger)
            .field("request_key", &self.request_key)
            .field("bucket_seconds", &self.bucket_seconds)
            .field("now_ms", &self.now_ms)
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}
