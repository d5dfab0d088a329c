//! How a sync runs.

use std::fmt;

use serde::Deserialize;

use crate::CoreError;
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

/// A run over every mapped tenant as a host asks for it, in the camelCase JSON every binding
/// shares: `{dryRun, useDelta, concurrency, trigger, requestKey, bucketSeconds}`, every key
/// optional (the defaults of [`SyncAllOptions`]), unknown keys refused. A binding that takes
/// the values as arguments fills the struct itself and checks it with [`RunRequest::into_options`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RunRequest {
    pub dry_run: bool,
    pub use_delta: bool,
    /// Tenants synced at once: at least 1.
    pub concurrency: usize,
    pub trigger: RunTrigger,
    pub request_key: Option<String>,
    pub bucket_seconds: u64,
}

impl Default for RunRequest {
    fn default() -> Self {
        let defaults = SyncAllOptions::default();
        Self {
            dry_run: defaults.sync.dry_run,
            use_delta: defaults.sync.use_delta,
            concurrency: defaults.concurrency,
            trigger: defaults.trigger,
            request_key: defaults.request_key,
            bucket_seconds: defaults.bucket_seconds,
        }
    }
}

impl RunRequest {
    /// Reads the JSON form; a wrong type or an unknown key is `invalid_input` naming the key.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, CoreError> {
        crate::json::from_value(value)
    }

    /// Sets the trigger from its name (`initial`, `manual`, `scheduled`); another name is
    /// `invalid_input` naming the `trigger` argument.
    pub fn with_trigger_name(mut self, name: &str) -> Result<Self, CoreError> {
        self.trigger = name.parse().map_err(|e: CoreError| {
            CoreError::invalid_input(format!("`trigger`: {}", message_of(&e)))
        })?;
        Ok(self)
    }

    /// The engine's options, without cancellation or progress (the binding adds its own).
    /// A concurrency of 0 is `invalid_input`.
    pub fn into_options(self) -> Result<SyncAllOptions, CoreError> {
        if self.concurrency == 0 {
            return Err(CoreError::invalid_input("`concurrency` must be at least 1"));
        }
        Ok(SyncAllOptions {
            sync: SyncOptions {
                dry_run: self.dry_run,
                use_delta: self.use_delta,
            },
            concurrency: self.concurrency,
            trigger: self.trigger,
            request_key: self.request_key,
            bucket_seconds: self.bucket_seconds,
            ..SyncAllOptions::default()
        })
    }
}

impl SyncAllOptions {
    /// The options of a run from its JSON form ([`RunRequest`]).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, CoreError> {
        RunRequest::from_json(value)?.into_options()
    }
}

/// The message of an `invalid_input` error without its `invalid input: ` prefix.
fn message_of(err: &CoreError) -> String {
    match err {
        CoreError::InvalidInput { message } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_run_request_has_the_engine_defaults() -> Result<(), CoreError> {
        let options = SyncAllOptions::from_json(&json!({}))?;
        let defaults = SyncAllOptions::default();
        assert_eq!(options.sync, defaults.sync);
        assert_eq!(options.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(options.trigger, RunTrigger::Manual);
        assert_eq!(options.request_key, None);
        assert_eq!(options.bucket_seconds, DEFAULT_BUCKET_SECONDS);
        assert!(options.cancel.is_none() && options.progress.is_none());
        Ok(())
    }

    #[test]
    fn a_run_request_reads_every_key() -> Result<(), CoreError> {
        let options = SyncAllOptions::from_json(&json!({
            "dryRun": true,
            "useDelta": false,
            "concurrency": 2,
            "trigger": "scheduled",
            "requestKey": "nightly",
            "bucketSeconds": 60,
        }))?;
        assert_eq!(
            options.sync,
            SyncOptions {
                dry_run: true,
                use_delta: false
            }
        );
        assert_eq!(options.concurrency, 2);
        assert_eq!(options.trigger, RunTrigger::Scheduled);
        assert_eq!(options.request_key.as_deref(), Some("nightly"));
        assert_eq!(options.bucket_seconds, 60);
        Ok(())
    }

    #[test]
    fn bad_run_requests_are_invalid_input_naming_the_field() {
        // (request, text the message must name)
        let cases = [
            (json!({"concurrency": 0}), "concurrency"),
            (json!({"concurrency": -1}), "concurrency"),
            (json!({"trigger": "hourly"}), "trigger"),
            (json!({"dry_run": true}), "dry_run"),
            (json!({"bucketSeconds": "5m"}), "bucketSeconds"),
        ];
        for (request, named) in cases {
            match SyncAllOptions::from_json(&request) {
                Ok(_) => panic!("accepted {request}"),
                Err(e) => {
                    assert_eq!(e.code(), "invalid_input", "{request}");
                    assert!(e.to_string().contains(named), "{request}: {e}");
                }
            }
        }
    }

    #[test]
    fn a_trigger_name_is_parsed_naming_the_argument() -> Result<(), CoreError> {
        let request = RunRequest::default().with_trigger_name("initial")?;
        assert_eq!(request.trigger, RunTrigger::Initial);
        let err = RunRequest::default().with_trigger_name("hourly").err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("`trigger`") && message.contains("hourly"),
            "{message}"
        );
        Ok(())
    }
}
