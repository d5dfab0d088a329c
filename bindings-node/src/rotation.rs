//! `onTokensRotated`: the host's callback that persists every new partner token set, as the
//! host layer's [`HostTokenCallback`] (`entra_providers::host::rotation`, shared with the Python
//! binding): a callback that throws or rejects is a failed persist, reported by the provider call
//! during which it happened (`token_persist_failed`) instead of being logged and forgotten while
//! the refresh token it should have saved is lost.
//!
//! The callback runs on the JavaScript thread and may return a Promise; the provider's worker
//! thread waits for it, since the token must be persisted before the provider goes on.

use entra_providers::host::HostTokenCallback;
use napi::bindgen_prelude::{Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use serde_json::Value;

/// The callback as the addon calls it: token-set JSON in, a Promise of `null` (persisted) or of
/// the name of the error that stopped the persist (`index.js` wraps the host's function so).
type Callback =
    ThreadsafeFunction<String, Promise<Option<String>>, String, napi::Status, false, true>;

/// The host's callback, queued to the JavaScript thread. It holds no reference on the event
/// loop, so a provider never keeps the process alive.
pub struct NodeTokenCallback {
    callback: Callback,
}

impl NodeTokenCallback {
    /// The callback over the host's function, if one was given.
    pub fn new(
        callback: Option<Function<'_, String, Promise<Option<String>>>>,
    ) -> napi::Result<Option<Self>> {
        let Some(callback) = callback else {
            return Ok(None);
        };
        let callback = callback
            .build_threadsafe_function::<String>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        Ok(Some(Self { callback }))
    }
}

impl HostTokenCallback for NodeTokenCallback {
    /// Only the error's name is reported: its message is the host's and may quote the very
    /// token it failed to write.
    fn persist(&self, tokens: &Value) -> Result<(), String> {
        let outcome = futures::executor::block_on(async {
            let promise = self
                .callback
                .call_async(tokens.to_string())
                .await
                .map_err(|e| {
                    format!("the onTokensRotated callback could not run ({})", e.status)
                })?;
            promise
                .await
                .map_err(|e| format!("the onTokensRotated callback failed ({})", e.status))
        })?;
        match outcome {
            None => Ok(()),
            Some(name) => Err(format!("the onTokensRotated callback threw {name}")),
        }
    }
}
