//! `on_tokens_rotated`: the host's callback that persists every new partner token set. A
//! callback that raises, or that cannot run because the interpreter is exiting, is a failed
//! persist: the provider hears of it as an error (and reports it to its caller) instead of the
//! exception being printed and forgotten while the refresh token it should have saved is lost.

use async_trait::async_trait;
use entra_core::provider::{ProviderError, ProviderErrorCode};
use entra_providers::auth::{TokenRotationSink, TokenSet};
use pyo3::prelude::*;

use crate::{auth, convert, runtime};

/// Hands each rotated token set to a Python callable.
pub struct PythonRotationSink {
    callback: Py<PyAny>,
}

impl PythonRotationSink {
    pub fn new(callback: Py<PyAny>) -> Self {
        Self { callback }
    }
}

/// The failure the provider reports. Only the exception's type is named: its message is the
/// host's and may quote the very token it failed to write.
fn persist_failed(reason: String) -> ProviderError {
    ProviderError::new(
        ProviderErrorCode::Configuration,
        format!("the rotated tokens were not persisted: {reason}"),
    )
}

#[async_trait]
impl TokenRotationSink for PythonRotationSink {
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError> {
        let payload = auth::token_set_json(tokens);
        let outcome = runtime::attach(|py| {
            let called = convert::to_py(py, &payload)
                .and_then(|arg| self.callback.call1(py, (arg,)).map(drop));
            called.map_err(|err| {
                let kind = err
                    .get_type(py)
                    .qualname()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "an exception".to_string());
                persist_failed(format!("the on_tokens_rotated callback raised {kind}"))
            })
        });
        outcome.unwrap_or_else(|| Err(persist_failed("the interpreter is exiting".to_string())))
    }
}
