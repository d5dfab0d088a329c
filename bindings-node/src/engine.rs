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
use entra_core::model::TenantMapping;
use entra_core::store::{
    DEFAULT_ACCOUNT_ID, DynStore, MemoryStore as RustMemoryStore, SqliteStore as RustSqliteStore,
};
use entra_providers::host::{self, CallArgs, HostError, StoreCall};
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

    /// One of the store's calls by name (`entra_providers::host::StoreCall`), each argument as
    /// JSON text; `index.js` gives each call its method.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn call<'e>(
        &self,
        env: &'e Env,
        method: String,
        args: Vec<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let call = StoreCall::read(&method, &JsonArgs(&args))?;
        let s = self.store.clone();
        json_promise(
            env,
            async move { call.run(s.as_ref(), now_ms()).await },
            host_err,
        )
    }

    /// The PSA account whose records this store reads and writes.
    #[napi(getter)]
    pub fn account_id(&self) -> String {
        self.store.account_id().to_string()
    }
}

/// A store call's arguments: one JSON text each, named in camelCase in error messages.
struct JsonArgs<'a>(&'a [String]);

impl CallArgs for JsonArgs<'_> {
    type Error = napi::Error;

    fn error(&self, err: HostError) -> napi::Error {
        errors::error(&err)
    }

    fn arg<T: DeserializeOwned>(&self, index: usize, name: &str) -> napi::Result<T> {
        let text = self.0.get(index).map_or("null", String::as_str);
        arg(text, &camel_case(name))
    }
}

/// `tenant_id` as `tenantId`: the name JavaScript callers know an argument by.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
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

impl SyncEngine {
    /// Runs `work` on a clone of the engine as a Promise of its result's JSON.
    fn promise<'e, T, Fut>(
        &self,
        env: &'e Env,
        work: impl FnOnce(DynEngine) -> Fut,
    ) -> napi::Result<PromiseRaw<'e, String>>
    where
        Fut: std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
        T: serde::Serialize + Send + 'static,
    {
        json_promise(env, work(self.inner.clone()), engine_error)
    }
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
        self.promise(env, |e| async move { e.discover().await })
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
        self.promise(env, |e| async move { e.preview_mappings(options).await })
    }

    /// Applies operator decisions (`confirm`, `skip`, `remap`, `unmap`) as one batch.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn apply_mapping_changes<'e>(
        &self,
        env: &'e Env,
        operations: String,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let operations: Vec<MappingOperation> = arg(&operations, "operations")?;
        self.promise(
            env,
            |e| async move { e.apply_mapping_changes(operations).await },
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
        self.promise(
            env,
            |e| async move { e.sync_tenant(&mapping, &options).await },
        )
    }

    /// Syncs every mapped tenant (`clientId` null), or every tenant mapped to one client as a run
    /// of scope `client` ("Sync now"; `not_mapped` when none is), with bounded concurrency; one
    /// tenant's failure never stops the others. `onProgress(eventJson)` receives `run_started`,
    /// `tenant_started`, `tenant_finished` and `run_finished` events. The same `requestKey`
    /// names the same run: a running run is joined, a cancelled one resumed.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn sync_run<'e>(
        &self,
        env: &'e Env,
        client_id: Option<String>,
        options: Option<String>,
        #[napi(ts_arg_type = "((event: string) => void) | undefined | null")] on_progress: Option<
            Function<'_, String, ()>,
        >,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let mut options = run_options(options)?;
        options.cancel = cancel.map(|c| c.inner.clone());
        options.progress = on_progress.map(progress_callback).transpose()?;
        self.promise(env, |e| async move {
            match client_id {
                Some(client_id) => e.sync_client(&client_id, options).await,
                None => e.sync_all(options).await,
            }
        })
    }

    /// Discovery as a recorded run of scope `discovery`: `{run, report, joined}` (options:
    /// `{trigger?, requestKey?, bucketSeconds?}`). A failed listing is recorded and rejected.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn discover_run<'e>(
        &self,
        env: &'e Env,
        options: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let options = run_options(options)?;
        self.promise(env, |e| async move { e.discover_run(options).await })
    }
}

/// A run's options from their JSON text (absent: the defaults).
fn run_options(options: Option<String>) -> napi::Result<SyncAllOptions> {
    let options = parse(options.as_deref().unwrap_or("{}"), "options")?;
    SyncAllOptions::from_json(&options).map_err(|e| errors::error(&e))
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
