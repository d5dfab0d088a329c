//! `on_tokens_rotated`: the host's callback that persists every new partner token set. A
//! callback that raises, or that cannot run because the interpreter is exiting, is a failed
//! persist: the call during which it happened fails with that error, instead of the exception
//! being printed and forgotten while the refresh token it should have saved is lost.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use entra_core::model::ConnectionType;
use entra_core::provider::{
    DeltaListing, EntraProvider, ProviderError, ProviderErrorCode, TenantListing, UserListing,
};
use entra_providers::auth::{TokenRotationSink, TokenSet};
use pyo3::prelude::*;

use crate::{convert, runtime};

/// Persist failures not yet reported, shared by a provider's sink and its calls: the provider
/// may carry on after a failed persist, so each of its calls checks here once it completes.
#[derive(Clone, Default)]
pub struct RotationFailures(Arc<Mutex<Option<ProviderError>>>);

impl RotationFailures {
    fn record(&self, err: ProviderError) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(err);
    }

    /// A call's result, unless a persist failed meanwhile: then that failure, reported once.
    /// A call that failed anyway keeps its own error.
    pub fn surface<T>(&self, result: Result<T, ProviderError>) -> Result<T, ProviderError> {
        let failure = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        match (result, failure) {
            (Ok(_), Some(failure)) => Err(failure),
            (result, _) => result,
        }
    }
}

/// A provider whose calls report the persist failures of its rotation sink: the engine and the
/// listing calls run over it, so no failed persist goes unreported whichever call it happens in.
pub struct SurfaceRotationFailures<P: ?Sized> {
    failures: RotationFailures,
    inner: Arc<P>,
}

impl<P: ?Sized> SurfaceRotationFailures<P> {
    pub fn new(inner: Arc<P>, failures: RotationFailures) -> Self {
        Self { failures, inner }
    }
}

#[async_trait]
impl<P: EntraProvider + ?Sized> EntraProvider for SurfaceRotationFailures<P> {
    fn connection_type(&self) -> ConnectionType {
        self.inner.connection_type()
    }

    async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
        self.failures
            .surface(self.inner.list_managed_tenants().await)
    }

    async fn list_users(&self, entra_tenant_id: &str) -> Result<UserListing, ProviderError> {
        self.failures
            .surface(self.inner.list_users(entra_tenant_id).await)
    }

    fn supports_delta(&self) -> bool {
        self.inner.supports_delta()
    }

    async fn list_users_delta(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<DeltaListing, ProviderError> {
        let listing = self
            .inner
            .list_users_delta(entra_tenant_id, delta_link)
            .await;
        self.failures.surface(listing)
    }
}

/// Hands each rotated token set to a Python callable.
pub struct PythonRotationSink {
    callback: Py<PyAny>,
    failures: RotationFailures,
}

impl PythonRotationSink {
    pub fn new(callback: Py<PyAny>, failures: RotationFailures) -> Self {
        Self { callback, failures }
    }
}

/// The failure the provider reports. Only the exception's type is named: its message is the
/// host's and may quote the very token it failed to write.
fn persist_failed(reason: String) -> ProviderError {
    ProviderError::new(
        ProviderErrorCode::TokenPersistFailed,
        format!("the rotated tokens were not persisted: {reason}"),
    )
}

#[async_trait]
impl TokenRotationSink for PythonRotationSink {
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError> {
        let payload = entra_providers::host::token_set_json(tokens);
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
        let outcome = outcome
            .unwrap_or_else(|| Err(persist_failed("the interpreter is exiting".to_string())));
        if let Err(err) = &outcome {
            self.failures.record(err.clone());
        }
        outcome
    }
}
