//! `Sandbox`: the loopback Microsoft login + Graph + CIPP services with a synthetic MSP estate, so
//! a Python developer can test against real protocol behaviour without Microsoft credentials.
//!
//! ```python
//! with entra_sync.Sandbox.start({"tenants": 3}) as sandbox:
//!     graph = entra_sync.GraphProvider(sandbox.graph_settings())
//! ```

use std::sync::Mutex;

use entra_core::CoreError;
use entra_providers::host::sandbox_views::{SandboxAction, SandboxView};
use entra_providers::sandbox::{Faults, Mutation, Sandbox as RustSandbox, SandboxConfig};
use pyo3::prelude::*;
use serde_json::{Value, json};

use entra_core::BindingErrorCode;

use crate::errors;
use crate::{de, runtime, ser};

/// Reads a Python argument (None: `{}`) and parses it with `parse`.
fn read<T>(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
    parse: impl FnOnce(&Value) -> Result<T, CoreError>,
) -> PyResult<T> {
    let value = match value {
        Some(v) if !v.is_none() => de::arg(py, v, name)?,
        _ => json!({}),
    };
    parse(&value).map_err(|e| errors::core_error(py, &e))
}

/// A running sandbox. Use it as a context manager, or call `shutdown()`.
#[pyclass(frozen, module = "entra_sync")]
pub struct Sandbox {
    inner: Mutex<Option<RustSandbox>>,
}

impl Sandbox {
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&RustSandbox) -> PyResult<T>) -> PyResult<T> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(sandbox) => f(sandbox),
            None => Err(errors::binding(
                py,
                BindingErrorCode::SandboxStopped,
                "the sandbox has been shut down",
            )),
        }
    }

    /// A view of the running sandbox (the one table every binding reads), as plain Python data.
    fn view(&self, py: Python<'_>, view: SandboxView) -> PyResult<Py<PyAny>> {
        self.with(py, |s| {
            let value = view.read(s).map_err(|e| errors::core_error(py, &e))?;
            Ok(ser::to_py(py, &value, None)?.unbind())
        })
    }

    /// Applies a one-shot action (the one table every binding applies).
    fn act(&self, py: Python<'_>, action: SandboxAction) -> PyResult<()> {
        self.with(py, |s| {
            action.apply(s);
            Ok(())
        })
    }
}

#[pymethods]
impl Sandbox {
    /// Builds the estate from `config` (all keys optional: `seed`, `tenants`, `usersPerTenant`,
    /// `crmClients`, `defaultPageSize`, `deltaPageSize`, `tokenLifetime`, `redirectUris`,
    /// `faults`; unknown keys raise `InvalidInput`) and serves it on three ephemeral 127.0.0.1 ports.
    #[staticmethod]
    #[pyo3(signature = (config = None))]
    fn start(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        crate::logging::refresh(py);
        let config = read(py, config, "config", SandboxConfig::from_json)?;
        let started = runtime::block_on(py, async move {
            RustSandbox::start(config)
                .await
                .map_err(|e| Python::attach(|py| errors::error(py, &e)))
        })?;
        Ok(Self {
            inner: Mutex::new(Some(started)),
        })
    }

    /// `http://127.0.0.1:<port>`: the login authority base.
    #[getter]
    fn login_base_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |s| Ok(s.login_base_url()))
    }

    /// `http://127.0.0.1:<port>`: the Graph base.
    #[getter]
    fn graph_base_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |s| Ok(s.graph_base_url()))
    }

    /// `http://127.0.0.1:<port>`: the CIPP API URL.
    #[getter]
    fn cipp_base_url(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |s| Ok(s.cipp_base_url()))
    }

    /// The sandbox's app credentials and the partner's refresh token (sandbox-only values).
    #[getter]
    fn credentials(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::Credentials)
    }

    /// Settings for `GraphProvider` pointing at this sandbox, with short retry delays and the
    /// tenants' verified domains read (mapping suggestions need them).
    fn graph_settings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::GraphSettings)
    }

    /// Settings for `CippProvider` pointing at this sandbox, with short retry delays.
    fn cipp_settings(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::CippSettings)
    }

    /// The MSP's own tenant.
    fn partner_tenant(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::PartnerTenant)
    }

    /// The customer tenants, in estate order.
    fn tenants(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::Tenants)
    }

    /// The live users of a tenant as the sandbox stores them (Graph property names).
    fn users(&self, py: Python<'_>, tenant_id: String) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::Users(tenant_id))
    }

    /// The `EntraUser` records a correct provider returns for a tenant right now.
    fn expected_users(&self, py: Python<'_>, tenant_id: String) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::ExpectedUsers(tenant_id))
    }

    /// The clients the host's CRM already has.
    fn crm_clients(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::CrmClients)
    }

    /// The contacts the host's CRM already has.
    fn crm_contacts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::CrmContacts)
    }

    /// Changes the directory between runs; returns the id of the user touched or created.
    /// `mutation` is `{"kind": "disable" | "enable" | "soft_delete" | "hard_delete" | "restore" |
    /// "rename" | "change_email" | "add_alias" | "add_user", ...}`.
    fn mutate(&self, py: Python<'_>, mutation: &Bound<'_, PyAny>) -> PyResult<String> {
        let mutation = read(py, Some(mutation), "mutation", Mutation::from_json)?;
        self.with(py, |s| {
            s.mutate(mutation).map_err(|e| errors::error(py, &e))
        })
    }

    /// The faults currently active.
    fn faults(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::Faults)
    }

    /// Replaces the active faults (keys not given are off).
    fn set_faults(&self, py: Python<'_>, faults: &Bound<'_, PyAny>) -> PyResult<()> {
        let faults = read(py, Some(faults), "faults", Faults::from_json)?;
        self.with(py, |s| {
            s.set_faults(faults);
            Ok(())
        })
    }

    /// Changes only the faults named in `faults`.
    fn update_faults(&self, py: Python<'_>, faults: &Bound<'_, PyAny>) -> PyResult<()> {
        let changes = read(py, Some(faults), "faults", |v| Ok(v.clone()))?;
        self.with(py, |s| {
            let updated = s
                .faults()
                .updated_from_json(&changes)
                .map_err(|e| errors::core_error(py, &e))?;
            s.set_faults(updated);
            Ok(())
        })
    }

    /// How many requests reached a path (e.g. `/v1.0/users`), faulted ones included.
    fn request_count(&self, py: Python<'_>, path: &str) -> PyResult<u64> {
        self.with(py, |s| Ok(s.request_count(path)))
    }

    /// Requests per path.
    fn request_counts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.view(py, SandboxView::RequestCounts)
    }

    /// Forgets the request counts.
    fn reset_request_counts(&self, py: Python<'_>) -> PyResult<()> {
        self.act(py, SandboxAction::ResetRequestCounts)
    }

    /// Every access token issued so far stops working.
    fn revoke_access_tokens(&self, py: Python<'_>) -> PyResult<()> {
        self.act(py, SandboxAction::RevokeAccessTokens)
    }

    /// Every refresh token issued so far is revoked.
    fn revoke_refresh_tokens(&self, py: Python<'_>) -> PyResult<()> {
        self.act(py, SandboxAction::RevokeRefreshTokens)
    }

    /// Every delta link handed out so far expires.
    fn expire_delta_tokens(&self, py: Python<'_>) -> PyResult<()> {
        self.act(py, SandboxAction::ExpireDeltaTokens)
    }

    /// True until `shutdown()`.
    #[getter]
    fn running(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Stops the three services and waits for them. Calling it again does nothing.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sandbox) = taken {
            runtime::block_on(py, async move {
                sandbox.shutdown().await;
                Ok(())
            })?;
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.shutdown(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            Some(s) => format!(
                "Sandbox(login={}, graph={}, cipp={})",
                s.login_base_url(),
                s.graph_base_url(),
                s.cipp_base_url()
            ),
            None => "Sandbox(stopped)".to_string(),
        }
    }
}

/// Registers the class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Sandbox>()
}
