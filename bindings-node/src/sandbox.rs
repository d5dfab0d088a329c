//! `Sandbox`: the loopback Microsoft login + Graph + CIPP services with a synthetic MSP estate, so
//! a Node developer can test against real protocol behaviour without Microsoft credentials.
//! Its servers run on napi's tokio runtime and hold no handle of Node's event loop: a sandbox
//! that is never shut down does not keep the process alive.

use std::sync::{Arc, Mutex};

use entra_core::BindingErrorCode;
use entra_core::CoreError;
use entra_providers::host::sandbox as host;
use entra_providers::sandbox::{
    Faults, Mutation, Sandbox as RustSandbox, SandboxConfig, SandboxError,
};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::errors;
use crate::pure::parse;
use crate::runtime::{self, to_json};

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

    fn json<T: serde::Serialize>(&self, f: impl FnOnce(&RustSandbox) -> T) -> napi::Result<String> {
        self.with(|s| to_json(&f(s)))
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

    /// The sandbox's app credentials and the partner's refresh token (sandbox-only values).
    #[napi]
    pub fn credentials_json(&self) -> napi::Result<String> {
        self.with(|s| Ok(host::credentials_json(s).to_string()))
    }

    /// Settings for `GraphProvider` pointing at this sandbox.
    #[napi]
    pub fn graph_settings_json(&self) -> napi::Result<String> {
        self.with(|s| Ok(host::graph_settings_json(s).to_string()))
    }

    /// Settings for `CippProvider` pointing at this sandbox.
    #[napi]
    pub fn cipp_settings_json(&self) -> napi::Result<String> {
        self.with(|s| Ok(host::cipp_settings_json(s).to_string()))
    }

    /// The MSP's own tenant.
    #[napi]
    pub fn partner_tenant_json(&self) -> napi::Result<String> {
        self.json(|s| s.partner_tenant())
    }

    /// The customer tenants, in estate order.
    #[napi]
    pub fn tenants_json(&self) -> napi::Result<String> {
        self.json(|s| s.tenants())
    }

    /// The live users of a tenant as the sandbox stores them (Graph property names).
    #[napi]
    pub fn users_json(&self, tenant_id: String) -> napi::Result<String> {
        self.json(|s| s.users(&tenant_id))
    }

    /// The `EntraUser` records a correct provider returns for a tenant right now.
    #[napi]
    pub fn expected_users_json(&self, tenant_id: String) -> napi::Result<String> {
        self.json(|s| s.expected_users(&tenant_id))
    }

    /// The clients the host's CRM already has.
    #[napi]
    pub fn crm_clients_json(&self) -> napi::Result<String> {
        self.json(|s| s.crm_clients())
    }

    /// The contacts the host's CRM already has.
    #[napi]
    pub fn crm_contacts_json(&self) -> napi::Result<String> {
        self.json(|s| s.crm_contacts())
    }

    /// Changes the directory between runs (the JSON of a mutation); returns the id of the user
    /// touched or created.
    #[napi]
    pub fn mutate(&self, mutation: String) -> napi::Result<String> {
        let mutation = read(&mutation, "mutation", Mutation::from_json)?;
        self.with(|s| s.mutate(mutation).map_err(|e| sandbox_error(&e)))
    }

    /// The faults currently active, as JSON.
    #[napi]
    pub fn faults_json(&self) -> napi::Result<String> {
        self.with(|s| Ok(s.faults().to_json().to_string()))
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

    /// Every refresh token issued so far is revoked.
    #[napi]
    pub fn revoke_refresh_tokens(&self) -> napi::Result<()> {
        self.with(|s| {
            s.revoke_refresh_tokens();
            Ok(())
        })
    }

    /// How many requests reached a path (`/v1.0/users`, `/api/ListTenants`,
    /// `/{tenant}/oauth2/v2.0/token`), faulted ones included.
    #[napi]
    pub fn request_count(&self, path: String) -> napi::Result<i64> {
        self.with(|s| Ok(i64::try_from(s.request_count(&path)).unwrap_or(i64::MAX)))
    }

    /// Requests per path, as JSON text (`{path: count}`).
    #[napi]
    pub fn request_counts_json(&self) -> napi::Result<String> {
        self.json(|s| s.request_counts())
    }

    /// Forgets the request counts.
    #[napi]
    pub fn reset_request_counts(&self) -> napi::Result<()> {
        self.with(|s| {
            s.reset_request_counts();
            Ok(())
        })
    }

    /// Every access token issued so far stops working (Graph and CIPP answer 401); new tokens
    /// work.
    #[napi]
    pub fn revoke_access_tokens(&self) -> napi::Result<()> {
        self.with(|s| {
            s.revoke_access_tokens();
            Ok(())
        })
    }

    /// Every delta link handed out so far expires.
    #[napi]
    pub fn expire_delta_tokens(&self) -> napi::Result<()> {
        self.with(|s| {
            s.expire_delta_tokens();
            Ok(())
        })
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
