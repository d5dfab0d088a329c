//! `MemoryStore`, `SqliteStore` and `SyncEngine`: the Rust engine over a provider and a store,
//! with methods returning Promises of JSON text. Progress arrives through a callback (queued to
//! the JavaScript thread from the engine's workers); a `CancelToken` (fed by an `AbortSignal` in
//! `index.js`) stops a run between tenants.

use std::sync::Arc;

use entra_core::clock::now_ms;
use entra_core::engine::{
    CancelToken as RustCancelToken, DynEngine, EngineError, ProgressEvent, SyncAllOptions,
    SyncEngine as Engine, SyncOptions,
};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{
    Client, Contact, Resolution, SettingsOverrides, SyncSettings, TenantMapping,
};
use entra_core::store::{
    DEFAULT_ACCOUNT_ID, DynStore, MemoryStore as RustMemoryStore, SqliteStore as RustSqliteStore,
    StoreError,
};
use entra_providers::host::{self, HostError};
use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::errors;
use crate::providers::Provider;
use crate::pure::parse;
use crate::runtime::json_promise;

/// A wrapped error converts as itself (its kind, code, details and cause chain).
fn engine_error(err: EngineError) -> napi::Error {
    match &err {
        EngineError::Provider(e) => errors::error(e),
        EngineError::Store(e) => errors::error(e),
        EngineError::Core(e) => errors::error(e),
        EngineError::RunId(e) => errors::error(e),
        EngineError::NotMapped { .. }
        | EngineError::ClientNotMapped { .. }
        | EngineError::AttemptsExhausted { .. } => errors::error(&err),
    }
}

fn store_err(err: StoreError) -> napi::Error {
    errors::error(&err)
}

/// Reads JSON text into a typed record of the contract.
fn arg<T: DeserializeOwned>(text: &str, name: &str) -> napi::Result<T> {
    let json = parse(text, name)?;
    entra_core::json::from_value(&json)
        .map_err(|e| errors::invalid_input(&format!("`{name}`: {e}")))
}

/// A sync store as the engine sees it: the host seeds its CRM records, reads what sync wrote,
/// answers the reconciliation queue and keeps per-tenant settings. `index.js` wraps it in
/// `MemoryStore` and `SqliteStore`.
#[napi]
pub struct Store {
    store: DynStore,
}

#[napi]
impl Store {
    /// The reference in-memory store: for tests, demos and embedding. `accountId`: the PSA
    /// account it serves (default `"default"`).
    #[napi(factory)]
    pub fn memory(account_id: Option<String>) -> napi::Result<Self> {
        let store = match account_id {
            Some(account) => {
                RustMemoryStore::for_account(&account).map_err(|e| errors::error(&e))?
            }
            None => RustMemoryStore::new(),
        };
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// The durable embedded store: one SQLite file (created with its schema when missing).
    /// `accountId`: the PSA account this store serves in the file (default `"default"`); one file
    /// holds many accounts and each store reads and writes only its own.
    #[napi(factory)]
    pub fn sqlite(path: String, account_id: Option<String>) -> napi::Result<Self> {
        errors::guard(|| {
            let account = account_id.unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_string());
            let store =
                RustSqliteStore::open_for_account(path, &account).map_err(|e| errors::error(&e))?;
            Ok(Self {
                store: Arc::new(store),
            })
        })
    }

    /// A private in-memory SQLite database, gone when the store is dropped.
    #[napi(factory)]
    pub fn sqlite_in_memory() -> napi::Result<Self> {
        errors::guard(|| {
            let store = RustSqliteStore::open_in_memory().map_err(|e| errors::error(&e))?;
            Ok(Self {
                store: Arc::new(store),
            })
        })
    }

    /// Adds or replaces the host's clients (mapping candidates).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn upsert_clients<'e>(
        &self,
        env: &'e Env,
        clients: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let clients: Vec<Client> = arg(&clients, "clients")?;
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.upsert_clients(&clients).await },
            store_err,
        )
    }

    /// Adds or replaces the host's contacts.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn upsert_contacts<'e>(
        &self,
        env: &'e Env,
        contacts: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let contacts: Vec<Contact> = arg(&contacts, "contacts")?;
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.upsert_contacts(&contacts).await },
            store_err,
        )
    }

    /// The stored managed tenants.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_tenants<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(env, async move { s.load_tenants().await }, store_err)
    }

    /// The current mappings (mapped and skipped tenants).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_mappings<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(env, async move { s.load_mappings().await }, store_err)
    }

    /// The reconciliation queue of one tenant, or of every tenant.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_queue<'e>(
        &self,
        env: &'e Env,
        tenant_id: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.load_queue(tenant_id.as_deref()).await },
            store_err,
        )
    }

    /// Records an operator's answer to a queued identity; it sticks across runs.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn resolve_queue_item<'e>(
        &self,
        env: &'e Env,
        tenant_id: String,
        resolution: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let resolution: Resolution = arg(&resolution, "resolution")?;
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.resolve_queue_item(&tenant_id, &resolution).await },
            store_err,
        )
    }

    /// One run record, or null.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_run<'e>(
        &self,
        env: &'e Env,
        run_id: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(env, async move { s.load_run(&run_id).await }, store_err)
    }

    /// The per-tenant results of a run.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_tenant_results<'e>(
        &self,
        env: &'e Env,
        run_id: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.load_tenant_results(&run_id).await },
            store_err,
        )
    }

    /// A tenant's sync settings (the defaults when none were saved).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_sync_settings<'e>(
        &self,
        env: &'e Env,
        tenant_id: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.load_sync_settings(&tenant_id).await },
            store_err,
        )
    }

    /// Saves a tenant's sync settings (field toggles, patterns, safety limits).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn save_sync_settings<'e>(
        &self,
        env: &'e Env,
        tenant_id: String,
        settings: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let settings: SyncSettings = arg(&settings, "settings")?;
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.save_sync_settings(&tenant_id, &settings).await },
            store_err,
        )
    }

    /// Everything the store holds, for inspection and tests.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn snapshot<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(env, async move { s.snapshot().await }, store_err)
    }

    /// The PSA account whose records this store reads and writes.
    #[napi(getter)]
    pub fn account_id(&self) -> String {
        self.store.account_id().to_string()
    }

    /// A settings layer: the account-wide defaults (no `tenantId`) or one tenant's overrides.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn load_settings_overrides<'e>(
        &self,
        env: &'e Env,
        tenant_id: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.load_settings_overrides(tenant_id.as_deref()).await },
            store_err,
        )
    }

    /// Replaces a settings layer (no `tenantId`: the account-wide defaults); `{}` forgets it.
    /// Unknown keys and a `syncIntervalMinutes` outside 5..=10080 are `invalid_input`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn save_settings_overrides<'e>(
        &self,
        env: &'e Env,
        overrides: String,
        tenant_id: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let value = parse(&overrides, "overrides")?;
        let overrides = SettingsOverrides::from_json(&value).map_err(|e| errors::error(&e))?;
        let s = self.store.clone();
        json_promise(
            env,
            async move {
                s.save_settings_overrides(tenant_id.as_deref(), &overrides)
                    .await
            },
            store_err,
        )
    }

    /// A tenant's effective settings and, per field, `{value, source}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn resolve_sync_settings<'e>(
        &self,
        env: &'e Env,
        tenant_id: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { s.resolve_sync_settings(&tenant_id).await },
            store_err,
        )
    }

    /// The account's connections: `{active, history}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn connection_status<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { host::connection_status_json(s.as_ref()).await },
            host_err,
        )
    }

    /// Connects with `connectionType`: `{connection, secretsToClear}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn connect<'e>(
        &self,
        env: &'e Env,
        connection_type: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { host::connect_json(s.as_ref(), &connection_type, now_ms()).await },
            host_err,
        )
    }

    /// Records a validation report (`{ok, checks}`) on the active connection.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn record_validation<'e>(
        &self,
        env: &'e Env,
        report: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let report = parse(&report, "report")?;
        let s = self.store.clone();
        json_promise(
            env,
            async move { host::record_validation_json(s.as_ref(), &report, now_ms()).await },
            host_err,
        )
    }

    /// Disconnects: `{connection, secretsToClear}` with both types' secret names.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn disconnect<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let s = self.store.clone();
        json_promise(
            env,
            async move { host::disconnect_json(s.as_ref(), now_ms()).await },
            host_err,
        )
    }
}

fn host_err(err: HostError) -> napi::Error {
    errors::error(&err)
}

/// Validates CIPP settings (`{baseUrl, clientId, clientSecret, tenantId}`) and returns the JSON
/// `{"secrets": {<canonical name>: value}}` for the host to write to its vault.
#[napi]
pub fn cipp_secrets(settings: String) -> napi::Result<String> {
    errors::guard(|| {
        let settings = parse(&settings, "settings")?;
        let out = host::cipp_secrets_json(&settings).map_err(|e| errors::error(&e))?;
        serde_json::to_string(&out).map_err(|e| errors::invalid_input(&e.to_string()))
    })
}

/// Stops a `syncAll` run between tenants: tenants in flight finish and are recorded, the run
/// ends `cancelled` and can be resumed by running it again with the same request key.
#[napi]
#[derive(Default)]
pub struct CancelToken {
    inner: RustCancelToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

/// The options of `syncTenant` as JSON (`{dryRun?, useDelta?}`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SyncOptionsJson {
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    use_delta: Option<bool>,
}

impl SyncOptionsJson {
    /// The engine's options: keys not given keep the engine's defaults.
    fn options(&self) -> SyncOptions {
        let defaults = SyncOptions::default();
        SyncOptions {
            dry_run: self.dry_run.unwrap_or(defaults.dry_run),
            use_delta: self.use_delta.unwrap_or(defaults.use_delta),
        }
    }
}

/// Discovery, mapping and contact sync over a provider and a store.
#[napi]
pub struct SyncEngine {
    inner: DynEngine,
}

#[napi]
impl SyncEngine {
    /// `provider`: the handle of a `GraphProvider` or `CippProvider`; `store`: of a
    /// `MemoryStore` or `SqliteStore`.
    #[napi(constructor)]
    pub fn new(provider: &Provider, store: &Store) -> Self {
        Self {
            inner: Engine::new(provider.provider.clone(), store.store.clone()),
        }
    }

    /// Lists the managed tenants and merges them into the store (nothing is ever deleted).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn discover<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let e = self.inner.clone();
        json_promise(env, async move { e.discover().await }, engine_error)
    }

    /// Suggests a client for every listed tenant; writes nothing.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn preview_mappings<'e>(
        &self,
        env: &'e Env,
        options: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let options: PreviewOptions = match options {
            Some(o) => arg(&o, "options")?,
            None => PreviewOptions::default(),
        };
        let e = self.inner.clone();
        json_promise(
            env,
            async move { e.preview_mappings(options).await },
            engine_error,
        )
    }

    /// Applies operator decisions (`confirm`, `skip`, `remap`, `unmap`) as one batch.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn apply_mapping_changes<'e>(
        &self,
        env: &'e Env,
        operations: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let operations: Vec<MappingOperation> = arg(&operations, "operations")?;
        let e = self.inner.clone();
        json_promise(
            env,
            async move { e.apply_mapping_changes(operations).await },
            engine_error,
        )
    }

    /// Syncs one mapped tenant (`mapping` is a `TenantMapping`); a dry run writes nothing.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn sync_tenant<'e>(
        &self,
        env: &'e Env,
        mapping: String,
        options: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let mapping: TenantMapping = arg(&mapping, "mapping")?;
        let options: SyncOptionsJson = arg(options.as_deref().unwrap_or("{}"), "options")?;
        let options = options.options();
        let e = self.inner.clone();
        json_promise(
            env,
            async move { e.sync_tenant(&mapping, &options).await },
            engine_error,
        )
    }

    /// Syncs every mapped tenant with bounded concurrency; one tenant's failure never stops the
    /// others. `onProgress(eventJson)` receives `run_started`, `tenant_started`,
    /// `tenant_finished` and `run_finished` events. The same `requestKey` names the same run:
    /// a running run is joined, a cancelled one resumed.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn sync_all<'e>(
        &self,
        env: &'e Env,
        options: Option<String>,
        #[napi(ts_arg_type = "((event: string) => void) | undefined | null")] on_progress: Option<
            Function<'_, String, ()>,
        >,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let options = parse(options.as_deref().unwrap_or("{}"), "options")?;
        let mut options = SyncAllOptions::from_json(&options).map_err(|e| errors::error(&e))?;
        options.cancel = cancel.map(|c| c.inner.clone());
        options.progress = on_progress.map(progress_callback).transpose()?;
        let e = self.inner.clone();
        json_promise(env, async move { e.sync_all(options).await }, engine_error)
    }

    /// "Sync now" on a client: every tenant mapped to `clientId` as one recorded run of scope
    /// `client` (options and progress events as `syncAll`'s). `not_mapped` when no tenant is
    /// mapped to it.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn sync_client<'e>(
        &self,
        env: &'e Env,
        client_id: String,
        options: Option<String>,
        #[napi(ts_arg_type = "((event: string) => void) | undefined | null")] on_progress: Option<
            Function<'_, String, ()>,
        >,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let options = parse(options.as_deref().unwrap_or("{}"), "options")?;
        let mut options = SyncAllOptions::from_json(&options).map_err(|e| errors::error(&e))?;
        options.cancel = cancel.map(|c| c.inner.clone());
        options.progress = on_progress.map(progress_callback).transpose()?;
        let e = self.inner.clone();
        json_promise(
            env,
            async move { e.sync_client(&client_id, options).await },
            engine_error,
        )
    }

    /// Discovery as a recorded run of scope `discovery`: `{run, report, joined}` (options:
    /// `{trigger?, requestKey?, bucketSeconds?}`). A failed listing is recorded and rejected.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn discover_run<'e>(
        &self,
        env: &'e Env,
        options: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let options = parse(options.as_deref().unwrap_or("{}"), "options")?;
        let options = SyncAllOptions::from_json(&options).map_err(|e| errors::error(&e))?;
        let e = self.inner.clone();
        json_promise(
            env,
            async move { e.discover_run(options).await },
            engine_error,
        )
    }
}

/// The engine's progress callback calling a JS function with each event's JSON. The function is
/// held weakly: a pending run never keeps the process alive on its account.
fn progress_callback(
    callback: Function<'_, String, ()>,
) -> napi::Result<entra_core::engine::ProgressCallback> {
    let tsfn = callback
        .build_threadsafe_function::<String>()
        .weak::<true>()
        .callee_handled::<false>()
        .build()?;
    let tsfn = Arc::new(tsfn);
    Ok(Arc::new(move |event: &ProgressEvent| {
        if let Ok(payload) = serde_json::to_string(event) {
            tsfn.call(payload, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }))
}
