//! `GraphProvider` and `CippProvider`: one native `Provider` handle per provider, built from the
//! JSON settings by the host layer (`entra_providers::host`); `index.js` wraps it in the two
//! classes. Listing calls return Promises of JSON text; upstream failures reject with the
//! matching `EntraSyncError` subclass and `details` (status, request id, ...).

use std::sync::Arc;

use entra_core::provider::{DynProvider, EntraProvider, ProviderError};
use entra_providers::host::{self, HostError};
use napi::Env;
use napi::bindgen_prelude::{Function, Promise, PromiseRaw};
use napi_derive::napi;

use crate::errors;
use crate::pure::parse;
use crate::rotation::NodeTokenCallback;
use crate::runtime::{self, json_promise};

fn provider_err(err: ProviderError) -> napi::Error {
    errors::error(&err)
}

/// A host-layer failure converts as the error it wraps (malformed settings are `invalid_input`,
/// unusable ones the provider's, a refused OAuth state `state_*`).
pub fn host_error(err: &HostError) -> napi::Error {
    errors::error(err)
}

/// The concrete provider, for the calls only one kind has (`validate`).
enum Concrete {
    Graph(Arc<entra_providers::graph::GraphProvider>),
    Cipp(Arc<entra_providers::cipp::CippProvider>),
}

/// A provider as the engine sees it, plus its concrete kind.
#[napi]
pub struct Provider {
    pub(crate) provider: DynProvider,
    concrete: Concrete,
}

#[napi]
impl Provider {
    /// Microsoft Graph with the MSP's partner (GDAP) access, from the JSON of its settings.
    /// `onTokensRotated(tokensJson)` is called with every new token set and returns a Promise
    /// of `null` once persisted, or of the name of the error that stopped it; a failed persist
    /// fails the provider call during which it happened.
    #[napi(factory)]
    pub fn graph(
        settings: String,
        #[napi(ts_arg_type = "((tokens: string) => Promise<string | null>) | undefined | null")]
        on_tokens_rotated: Option<Function<'_, String, Promise<Option<String>>>>,
    ) -> napi::Result<Self> {
        errors::guard(|| {
            let settings = parse(&settings, "settings")?;
            let callback = NodeTokenCallback::new(on_tokens_rotated)?;
            let built = host::graph_provider_with_callback(&settings, callback)
                .map_err(|e| host_error(&e))?;
            Ok(Self {
                provider: built.provider,
                concrete: Concrete::Graph(built.graph),
            })
        })
    }

    /// The CIPP API, from the JSON of its settings.
    #[napi(factory)]
    pub fn cipp(settings: String) -> napi::Result<Self> {
        errors::guard(|| {
            let settings = parse(&settings, "settings")?;
            let inner =
                Arc::new(host::cipp_provider_from_json(&settings).map_err(|e| host_error(&e))?);
            Ok(Self {
                provider: inner.clone(),
                concrete: Concrete::Cipp(inner),
            })
        })
    }

    /// `"direct"` (Graph) or `"cipp"`.
    #[napi(getter)]
    pub fn connection_type(&self) -> &'static str {
        self.provider.connection_type().as_str()
    }

    /// Whether `listUsersDelta` is served (Graph) or rejects with `unsupported` (CIPP).
    #[napi(getter)]
    pub fn supports_delta(&self) -> bool {
        self.provider.supports_delta()
    }

    /// The customer tenants (Promise of `TenantListing` JSON).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn list_managed_tenants<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let provider = self.provider.clone();
        json_promise(
            env,
            async move { provider.list_managed_tenants().await },
            provider_err,
        )
    }

    /// Every user of one tenant (Promise of `UserListing` JSON).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn list_users<'e>(
        &self,
        env: &'e Env,
        tenant_id: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let provider = self.provider.clone();
        json_promise(
            env,
            async move { provider.list_users(&tenant_id).await },
            provider_err,
        )
    }

    /// Users changed since `deltaLink` (none: a full enumeration ending in a delta link).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn list_users_delta<'e>(
        &self,
        env: &'e Env,
        tenant_id: String,
        delta_link: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let provider = self.provider.clone();
        json_promise(
            env,
            async move {
                provider
                    .list_users_delta(&tenant_id, delta_link.as_deref())
                    .await
            },
            provider_err,
        )
    }

    /// Checks the connection step by step (Promise of `ValidationReport` JSON); `probeTenant`
    /// is the tenant whose users CIPP reads (Graph ignores it).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn validate<'e>(
        &self,
        env: &'e Env,
        probe_tenant: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        match &self.concrete {
            Concrete::Graph(inner) => {
                let inner = inner.clone();
                runtime::spawn(env, async move {
                    runtime::to_json(&inner.validate_direct_connection().await)
                })
            }
            Concrete::Cipp(inner) => {
                let inner = inner.clone();
                runtime::spawn(env, async move {
                    runtime::to_json(&inner.validate(probe_tenant.as_deref()).await)
                })
            }
        }
    }
}
