//! Persisting rotated partner tokens through a host's callback. Refresh tokens rotate on every
//! use, so a failed persist loses the connection: a callback that fails (raises, rejects, cannot
//! run because the host is shutting down) makes the provider call during which it happened
//! fail with `token_persist_failed`, once, instead of being logged and forgotten.
//!
//! A binding supplies only the call itself ([`HostTokenCallback`]: hand the token-set JSON to
//! the host's function, return `Ok` or a short reason) and builds the provider with
//! [`graph_provider_with_callback`].

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use entra_core::model::ConnectionType;
use entra_core::provider::{
    DeltaListing, DynProvider, EntraProvider, ProviderError, ProviderErrorCode, TenantListing,
    UserListing,
};
use serde_json::Value;

use super::{HostError, graph_provider_from_json, token_set_json};
use crate::auth::{TokenRotationSink, TokenSet};
use crate::graph::GraphProvider;

/// The `token_persist_failed` error of a rotated token set the host did not persist. `reason`
/// is the binding's short account (e.g. which exception type the callback raised): never the
/// host's own message, which may quote the very token it failed to write.
pub fn persist_failed(reason: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(
        ProviderErrorCode::TokenPersistFailed,
        format!("the rotated tokens were not persisted: {reason}"),
    )
}

/// Persist failures not yet reported, shared by a provider's sink and its calls: the provider
/// may carry on after a failed persist, so each of its calls checks here once it completes.
#[derive(Clone, Default)]
pub struct RotationFailures(Arc<Mutex<Option<ProviderError>>>);

impl RotationFailures {
    /// Remembers a failed persist until the next call completes.
    pub fn record(&self, err: ProviderError) {
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

/// The host's persist function: called with the token-set JSON (`{accessToken, refreshToken,
/// expiresAt, scope}`, see [`token_set_json`]) on the provider's worker thread; returns `Err`
/// with a short reason when the host did not persist it. Any `Fn(&Value) -> Result<(), String>`
/// is one.
pub trait HostTokenCallback: Send + Sync + 'static {
    fn persist(&self, tokens: &Value) -> Result<(), String>;
}

impl<F> HostTokenCallback for F
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
{
    fn persist(&self, tokens: &Value) -> Result<(), String> {
        self(tokens)
    }
}

/// A rotation sink over a host callback: each rotated token set goes to the callback as JSON,
/// and a failure is both returned (the token manager logs it) and recorded in `failures` (the
/// provider's next completed call reports it).
pub struct HostCallbackSink<F> {
    callback: F,
    failures: RotationFailures,
}

impl<F: HostTokenCallback> HostCallbackSink<F> {
    pub fn new(callback: F, failures: RotationFailures) -> Self {
        Self { callback, failures }
    }
}

#[async_trait]
impl<F: HostTokenCallback> TokenRotationSink for HostCallbackSink<F> {
    async fn tokens_rotated(&self, tokens: &TokenSet) -> Result<(), ProviderError> {
        let outcome = self
            .callback
            .persist(&token_set_json(tokens))
            .map_err(persist_failed);
        if let Err(err) = &outcome {
            self.failures.record(err.clone());
        }
        outcome
    }
}

/// A Graph provider built for a host: the provider itself (for `validate`) and the provider
/// the host's listing calls and engines run over, which reports failed persists.
pub struct HostGraphProvider {
    pub graph: Arc<GraphProvider>,
    pub provider: DynProvider,
}

/// Builds the Graph provider from its JSON settings, with `callback` (if any) persisting every
/// rotated partner token set; a failed persist is reported by the provider call during which it
/// happened.
pub fn graph_provider_with_callback<F: HostTokenCallback>(
    settings: &Value,
    callback: Option<F>,
) -> Result<HostGraphProvider, HostError> {
    let failures = RotationFailures::default();
    let sink = callback.map(|callback| {
        Arc::new(HostCallbackSink::new(callback, failures.clone())) as Arc<dyn TokenRotationSink>
    });
    let graph = Arc::new(graph_provider_from_json(settings, sink)?);
    let provider = Arc::new(SurfaceRotationFailures::new(graph.clone(), failures));
    Ok(HostGraphProvider { graph, provider })
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_core::model::ManagedTenant;
    use serde_json::json;

    fn upstream() -> ProviderError {
        ProviderError::new(ProviderErrorCode::UpstreamUnavailable, "down")
    }

    #[test]
    fn a_recorded_persist_failure_fails_the_next_successful_call_once() {
        let failures = RotationFailures::default();
        failures.record(persist_failed("the callback raised OSError"));
        let first = failures.surface(Ok(1)).map_err(|e| e.code());
        assert_eq!(first, Err("token_persist_failed"));
        assert_eq!(failures.surface(Ok(2)).map_err(|e| e.code()), Ok(2));
    }

    #[test]
    fn a_call_that_failed_anyway_keeps_its_own_error() {
        let failures = RotationFailures::default();
        failures.record(persist_failed("x"));
        let result: Result<(), _> = failures.surface(Err(upstream()));
        assert_eq!(result.map_err(|e| e.code()), Err("upstream_unavailable"));
        // The persist failure was consumed with it: it is not reported twice.
        assert_eq!(failures.surface(Ok(())).map_err(|e| e.code()), Ok(()));
    }

    #[test]
    fn persist_failed_names_the_reason_and_is_an_auth_error() {
        let err = persist_failed("the interpreter is exiting");
        assert_eq!(err.code(), "token_persist_failed");
        assert_eq!(err.kind(), entra_core::ErrorKind::Auth);
        assert!(
            err.to_string().contains("the interpreter is exiting"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_callback_sink_hands_over_the_token_json_and_records_a_refusal() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let failures = RotationFailures::default();
        let sink = HostCallbackSink::new(
            move |tokens: &Value| {
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(tokens.clone());
                if tokens["refreshToken"] == "bad" {
                    Err("the callback raised ValueError".to_string())
                } else {
                    Ok(())
                }
            },
            failures.clone(),
        );
        let good = TokenSet::from_refresh_token(crate::secrets::Secret::new("rt"));
        assert!(sink.tokens_rotated(&good).await.is_ok());
        assert_eq!(failures.surface(Ok(())).map_err(|e| e.code()), Ok(()));
        let bad = TokenSet::from_refresh_token(crate::secrets::Secret::new("bad"));
        let refused = sink.tokens_rotated(&bad).await.map_err(|e| e.to_string());
        assert!(
            refused
                .as_ref()
                .is_err_and(|m| m.contains("ValueError") && !m.contains("bad")),
            "{refused:?}"
        );
        assert_eq!(
            failures.surface(Ok(())).map_err(|e| e.code()),
            Err("token_persist_failed")
        );
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(seen[0], token_set_json(&good));
        assert_eq!(seen.len(), 2);
    }

    type PlainCallback = fn(&Value) -> Result<(), String>;

    /// A provider whose listing succeeds after "rotating" tokens through a sink that fails.
    struct RotatesOnList {
        sink: HostCallbackSink<PlainCallback>,
    }

    #[async_trait]
    impl EntraProvider for RotatesOnList {
        fn connection_type(&self) -> ConnectionType {
            ConnectionType::Direct
        }
        async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
            let tokens = TokenSet::from_refresh_token(crate::secrets::Secret::new("rt"));
            let _logged_by_the_manager = self.sink.tokens_rotated(&tokens).await;
            Ok(TenantListing {
                tenants: Vec::<ManagedTenant>::new(),
                complete: true,
                warnings: Vec::new(),
            })
        }
        async fn list_users(&self, _: &str) -> Result<UserListing, ProviderError> {
            Err(upstream())
        }
    }

    #[tokio::test]
    async fn a_provider_call_during_which_a_persist_failed_reports_it() {
        fn refuse(_: &Value) -> Result<(), String> {
            Err("the callback raised OSError".to_string())
        }
        let failures = RotationFailures::default();
        let inner = Arc::new(RotatesOnList {
            sink: HostCallbackSink::new(refuse as PlainCallback, failures.clone()),
        });
        let provider = SurfaceRotationFailures::new(inner, failures);
        let listed = provider.list_managed_tenants().await.map(drop);
        assert_eq!(listed.map_err(|e| e.code()), Err("token_persist_failed"));
        assert!(!provider.supports_delta());
    }

    #[test]
    fn a_graph_provider_for_a_host_refuses_bad_settings_with_their_codes() {
        let cb = |_: &Value| Ok(());
        let err = graph_provider_with_callback(&json!({"clientId": "x"}), Some(cb)).err();
        assert_eq!(err.map(|e| e.code()), Some("invalid_input"));
    }
}
