//! `MemoryStore`, `SqliteStore` and `SyncEngine`: the Rust engine over a provider and a store,
//! with async methods returning asyncio awaitables. Progress arrives through a callback (called
//! from the engine's worker threads); `CancelToken` stops a run between tenants.

use std::sync::Arc;

use entra_core::clock::now_ms;
use entra_core::engine::{
    CancelToken as RustCancelToken, DynEngine, ProgressCallback, ProgressEvent, RunRequest,
    SyncAllOptions, SyncEngine as Engine, SyncOptions,
};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::TenantMapping;
use entra_core::store::{
    DEFAULT_ACCOUNT_ID, DynStore, MemoryStore as RustMemoryStore, SqliteStore as RustSqliteStore,
};
use entra_providers::host::{self, CallArgs, HostError, StoreCall};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use serde::de::DeserializeOwned;

use crate::errors;
use crate::providers::dyn_provider;
use crate::{de, runtime, ser};

/// A call's positional arguments, read with the fast reader (`de::arg`).
struct PyArgs<'a, 'py> {
    py: Python<'py>,
    args: &'a Bound<'py, PyTuple>,
}

impl CallArgs for PyArgs<'_, '_> {
    type Error = PyErr;

    fn error(&self, err: HostError) -> PyErr {
        errors::error(self.py, &err)
    }

    fn arg<T: DeserializeOwned>(&self, index: usize, name: &str) -> PyResult<T> {
        match self.args.get_item(index) {
            Ok(value) => de::arg(self.py, &value, name),
            Err(_) => de::arg(self.py, &self.py.None().into_bound(self.py), name),
        }
    }
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
    /// One of the store's calls by name (`entra_providers::host::StoreCall`), as an awaitable
    /// of its answer; the package's store classes give each call its method.
    #[pyo3(signature = (method, *args))]
    fn _call<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = StoreCall::read(method, &PyArgs { py, args })?;
        let store = self.store.clone();
        runtime::typed_awaitable(py, async move { call.run(store.as_ref(), now_ms()).await })
    }

    /// The PSA account whose records this store reads and writes (`"default"` unless opened
    /// with `account_id`).
    #[getter]
    fn account_id(&self) -> String {
        self.store.account_id().to_string()
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
#[pyclass(extends = Store, subclass, frozen, module = "entra_sync")]
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
#[pyclass(extends = Store, subclass, frozen, module = "entra_sync")]
#[derive(Default)]
pub struct SqliteStore;

#[pymethods]
impl SqliteStore {
    /// `account_id`: the PSA account this store serves in the database (default `"default"`);
    /// one file holds many accounts, each store reads and writes only its own. `path=None`: a
    /// private in-memory database, gone when the store is dropped.
    #[new]
    #[pyo3(signature = (path, account_id = None))]
    fn new(
        py: Python<'_>,
        path: Option<std::path::PathBuf>,
        account_id: Option<String>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opened = match (path, account_id) {
            (None, None) => RustSqliteStore::open_in_memory(),
            (path, account) => {
                let path = path.unwrap_or_else(|| ":memory:".into());
                let account = account.unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_string());
                py.detach(|| RustSqliteStore::open_for_account(path, &account))
            }
        };
        Ok(Store::init(Arc::new(
            opened.map_err(|e| errors::error(py, &e))?,
        )))
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

/// The engine's options for a run of `sync_all` / `sync_client` from their keyword arguments
/// (`**options` of `function`, documented on `sync_all`): a misspelt keyword or a wrong type is a
/// `TypeError`, as for any Python function.
fn run_options(
    py: Python<'_>,
    function: &str,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<SyncAllOptions> {
    let mut request = RunRequest::default();
    let mut trigger = String::from("manual");
    let mut on_progress = None;
    let mut cancel = None;
    for (key, value) in options.map(|o| o.iter()).into_iter().flatten() {
        let key: String = key.extract()?;
        let wrong = |e: PyErr| PyTypeError::new_err(format!("{function}() argument '{key}': {e}"));
        match key.as_str() {
            "dry_run" => request.dry_run = value.extract().map_err(wrong)?,
            "use_delta" => request.use_delta = value.extract().map_err(wrong)?,
            "concurrency" => request.concurrency = value.extract().map_err(wrong)?,
            "trigger" => trigger = value.extract().map_err(wrong)?,
            "request_key" => request.request_key = value.extract().map_err(wrong)?,
            "bucket_seconds" => request.bucket_seconds = value.extract().map_err(wrong)?,
            "on_progress" => on_progress = (!value.is_none()).then(|| value.unbind()),
            "cancel" if value.is_none() => cancel = None,
            "cancel" => {
                cancel = Some(
                    value
                        .cast::<CancelToken>()
                        .map_err(|e| wrong(e.into()))?
                        .get()
                        .inner
                        .clone(),
                )
            }
            other => {
                return Err(PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{other}'"
                )));
            }
        }
    }
    let mut options = request
        .with_trigger_name(&trigger)
        .and_then(RunRequest::into_options)
        .map_err(|e| errors::core_error(py, &e))?;
    options.cancel = cancel;
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
    /// others. Keyword options: `dry_run=False`, `use_delta=True`, `concurrency=4`,
    /// `trigger="manual"`, `request_key=None`, `bucket_seconds=300`, `on_progress=None`,
    /// `cancel=None`. `on_progress(event)` receives `run_started`, `tenant_started`,
    /// `tenant_finished` and `run_finished` events from the engine's worker threads (keep it
    /// quick). The same `request_key` names the same run: a running run is joined, a cancelled
    /// one resumed.
    #[pyo3(signature = (**options))]
    fn sync_all<'py>(
        &self,
        py: Python<'py>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = run_options(py, "sync_all", options)?;
        let e = self.inner.clone();
        runtime::typed_awaitable(py, async move { e.sync_all(options).await })
    }

    /// "Sync now" on a client: every tenant mapped to `client_id` as one recorded run of scope
    /// `client` (the keyword options of `sync_all`). Raises `NotMapped` when no tenant is mapped
    /// to it.
    #[pyo3(signature = (client_id, **options))]
    fn sync_client<'py>(
        &self,
        py: Python<'py>,
        client_id: String,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = run_options(py, "sync_client", options)?;
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
