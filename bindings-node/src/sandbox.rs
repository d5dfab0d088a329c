//! `Sandbox`: the loopback Microsoft login + Graph + CIPP services with a synthetic MSP estate, so
//! a Node developer can test against real protocol behaviour without Microsoft credentials.
//! Its servers run on napi's tokio runtime and hold no handle of Node's event loop: a sandbox
//! that is never shut down does not keep the process alive.

use std::sync::{Arc, Mutex};

use entra_core::BindingErrorCode;
use entra_core::CoreError;
use entra_providers::host::sandbox_views::{SandboxAction, SandboxView};
use entra_providers::sandbox::{
    Faults, Mutation, Sandbox as RustSandbox, SandboxConfig, SandboxError,
};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::errors;
use crate::pure::parse;
use crate::runtime;

fn sandbox_error(err: &SandboxError) -> napi::Error {
    errors::error(err)
}

/// Reads JSON text and parses it with `parse_as`.
fn read<T>(
    text: &str,
    name: &str,
    parse_as: impl FnOnce(&Value) -> Result<T, CoreError>,
) -> napi::Result<T> {
    let value = parse(text, name)?;
    parse_as(&value).map_err(|e| errors::error(&e))
}

/// A running sandbox; `shutdown()` stops its servers.
#[napi]
pub struct Sandbox {
    inner: Arc<Mutex<Option<RustSandbox>>>,
}

impl Sandbox {
    fn with<T>(&self, f: impl FnOnce(&RustSandbox) -> napi::Result<T>) -> napi::Result<T> {
        errors::guard(|| {
            let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match guard.as_ref() {
                Some(sandbox) => f(sandbox),
                None => Err(errors::binding(
                    BindingErrorCode::SandboxStopped,
                    "the sandbox has been shut down",
                )),
            }
        })
    }
}

#[napi]
impl Sandbox {
    /// Builds the estate from the JSON `config` (all keys optional: `seed`, `tenants`,
    /// `usersPerTenant`, `crmClients`, `defaultPageSize`, `deltaPageSize`, `tokenLifetime`,
    /// `redirectUris`, `faults`; unknown keys are `invalid_input`) and serves it on three
    /// ephemeral 127.0.0.1 ports (Promise of the sandbox).
    #[napi(ts_return_type = "Promise<Sandbox>")]
    pub fn start(env: &Env, config: String) -> napi::Result<PromiseRaw<'_, Sandbox>> {
        let config = read(&config, "config", SandboxConfig::from_json)?;
        runtime::spawn(env, async move {
            let started = RustSandbox::start(config)
                .await
                .map_err(|e| sandbox_error(&e))?;
            Ok(Sandbox {
                inner: Arc::new(Mutex::new(Some(started))),
            })
        })
    }

    /// `http://127.0.0.1:<port>`: the login authority base.
    #[napi(getter)]
    pub fn login_base_url(&self) -> napi::Result<String> {
        self.with(|s| Ok(s.login_base_url()))
    }

    /// `http://127.0.0.1:<port>`: the Graph base.
    #[napi(getter)]
    pub fn graph_base_url(&self) -> napi::Result<String> {
        self.with(|s| Ok(s.graph_base_url()))
    }

    /// `http://127.0.0.1:<port>`: the CIPP API URL.
    #[napi(getter)]
    pub fn cipp_base_url(&self) -> napi::Result<String> {
        self.with(|s| Ok(s.cipp_base_url()))
    }

    /// A view of the sandbox as JSON (`entra_providers::host::sandbox_views::SandboxView`: its
    /// credentials, provider settings pointing at it, its tenants, a tenant's users as stored
    /// and as a provider returns them, the CRM's clients and contacts, the active faults, the
    /// request counts); `tenant_id` only for `users` and `expectedUsers`.
    #[napi]
    pub fn view_json(&self, name: String, tenant_id: Option<String>) -> napi::Result<String> {
        let view =
            SandboxView::named(&name, tenant_id.as_deref()).map_err(|e| errors::error(&e))?;
        self.with(|s| {
            let value = view.read(s).map_err(|e| errors::error(&e))?;
            Ok(value.to_string())
        })
    }

    /// A one-shot change by name (`SandboxAction`: revoking refresh or access tokens, expiring
    /// delta links, resetting the request counts).
    #[napi]
    pub fn act(&self, name: String) -> napi::Result<()> {
        let action = SandboxAction::named(&name).map_err(|e| errors::error(&e))?;
        self.with(|s| {
            action.apply(s);
            Ok(())
        })
    }

    /// Changes the directory between runs (the JSON of a mutation); returns the id of the user
    /// touched or created.
    #[napi]
    pub fn mutate(&self, mutation: String) -> napi::Result<String> {
        let mutation = read(&mutation, "mutation", Mutation::from_json)?;
        self.with(|s| s.mutate(mutation).map_err(|e| sandbox_error(&e)))
    }

    /// Replaces the active faults (keys not given are off).
    #[napi]
    pub fn set_faults(&self, faults: String) -> napi::Result<()> {
        let faults = read(&faults, "faults", Faults::from_json)?;
        self.with(|s| {
            s.set_faults(faults);
            Ok(())
        })
    }

    /// Changes only the faults named in `faults`.
    #[napi]
    pub fn update_faults(&self, faults: String) -> napi::Result<()> {
        let changes = parse(&faults, "faults")?;
        self.with(|s| {
            let updated = s
                .faults()
                .updated_from_json(&changes)
                .map_err(|e| errors::error(&e))?;
            s.set_faults(updated);
            Ok(())
        })
    }

    /// How many requests reached a path (`/v1.0/users`, `/api/ListTenants`,
    /// `/{tenant}/oauth2/v2.0/token`), faulted ones included.
    #[napi]
    pub fn request_count(&self, path: String) -> napi::Result<i64> {
        self.with(|s| Ok(i64::try_from(s.request_count(&path)).unwrap_or(i64::MAX)))
    }

    /// True until `shutdown()`.
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Stops the servers (Promise); later calls reject with `sandbox_stopped`. Idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let taken = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        runtime::spawn(env, async move {
            if let Some(sandbox) = taken {
                sandbox.shutdown().await;
            }
            Ok(())
        })
    }
}
