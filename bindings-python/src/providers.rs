//! `GraphProvider` and `CippProvider`: async methods that return asyncio awaitables, running on
//! the package's tokio runtime. Results are plain dicts in the contract shape; upstream failures
//! raise the matching `EntraSyncError` subclass with `.details` (status, request id, ...).

use std::sync::Arc;

use entra_core::provider::{DynProvider, EntraProvider};
use entra_providers::host::{self, HostError};
use pyo3::prelude::*;
use serde_json::Value;

use crate::errors;
use crate::{de, logging, rotation, runtime, ser};

/// A host-layer failure, as the error it wraps (malformed settings are `invalid_input`,
/// unusable ones the provider's, refused states `state_*`).
pub fn host_error(py: Python<'_>, err: &HostError) -> PyErr {
    errors::error(py, err)
}

/// What every provider class shares: the provider as the engine sees it, and the listing calls
/// as awaitables. `GraphProvider` and `CippProvider` extend it with their constructor and
/// `validate`; the engine takes any of them through this base.
#[pyclass(subclass, frozen, name = "_Provider", module = "entra_sync")]
pub struct Provider {
    pub provider: DynProvider,
}

#[pymethods]
impl Provider {
    /// `"direct"` (Graph) or `"cipp"`.
    #[getter]
    fn connection_type(&self) -> &'static str {
        self.provider.connection_type().as_str()
    }

    /// Whether `list_users_delta` is served (Graph) or raises `Unsupported` (CIPP).
    #[getter]
    fn supports_delta(&self) -> bool {
        self.provider.supports_delta()
    }

    /// The customer tenants (awaitable of `TenantListing`).
    fn list_managed_tenants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let provider = self.provider.clone();
        let call = async move { provider.list_managed_tenants().await };
        runtime::typed_awaitable(py, call)
    }

    /// Every user of one tenant (awaitable of `UserListing`; `complete` is False when a page
    /// failed half-way, with `error` saying why).
    fn list_users<'py>(&self, py: Python<'py>, tenant_id: String) -> PyResult<Bound<'py, PyAny>> {
        let provider = self.provider.clone();
        let call = async move { provider.list_users(&tenant_id).await };
        runtime::typed_awaitable(py, call)
    }

    /// Users changed since `delta_link` (None: a full enumeration ending in a delta link).
    #[pyo3(signature = (tenant_id, delta_link = None))]
    fn list_users_delta<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
        delta_link: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let provider = self.provider.clone();
        let call = async move {
            provider
                .list_users_delta(&tenant_id, delta_link.as_deref())
                .await
        };
        runtime::typed_awaitable(py, call)
    }
}

/// Microsoft Graph with the MSP's partner (GDAP) access.
///
/// `settings`: `clientId`, `clientSecret`, `partnerTenantId`, `refreshToken` (or `accessToken`
/// + `expiresAt`), optional `cloud`, `loginBase`, `graphBase`, `customerGrant`,
/// `includeDomains`, `includeContracts`, `includeUserCounts`, `enrichFromRelationships`,
/// `includeLighthouse`, `customersPageSize`,
/// `usersPageSize`, `policy`. `on_tokens_rotated(tokens)` is called with every new token set.
#[pyclass(extends = Provider, frozen, module = "entra_sync")]
pub struct GraphProvider {
    inner: Arc<entra_providers::graph::GraphProvider>,
}

#[pymethods]
impl GraphProvider {
    #[new]
    #[pyo3(signature = (settings, on_tokens_rotated = None))]
    fn new(
        py: Python<'_>,
        settings: &Bound<'_, PyAny>,
        on_tokens_rotated: Option<Py<PyAny>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        errors::guard(|| {
            let settings: Value = de::arg(py, settings, "settings")?;
            let callback = on_tokens_rotated.map(rotation::python_callback);
            // Engine and listing calls run over `provider`, which reports failed persists.
            let built = host::graph_provider_with_callback(&settings, callback)
                .map_err(|e| host_error(py, &e))?;
            let provider = Provider {
                provider: built.provider,
            };
            Ok(PyClassInitializer::from(provider).add_subclass(Self { inner: built.graph }))
        })
    }

    /// Checks the connection step by step (awaitable of `{checks: [{name, ok, code, message}]}`).
    fn validate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh(py);
        let inner = self.inner.clone();
        runtime::spawn_awaitable(py, async move {
            let report = inner.validate_direct_connection().await;
            Ok(ser::Out(report))
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
#[pyclass(extends = Provider, frozen, module = "entra_sync")]
pub struct CippProvider {
    inner: Arc<entra_providers::cipp::CippProvider>,
}

#[pymethods]
impl CippProvider {
    #[new]
    fn new(py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<PyClassInitializer<Self>> {
        errors::guard(|| {
            let settings: Value = de::arg(py, settings, "settings")?;
            let inner = host::cipp_provider_from_json(&settings).map_err(|e| host_error(py, &e))?;
            let inner = Arc::new(inner);
            let provider: DynProvider = inner.clone();
            Ok(PyClassInitializer::from(Provider { provider }).add_subclass(Self { inner }))
        })
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
            Ok(ser::Out(report))
        })
    }

    fn __repr__(&self) -> String {
        "CippProvider(...)".to_string()
    }
}

/// The provider behind a Python `GraphProvider` or `CippProvider`.
pub fn dyn_provider(provider: &Bound<'_, PyAny>) -> PyResult<DynProvider> {
    match provider.cast::<Provider>() {
        Ok(provider) => Ok(provider.get().provider.clone()),
        Err(_) => Err(errors::invalid_input(
            provider.py(),
            "`provider` must be a GraphProvider or a CippProvider",
        )),
    }
}

/// Registers the provider classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GraphProvider>()?;
    m.add_class::<CippProvider>()?;
    Ok(())
}
