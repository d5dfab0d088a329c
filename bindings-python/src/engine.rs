//! `MemoryStore`, `SqliteStore` and `SyncEngine`: the Rust engine over a provider and a store,
//! with async methods returning asyncio awaitables. Progress arrives through a callback (called
//! from the engine's worker threads); `CancelToken` stops a run between tenants.

use std::future::Future;
use std::sync::Arc;

use entra_core::clock::now_ms;
use entra_core::engine::{
    CancelToken as RustCancelToken, DynEngine, ProgressCallback, ProgressEvent, RunRequest,
    SyncAllOptions, SyncEngine as Engine, SyncOptions,
};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{
    Client, Contact, Resolution, SettingsOverrides, SyncSettings, TenantMapping,
};
use entra_core::store::{
    DEFAULT_ACCOUNT_ID, DynStore, MemoryStore as RustMemoryStore, SqliteStore as RustSqliteStore,
    StoreError,
};
use entra_providers::host;
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors;
use crate::providers::dyn_provider;
use crate::{de, runtime, ser};

/// A store call as an awaitable of its result.
fn store_call<'py, T, Fut>(
    py: Python<'py>,
    store: &DynStore,
    call: impl FnOnce(DynStore) -> Fut,
) -> PyResult<Bound<'py, PyAny>>
where
    Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    T: Serialize + Send + 'static,
{
    runtime::typed_awaitable(py, call(store.clone()))
}

/// What every store class shares: the store as the engine sees it, and the calls a host makes
/// from Python: seeding its CRM records, reading what sync wrote, answering the reconciliation
/// queue and keeping per-tenant settings. `MemoryStore` and `SqliteStore` extend it with their
/// constructors; the engine takes any of them through this base.
#[pyclass(subclass, frozen, name = "_Store", module = "entra_sync")]
pub struct Store {
    store: DynStore,
}

impl Store {
    /// A store class's initializer: the shared base over `store`, then the class itself.
    fn init<C: pyo3::PyClass<BaseType = Store> + Default>(
        store: DynStore,
    ) -> PyClassInitializer<C> {
        PyClassInitializer::from(Store { store }).add_subclass(C::default())
    }
}

#[pymethods]
impl Store {
    /// Adds or replaces the host's clients (mapping candidates).
    fn upsert_clients<'py>(
        &self,
        py: Python<'py>,
        clients: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let clients: Vec<Client> = de::arg(py, clients, "clients")?;
        store_call(py, &self.store, |s| async move {
            s.upsert_clients(&clients).await
        })
    }

    /// Adds or replaces the host's contacts.
    fn upsert_contacts<'py>(
        &self,
        py: Python<'py>,
        contacts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let contacts: Vec<Contact> = de::arg(py, contacts, "contacts")?;
        store_call(py, &self.store, |s| async move {
            s.upsert_contacts(&contacts).await
        })
    }

    /// The stored managed tenants.
    fn load_tenants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move { s.load_tenants().await })
    }

    /// The current mappings (mapped and skipped tenants).
    fn load_mappings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move { s.load_mappings().await })
    }

    /// The reconciliation queue of one tenant, or of every tenant.
    #[pyo3(signature = (tenant_id = None))]
    fn load_queue<'py>(
        &self,
        py: Python<'py>,
        tenant_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move {
            s.load_queue(tenant_id.as_deref()).await
        })
    }

    /// Records an operator's answer to a queued identity; it sticks across runs.
    fn resolve_queue_item<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
        resolution: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let resolution: Resolution = de::arg(py, resolution, "resolution")?;
        store_call(py, &self.store, |s| async move {
            s.resolve_queue_item(&tenant_id, &resolution).await
        })
    }

    /// One run record, or None.
    fn load_run<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
        store_call(
            py,
            &self.store,
            |s| async move { s.load_run(&run_id).await },
        )
    }

    /// The per-tenant results of a run.
    fn load_tenant_results<'py>(
        &self,
        py: Python<'py>,
        run_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move {
            s.load_tenant_results(&run_id).await
        })
    }

    /// A tenant's sync settings (the defaults when none were saved).
    fn load_sync_settings<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move {
            s.load_sync_settings(&tenant_id).await
        })
    }

    /// Saves a tenant's sync settings (field toggles, patterns, safety limits).
    fn save_sync_settings<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
        settings: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let settings: SyncSettings = de::arg(py, settings, "settings")?;
        store_call(py, &self.store, |s| async move {
            s.save_sync_settings(&tenant_id, &settings).await
        })
    }

    /// Everything the store holds, for inspection and tests.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move { s.snapshot().await })
    }

    /// The PSA account whose records this store reads and writes (`"default"` unless opened
    /// with `account_id`).
    #[getter]
    fn account_id(&self) -> String {
        self.store.account_id().to_string()
    }

    /// A settings layer: the account-wide defaults (`tenant_id=None`) or one tenant's overrides
    /// (only the fields it sets).
    #[pyo3(signature = (tenant_id = None))]
    fn load_settings_overrides<'py>(
        &self,
        py: Python<'py>,
        tenant_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move {
            s.load_settings_overrides(tenant_id.as_deref()).await
        })
    }

    /// Replaces a settings layer (`tenant_id=None`: the account-wide defaults); `{}` forgets it.
    /// Unknown keys and a `syncIntervalMinutes` outside 5..=10080 raise `InvalidInput`.
    #[pyo3(signature = (overrides, tenant_id = None))]
    fn save_settings_overrides<'py>(
        &self,
        py: Python<'py>,
        overrides: &Bound<'py, PyAny>,
        tenant_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value: serde_json::Value = de::arg(py, overrides, "overrides")?;
        let overrides =
            SettingsOverrides::from_json(&value).map_err(|e| errors::core_error(py, &e))?;
        store_call(py, &self.store, |s| async move {
            s.save_settings_overrides(tenant_id.as_deref(), &overrides)
                .await
        })
    }

    /// A tenant's effective settings and, per field, `{value, source}` with source `default`,
    /// `account` or `tenant`.
    fn resolve_sync_settings<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        store_call(py, &self.store, |s| async move {
            s.resolve_sync_settings(&tenant_id).await
        })
    }

    /// The account's connections: `{active, history}`.
    fn connection_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.store.clone();
        runtime::typed_awaitable(
            py,
            async move { host::connection_status_json(s.as_ref()).await },
        )
    }

    /// Connects with `connection_type` (`"direct"` or `"cipp"`): `{connection, secretsToClear}`;
    /// the host deletes `secretsToClear` (the other type's secret names) from its vault.
    fn connect<'py>(
        &self,
        py: Python<'py>,
        connection_type: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = self.store.clone();
        runtime::typed_awaitable(py, async move {
            host::connect_json(s.as_ref(), &connection_type, now_ms()).await
        })
    }

    /// Records a provider's validation report (`{ok, checks}`) on the active connection:
    /// `connected` or `validation_failed`. Raises `NotFound` without an active connection.
    fn record_validation<'py>(
        &self,
        py: Python<'py>,
        report: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let report: serde_json::Value = de::arg(py, report, "report")?;
        let s = self.store.clone();
        runtime::typed_awaitable(py, async move {
            host::record_validation_json(s.as_ref(), &report, now_ms()).await
        })
    }

    /// Disconnects: `{connection, secretsToClear}` with BOTH types' secret names for the host
    /// to delete. Mappings, links and run history are kept.
    fn disconnect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.store.clone();
        runtime::typed_awaitable(py, async move {
            host::disconnect_json(s.as_ref(), now_ms()).await
        })
    }
}

/// Validates CIPP settings (`{baseUrl, clientId, clientSecret, tenantId}`) and returns
/// `{"secrets": {<canonical name>: value}}` for the host to write to its vault; raises
/// `InvalidInput` naming the field when they are unusable.
#[pyfunction]
fn cipp_secrets(py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let settings: serde_json::Value = de::arg(py, settings, "settings")?;
    let out = host::cipp_secrets_json(&settings).map_err(|e| errors::error(py, &e))?;
    Ok(ser::small_to_py(py, &out)?.unbind())
}

/// The reference in-memory store: for tests, demos and embedding.
#[pyclass(extends = Store, frozen, module = "entra_sync")]
#[derive(Default)]
pub struct MemoryStore;

#[pymethods]
impl MemoryStore {
    /// `account_id`: the PSA account this store serves (default `"default"`).
    #[new]
    #[pyo3(signature = (account_id = None))]
    fn new(py: Python<'_>, account_id: Option<String>) -> PyResult<PyClassInitializer<Self>> {
        let store = match account_id {
            Some(account) => {
                RustMemoryStore::for_account(&account).map_err(|e| errors::error(py, &e))?
            }
            None => RustMemoryStore::new(),
        };
        Ok(Store::init(Arc::new(store)))
    }
}

/// The durable embedded store: one SQLite file (created with its schema when missing).
#[pyclass(extends = Store, frozen, module = "entra_sync")]
#[derive(Default)]
pub struct SqliteStore;

#[pymethods]
impl SqliteStore {
    /// `account_id`: the PSA account this store serves in the database (default `"default"`);
    /// one file holds many accounts, each store reads and writes only its own.
    #[new]
    #[pyo3(signature = (path, account_id = None))]
    fn new(
        py: Python<'_>,
        path: std::path::PathBuf,
        account_id: Option<String>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let account = account_id.unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_string());
        let opened = py.detach(|| RustSqliteStore::open_for_account(path, &account));
        Ok(Store::init(Arc::new(
            opened.map_err(|e| errors::error(py, &e))?,
        )))
    }

    /// A private in-memory database, gone when the store is dropped.
    #[staticmethod]
    fn in_memory(py: Python<'_>) -> PyResult<Py<Self>> {
        let store = RustSqliteStore::open_in_memory().map_err(|e| errors::error(py, &e))?;
        Py::new(py, Store::init(Arc::new(store)))
    }
}

/// Stops a `sync_all` run between tenants: tenants in flight finish and are recorded, the run
/// ends `cancelled` and can be resumed by running it again with the same request key.
#[pyclass(frozen, module = "entra_sync")]
#[derive(Default)]
pub struct CancelToken {
    inner: RustCancelToken,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    fn cancel(&self) {
        self.inner.cancel();
    }

    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

/// The engine's options for a run of `sync_all` / `sync_client`: the request with its trigger,
/// the host's progress callback and its cancel token.
fn run_options(
    py: Python<'_>,
    request: RunRequest,
    trigger: &str,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<&Bound<'_, CancelToken>>,
) -> PyResult<SyncAllOptions> {
    let mut options = request
        .with_trigger_name(trigger)
        .and_then(RunRequest::into_options)
        .map_err(|e| errors::core_error(py, &e))?;
    options.cancel = cancel.map(|c| c.get().inner.clone());
    options.progress = on_progress.map(progress_callback);
    Ok(options)
}

/// Hands each progress event to the host's `on_progress(event)` as a dict, from the engine's
/// worker threads; an exception it raises is reported as unraisable, never stopping the run.
fn progress_callback(callback: Py<PyAny>) -> ProgressCallback {
    Arc::new(move |event: &ProgressEvent| {
        let _ = runtime::attach(|py| {
            let result = ser::small_to_py(py, event).and_then(|arg| callback.call1(py, (arg,)));
            if let Err(err) = result {
                err.write_unraisable(py, None);
            }
        });
    })
}

/// Discovery, mapping and contact sync over a provider and a store.
#[pyclass(frozen, module = "entra_sync")]
pub struct SyncEngine {
    inner: DynEngine,
    /// `SyncEngine(store=<the store's class>)`.
    repr: String,
}

#[pymethods]
impl SyncEngine {
    /// `provider`: a `GraphProvider` or `CippProvider`; `store`: a `MemoryStore` or `SqliteStore`.
    #[new]
    fn new(provider: &Bound<'_, PyAny>, store: &Bound<'_, PyAny>) -> PyResult<Self> {
        let provider = dyn_provider(provider)?;
        let repr = format!("SyncEngine(store={})", store.get_type().qualname()?);
        let store = match store.cast::<Store>() {
            Ok(store) => store.get().store.clone(),
            Err(_) => {
                return Err(errors::invalid_input(
                    store.py(),
                    "`store` must be a MemoryStore or a SqliteStore",
                ));
            }
        };
        let inner = Engine::new(provider, store);
        Ok(Self { inner, repr })
    }

    /// Lists the managed tenants and merges them into the store (nothing is ever deleted).
    fn discover<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.discover().await })
    }

    /// Suggests a client for every listed tenant; writes nothing.
    #[pyo3(signature = (options = None))]
    fn preview_mappings<'py>(
        &self,
        py: Python<'py>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options: PreviewOptions = match options {
            Some(o) if !o.is_none() => de::arg(py, o, "options")?,
            _ => PreviewOptions::default(),
        };
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.preview_mappings(options).await })
    }

    /// Applies operator decisions (`confirm`, `skip`, `remap`, `unmap`) as one batch.
    fn apply_mapping_changes<'py>(
        &self,
        py: Python<'py>,
        operations: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let operations: Vec<MappingOperation> = de::arg(py, operations, "operations")?;
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.apply_mapping_changes(operations).await })
    }

    /// Syncs one mapped tenant (`mapping` is a `TenantMapping` dict); a dry run writes nothing.
    #[pyo3(signature = (mapping, dry_run = false, use_delta = true))]
    fn sync_tenant<'py>(
        &self,
        py: Python<'py>,
        mapping: &Bound<'py, PyAny>,
        dry_run: bool,
        use_delta: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mapping: TenantMapping = de::arg(py, mapping, "mapping")?;
        let options = SyncOptions { dry_run, use_delta };
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.sync_tenant(&mapping, &options).await })
    }

    /// Syncs every mapped tenant with bounded concurrency; one tenant's failure never stops the
    /// others. `on_progress(event)` receives `run_started`, `tenant_started`, `tenant_finished`
    /// and `run_finished` events from the engine's worker threads (keep it quick). The same
    /// `request_key` names the same run: a running run is joined, a cancelled one resumed.
    #[pyo3(signature = (
        dry_run = false,
        use_delta = true,
        concurrency = 4,
        trigger = "manual",
        request_key = None,
        bucket_seconds = 300,
        on_progress = None,
        cancel = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn sync_all<'py>(
        &self,
        py: Python<'py>,
        dry_run: bool,
        use_delta: bool,
        concurrency: usize,
        trigger: &str,
        request_key: Option<String>,
        bucket_seconds: u64,
        on_progress: Option<Py<PyAny>>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = RunRequest {
            dry_run,
            use_delta,
            concurrency,
            request_key,
            bucket_seconds,
            ..RunRequest::default()
        };
        let options = run_options(py, request, trigger, on_progress, cancel)?;
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.sync_all(options).await })
    }

    /// "Sync now" on a client: every tenant mapped to `client_id` as one recorded run of scope
    /// `client` (same options as `sync_all`). Raises `NotMapped` when no tenant is mapped to it.
    #[pyo3(signature = (
        client_id,
        dry_run = false,
        use_delta = true,
        concurrency = 4,
        trigger = "manual",
        request_key = None,
        bucket_seconds = 300,
        on_progress = None,
        cancel = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn sync_client<'py>(
        &self,
        py: Python<'py>,
        client_id: String,
        dry_run: bool,
        use_delta: bool,
        concurrency: usize,
        trigger: &str,
        request_key: Option<String>,
        bucket_seconds: u64,
        on_progress: Option<Py<PyAny>>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = RunRequest {
            dry_run,
            use_delta,
            concurrency,
            request_key,
            bucket_seconds,
            ..RunRequest::default()
        };
        let options = run_options(py, request, trigger, on_progress, cancel)?;
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.sync_client(&client_id, options).await })
    }

    /// Discovery as a recorded run of scope `discovery`: `{run, report, joined}`. A failed
    /// listing is recorded as a failed run and raised.
    #[pyo3(signature = (trigger = "manual", request_key = None, bucket_seconds = 300))]
    fn discover_run<'py>(
        &self,
        py: Python<'py>,
        trigger: &str,
        request_key: Option<String>,
        bucket_seconds: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = RunRequest {
            request_key,
            bucket_seconds,
            ..RunRequest::default()
        };
        let options = request
            .with_trigger_name(trigger)
            .and_then(RunRequest::into_options)
            .map_err(|e| errors::core_error(py, &e))?;
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.discover_run(options).await })
    }

    fn __repr__(&self) -> String {
        self.repr.clone()
    }
}

/// Registers the classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MemoryStore>()?;
    m.add_class::<SqliteStore>()?;
    m.add_class::<CancelToken>()?;
    m.add_class::<SyncEngine>()?;
    m.add_function(wrap_pyfunction!(cipp_secrets, m)?)?;
    Ok(())
}
