//! `onTokensRotated`: the host's callback that persists every new partner token set. The
//! callback runs on the JavaScript thread and may be async; a callback that throws or rejects is
//! a failed persist, which fails the provider call that rotated the tokens
//! (`token_persist_failed`) instead of being logged and forgotten while the refresh token it
//! should have saved is lost.

use std::sync::Arc;

use async_trait::async_trait;
use entra_core::provider::{DynProvider, ProviderError, ProviderErrorCode};
use entra_providers::auth::{TokenRotationSink, TokenSet};
use napi::bindgen_prelude::{Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;

/// The callback as the addon calls it: token-set JSON in, a Promise of `null` (persisted) or of
/// the name of the error that stopped the persist (`index.js` wraps the host's function so).
type Callback =
    ThreadsafeFunction<String, Promise<Option<String>>, String, napi::Status, false, true>;

/// Hands each rotated token set to the host's callback.
struct NodeRotationSink {
    callback: Callback,
}

/// The failure the provider reports. Only the error's name is given: its message is the host's
/// and may quote the very token it failed to write.
fn persist_failed(reason: String) -> ProviderError {
    ProviderError::new(
        ProviderErrorCode::TokenPersistFailed,
        format!("the rotated tokens were not persisted: {reason}"),
    )
}

#[async_trait]
impl TokenRotationSink for NodeRotationSink {
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError> {
        let payload = entra_providers::host::token_set_json(tokens).to_string();
        let promise = self.callback.call_async(payload).await.map_err(|e| {
            persist_failed(format!(
                "the onTokensRotated callback could not run ({})",
                e.status
            ))
        })?;
        match promise.await {
            Ok(None) => Ok(()),
            Ok(Some(name)) => Err(persist_failed(format!(
                "the onTokensRotated callback threw {name}"
            ))),
            Err(e) => Err(persist_failed(format!(
                "the onTokensRotated callback failed ({})",
                e.status
            ))),
        }
    }
}

/// The rotation sink over the host's callback, if one was given. The callback holds no
/// reference on the event loop, so a provider never keeps the process alive.
pub fn sink(
    callback: Option<Function<'_, String, Promise<Option<String>>>>,
) -> napi::Result<Option<Arc<dyn TokenRotationSink>>> {
    let Some(callback) = callback else {
        return Ok(None);
    };
    let callback: Callback = callback
        .build_threadsafe_function::<String>()
        .weak::<true>()
        .callee_handled::<false>()
        .build()?;
    Ok(Some(Arc::new(NodeRotationSink { callback })))
}

/// The provider the engine and the listing calls run over.
pub fn provider(inner: Arc<entra_providers::graph::GraphProvider>) -> DynProvider {
    inner
}
