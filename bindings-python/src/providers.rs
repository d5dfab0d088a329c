//! `GraphProvider` and `CippProvider`: async methods that return asyncio awaitables, running on
//! the package's tokio runtime. Results are plain dicts in the contract shape; upstream failures
//! raise the matching `EntraSyncError` subclass with `.details` (status, request id, ...).

use std::sync::Arc;

use async_trait::async_trait;
use entra_core::model::ConnectionType;
use entra_core::provider::{
    DeltaListing, EntraProvider, ProviderError, TenantListing, UserListing,
};
use pyo3::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::convert::JsonOut;
use crate::errors;
use crate::rotation::{PythonRotationSink, RotationFailures};
use crate::{logging, pure, runtime, settings};

/// Serializes a result record; the records are plain data, so failure means a bug.
pub fn to_json<T: Serialize>(value: &T) -> PyResult<Value> {
    serde_json::to_value(value).map_err(|e| errors::internal(format!("cannot serialize: {e}")))
}

fn provider_err(err: ProviderError) -> PyErr {
    Python::attach(|py| errors::provider_error(py, &err))
}

/// Reads a settings dict into its typed form; a bad dict is `invalid_input` naming the field.
fn read_settings<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    settings: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let value = pure::json_arg(py, settings, "settings")?;
    entra_core::json::from_value(&value).map_err(|e| errors::core_error(py, &e))
}

/// Either provider, so the engine can run over whichever the host built.
#[derive(Clone)]
pub enum AnyProvider {
    /// With the failures of its `on_tokens_rotated` callback, reported by the calls.
    Graph(Arc<entra_providers::graph::GraphProvider>, RotationFailures),
    Cipp(Arc<entra_providers::cipp::CippProvider>),
}

#[async_trait]
impl EntraProvider for AnyProvider {
    fn connection_type(&self) -> ConnectionType {
        match self {
            AnyProvider::Graph(p, _) => p.connection_type(),
            AnyProvider::Cipp(p) => p.connection_type(),
        }
    }

    async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
        match self {
            AnyProvider::Graph(p, f) => f.surface(p.list_managed_tenants().await),
            AnyProvider::Cipp(p) => p.list_managed_tenants().await,
        }
    }

    async fn list_users(&self, entra_tenant_id: &str) -> Result<UserListing, ProviderError> {
        match self {
            AnyProvider::Graph(p, f) => f.surface(p.list_users(entra_tenant_id).await),
            AnyProvider::Cipp(p) => p.list_users(entra_tenant_id).await,
        }
    }

    fn supports_delta(&self) -> bool {
        match self {
            AnyProvider::Graph(p, _) => p.supports_delta(),
            AnyProvider::Cipp(p) => p.supports_delta(),
        }
    }

    async fn list_users_delta(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<DeltaListing, ProviderError> {
        match self {
            AnyProvider::Graph(p, f) => {
                f.surface(p.list_users_delta(entra_tenant_id, delta_link).await)
            }
            AnyProvider::Cipp(p) => p.list_users_delta(entra_tenant_id, delta_link).await,
        }
    }
}

fn connection_name(kind: ConnectionType) -> &'static str {
    match kind {
        ConnectionType::Direct => "direct",
        ConnectionType::Cipp => "cipp",
    }
}

/// The three listing calls shared by both providers, as awaitables.
fn list_tenants_py<'py>(py: Python<'py>, provider: AnyProvider) -> PyResult<Bound<'py, PyAny>> {
    logging::refresh(py);
    runtime::spawn_awaitable(py, async move {
        let listing = provider
            .list_managed_tenants()
            .await
            .map_err(provider_err)?;
        Ok(JsonOut(to_json(&listing)?))
    })
}

fn list_users_py<'py>(
    py: Python<'py>,
    provider: AnyProvider,
    tenant_id: String,
) -> PyResult<Bound<'py, PyAny>> {
    logging::refresh(py);
    runtime::spawn_awaitable(py, async move {
        let listing = provider
            .list_users(&tenant_id)
            .await
            .map_err(provider_err)?;
        Ok(JsonOut(to_json(&listing)?))
    })
}

fn list_delta_py<'py>(
    py: Python<'py>,
    provider: AnyProvider,
    tenant_id: String,
    delta_link: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    logging::refresh(py);
    runtime::spawn_awaitable(py, async move {
        let listing = provider
            .list_users_delta(&tenant_id, delta_link.as_deref())
            .await
            .map_err(provider_err)?;
        Ok(JsonOut(to_json(&listing)?))
    })
}

/// Microsoft Graph with the MSP's partner (GDAP) access.
///
/// `settings`: `clientId`, `clientSecret`, `partnerTenantId`, `refreshToken` (or `accessToken`
/// + `expiresAt`), optional `cloud`, `loginBase`, `graphBase`, `customerGrant`,
/// `includeDomains`, `enrichFromRelationships`, `includeLighthouse`, `customersPageSize`,
/// `usersPageSize`, `policy`. `on_tokens_rotated(tokens)` is called with every new token set.
#[pyclass(frozen, module = "entra_sync")]
pub struct GraphProvider {
    pub inner: Arc<entra_providers::graph::GraphProvider>,
    rotation_failures: RotationFailures,
}

impl GraphProvider {
    fn any(&self) -> AnyProvider {
        AnyProvider::Graph(self.inner.clone(), self.rotation_failures.clone())
    }
}

#[pymethods]
impl GraphProvider {
    #[new]
    #[pyo3(signature = (settings, on_tokens_rotated = None))]
    fn new(
        py: Python<'_>,
        settings: &Bound<'_, PyAny>,
        on_tokens_rotated: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        errors::guard(|| {
            let input: settings::GraphInput = read_settings(py, settings)?;
            let settings = input
                .into_settings()
                .map_err(|e| errors::provider_error(py, &e))?;
            let rotation_failures = RotationFailures::default();
            let built = match on_tokens_rotated {
                None => entra_providers::graph::GraphProvider::new(settings),
                Some(callback) => entra_providers::graph::GraphProvider::with_rotation_sink(
                    settings,
                    Arc::new(PythonRotationSink::new(callback, rotation_failures.clone())),
                ),
            };
            let inner = built.map_err(|e| errors::provider_error(py, &e))?;
            Ok(Self {
                inner: Arc::new(inner),
                rotation_failures,
            })
        })
    }

    /// `"direct"`.
    #[getter]
    fn connection_type(&self) -> &'static str {
        connection_name(self.inner.connection_type())
    }

    /// True: Graph supports delta queries.
    #[getter]
    fn supports_delta(&self) -> bool {
        self.inner.supports_delta()
    }

    /// The customer tenants (awaitable of `TenantListing`).
    fn list_managed_tenants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        list_tenants_py(py, self.any())
    }

    /// Every user of one tenant (awaitable of `UserListing`; `complete` is False when a page
    /// failed half-way, with `error` saying why).
    fn list_users<'py>(&self, py: Python<'py>, tenant_id: String) -> PyResult<Bound<'py, PyAny>> {
        list_users_py(py, self.any(), tenant_id)
    }

    /// Users changed since `delta_link` (None: a full enumeration ending in a delta link).
    #[pyo3(signature = (tenant_id, delta_link = None))]
    fn list_users_delta<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
        delta_link: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        list_delta_py(py, self.any(), tenant_id, delta_link)
    }

    /// Checks the connection step by step (awaitable of `{checks: [{name, ok, code, message}]}`).
    fn validate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh(py);
        let inner = self.inner.clone();
        runtime::spawn_awaitable(py, async move {
            let report = inner.validate_direct_connection().await;
            Ok(JsonOut(to_json(&report)?))
        })
    }

    fn __repr__(&self) -> String {
        "GraphProvider(...)".to_string()
    }
}

/// The CIPP API.
///
/// `settings`: `baseUrl`, and `tenantId` + `clientId` + `clientSecret` (or a legacy `apiToken`);
/// optional `loginBase`, `partnerTenantId`, `graphHost`, `pageSize`, `policy`.
#[pyclass(frozen, module = "entra_sync")]
pub struct CippProvider {
    pub inner: Arc<entra_providers::cipp::CippProvider>,
}

#[pymethods]
impl CippProvider {
    #[new]
    fn new(py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<Self> {
        errors::guard(|| {
            let input: settings::CippInput = read_settings(py, settings)?;
            let config = input
                .into_config()
                .map_err(|e| errors::provider_error(py, &e))?;
            let inner = entra_providers::cipp::CippProvider::new(config)
                .map_err(|e| errors::provider_error(py, &e))?;
            Ok(Self {
                inner: Arc::new(inner),
            })
        })
    }

    /// `"cipp"`.
    #[getter]
    fn connection_type(&self) -> &'static str {
        connection_name(self.inner.connection_type())
    }

    /// False: CIPP cannot serve delta queries.
    #[getter]
    fn supports_delta(&self) -> bool {
        self.inner.supports_delta()
    }

    /// The customer tenants (awaitable of `TenantListing`).
    fn list_managed_tenants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        list_tenants_py(py, AnyProvider::Cipp(self.inner.clone()))
    }

    /// Every user of one tenant (awaitable of `UserListing`).
    fn list_users<'py>(&self, py: Python<'py>, tenant_id: String) -> PyResult<Bound<'py, PyAny>> {
        list_users_py(py, AnyProvider::Cipp(self.inner.clone()), tenant_id)
    }

    /// Raises `Unsupported`: CIPP cannot serve delta queries.
    #[pyo3(signature = (tenant_id, delta_link = None))]
    fn list_users_delta<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
        delta_link: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        list_delta_py(
            py,
            AnyProvider::Cipp(self.inner.clone()),
            tenant_id,
            delta_link,
        )
    }

    /// Checks the connection step by step; `probe_tenant` is the tenant whose users are read.
    #[pyo3(signature = (probe_tenant = None))]
    fn validate<'py>(
        &self,
        py: Python<'py>,
        probe_tenant: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh(py);
        let inner = self.inner.clone();
        runtime::spawn_awaitable(py, async move {
            let report = inner.validate(probe_tenant.as_deref()).await;
            Ok(JsonOut(to_json(&report)?))
        })
    }

    fn __repr__(&self) -> String {
        "CippProvider(...)".to_string()
    }
}

/// The provider object behind a Python `GraphProvider` or `CippProvider`.
pub fn any_provider(provider: &Bound<'_, PyAny>) -> PyResult<AnyProvider> {
    if let Ok(graph) = provider.cast::<GraphProvider>() {
        return Ok(graph.get().any());
    }
    if let Ok(cipp) = provider.cast::<CippProvider>() {
        return Ok(AnyProvider::Cipp(cipp.get().inner.clone()));
    }
    Err(Python::attach(|py| {
        errors::invalid_input(py, "`provider` must be a GraphProvider or a CippProvider")
    }))
}

/// Registers the provider classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GraphProvider>()?;
    m.add_class::<CippProvider>()?;
    Ok(())
}
