//! `MemoryStore`, `SqliteStore` and `SyncEngine`: the Rust engine over a provider and a store,
//! with async methods returning asyncio awaitables. Progress arrives through a callback (called
//! from the engine's worker threads); `CancelToken` stops a run between tenants.

use std::sync::Arc;

use entra_core::engine::{
    CancelToken as RustCancelToken, EngineError, ProgressEvent, SyncAllOptions,
    SyncEngine as Engine, SyncOptions,
};
use entra_core::ids::RunTrigger;
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{Client, Contact, Resolution, SyncSettings, TenantMapping};
use entra_core::store::{
    MemoryStore as RustMemoryStore, SqliteStore as RustSqliteStore, StoreError, SyncStore,
};
use pyo3::prelude::*;
use serde::de::DeserializeOwned;

use crate::convert::JsonOut;
use crate::errors;
use crate::providers::{AnyProvider, any_provider, to_json};
use crate::{logging, pure, runtime};

fn store_error(py: Python<'_>, err: &StoreError) -> PyErr {
    errors::error(py, err)
}

/// A wrapped error converts as itself (its class, code, details and cause chain).
fn engine_error(err: EngineError) -> PyErr {
    Python::attach(|py| match &err {
        EngineError::Provider(e) => errors::error(py, e),
        EngineError::Store(e) => errors::error(py, e),
        EngineError::Core(e) => errors::error(py, e),
        EngineError::RunId(e) => errors::error(py, e),
        EngineError::NotMapped { .. } | EngineError::AttemptsExhausted { .. } => {
            errors::error(py, &err)
        }
    })
}

/// Reads a Python argument into a typed record of the contract.
fn arg<T: DeserializeOwned>(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<T> {
    let json = pure::json_arg(py, value, name)?;
    entra_core::json::from_value(&json)
        .map_err(|e| errors::invalid_input(py, &format!("`{name}`: {e}")))
}

/// Either store, shared between the Python object and the engines built over it.
#[derive(Clone)]
enum AnyStore {
    Memory(Arc<RustMemoryStore>),
    Sqlite(Arc<RustSqliteStore>),
}

macro_rules! on_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            AnyStore::Memory($s) => $body,
            AnyStore::Sqlite($s) => $body,
        }
    };
}

/// The store calls a host needs from Python: seeding its CRM records, reading what sync wrote,
/// answering the reconciliation queue and keeping per-tenant settings.
fn store_call<'py, T, F, Fut>(py: Python<'py>, store: AnyStore, f: F) -> PyResult<Bound<'py, PyAny>>
where
    F: FnOnce(AnyStore) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    T: serde::Serialize + Send + 'static,
{
    logging::refresh(py);
    runtime::spawn_awaitable(py, async move {
        let value = f(store)
            .await
            .map_err(|e| Python::attach(|py| store_error(py, &e)))?;
        Ok(JsonOut(to_json(&value)?))
    })
}

macro_rules! store_methods {
    ($ty:ident, $($extra:tt)*) => {
        #[pymethods]
        impl $ty {
            $($extra)*

            /// Adds or replaces the host's clients (mapping candidates).
            fn upsert_clients<'py>(&self, py: Python<'py>, clients: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                let clients: Vec<Client> = arg(py, clients, "clients")?;
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.upsert_clients(&clients).await)
                })
            }

            /// Adds or replaces the host's contacts.
            fn upsert_contacts<'py>(&self, py: Python<'py>, contacts: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                let contacts: Vec<Contact> = arg(py, contacts, "contacts")?;
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.upsert_contacts(&contacts).await)
                })
            }

            /// The stored managed tenants.
            fn load_tenants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), |s| async move { on_store!(&s, s => s.load_tenants().await) })
            }

            /// The current mappings (mapped and skipped tenants).
            fn load_mappings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), |s| async move { on_store!(&s, s => s.load_mappings().await) })
            }

            /// The reconciliation queue of one tenant, or of every tenant.
            #[pyo3(signature = (tenant_id = None))]
            fn load_queue<'py>(&self, py: Python<'py>, tenant_id: Option<String>) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.load_queue(tenant_id.as_deref()).await)
                })
            }

            /// Records an operator's answer to a queued identity; it sticks across runs.
            fn resolve_queue_item<'py>(&self, py: Python<'py>, tenant_id: String, resolution: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                let resolution: Resolution = arg(py, resolution, "resolution")?;
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.resolve_queue_item(&tenant_id, &resolution).await)
                })
            }

            /// One run record, or None.
            fn load_run<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), move |s| async move { on_store!(&s, s => s.load_run(&run_id).await) })
            }

            /// The per-tenant results of a run.
            fn load_tenant_results<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.load_tenant_results(&run_id).await)
                })
            }

            /// A tenant's sync settings (the defaults when none were saved).
            fn load_sync_settings<'py>(&self, py: Python<'py>, tenant_id: String) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.load_sync_settings(&tenant_id).await)
                })
            }

            /// Saves a tenant's sync settings (field toggles, patterns, safety limits).
            fn save_sync_settings<'py>(&self, py: Python<'py>, tenant_id: String, settings: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                let settings: SyncSettings = arg(py, settings, "settings")?;
                store_call(py, self.store(), move |s| async move {
                    on_store!(&s, s => s.save_sync_settings(&tenant_id, &settings).await)
                })
            }

            /// Everything the store holds, for inspection and tests.
            fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                store_call(py, self.store(), |s| async move { on_store!(&s, s => s.snapshot().await) })
            }
        }
    };
}

/// The reference in-memory store: for tests, demos and embedding.
#[pyclass(frozen, module = "entra_sync")]
pub struct MemoryStore {
    inner: Arc<RustMemoryStore>,
}

impl MemoryStore {
    fn store(&self) -> AnyStore {
        AnyStore::Memory(self.inner.clone())
    }
}

/// The durable embedded store: one SQLite file (created with its schema when missing).
#[pyclass(frozen, module = "entra_sync")]
pub struct SqliteStore {
    inner: Arc<RustSqliteStore>,
}

impl SqliteStore {
    fn store(&self) -> AnyStore {
        AnyStore::Sqlite(self.inner.clone())
    }
}

store_methods! {
    MemoryStore,
    #[new]
    fn new() -> Self {
        Self {
            inner: Arc::new(RustMemoryStore::new()),
        }
    }
}

store_methods! {
    SqliteStore,
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let opened = py.detach(|| RustSqliteStore::open(path));
        let inner = opened.map_err(|e| store_error(py, &e))?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// A private in-memory database, gone when the store is dropped.
    #[staticmethod]
    fn in_memory(py: Python<'_>) -> PyResult<Self> {
        let inner = RustSqliteStore::open_in_memory().map_err(|e| store_error(py, &e))?;
        Ok(Self {
            inner: Arc::new(inner),
        })
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

/// One engine, whichever store it runs over.
#[derive(Clone)]
enum AnyEngine {
    Memory(Engine<AnyProvider, RustMemoryStore>),
    Sqlite(Engine<AnyProvider, RustSqliteStore>),
}

macro_rules! on_engine {
    ($engine:expr, $e:ident => $body:expr) => {
        match $engine {
            AnyEngine::Memory($e) => $body,
            AnyEngine::Sqlite($e) => $body,
        }
    };
}

fn engine_call<'py, T, F, Fut>(
    py: Python<'py>,
    engine: AnyEngine,
    f: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: FnOnce(AnyEngine) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
    T: serde::Serialize + Send + 'static,
{
    logging::refresh(py);
    runtime::spawn_awaitable(py, async move {
        let value = f(engine).await.map_err(engine_error)?;
        Ok(JsonOut(to_json(&value)?))
    })
}

fn trigger(name: &str) -> Result<RunTrigger, String> {
    Ok(match name {
        "initial" => RunTrigger::Initial,
        "manual" => RunTrigger::Manual,
        "scheduled" => RunTrigger::Scheduled,
        other => {
            return Err(format!(
                "unknown trigger `{other}` (initial, manual, scheduled)"
            ));
        }
    })
}

/// Discovery, mapping and contact sync over a provider and a store.
#[pyclass(frozen, module = "entra_sync")]
pub struct SyncEngine {
    inner: AnyEngine,
}

#[pymethods]
impl SyncEngine {
    /// `provider`: a `GraphProvider` or `CippProvider`; `store`: a `MemoryStore` or `SqliteStore`.
    #[new]
    fn new(provider: &Bound<'_, PyAny>, store: &Bound<'_, PyAny>) -> PyResult<Self> {
        let provider = Arc::new(any_provider(provider)?);
        let inner = if let Ok(memory) = store.cast::<MemoryStore>() {
            AnyEngine::Memory(Engine::from_shared(provider, memory.get().inner.clone()))
        } else if let Ok(sqlite) = store.cast::<SqliteStore>() {
            AnyEngine::Sqlite(Engine::from_shared(provider, sqlite.get().inner.clone()))
        } else {
            return Err(Python::attach(|py| {
                errors::invalid_input(py, "`store` must be a MemoryStore or a SqliteStore")
            }));
        };
        Ok(Self { inner })
    }

    /// Lists the managed tenants and merges them into the store (nothing is ever deleted).
    fn discover<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        engine_call(py, self.inner.clone(), |e| async move {
            on_engine!(&e, e => e.discover().await)
        })
    }

    /// Suggests a client for every listed tenant; writes nothing.
    #[pyo3(signature = (options = None))]
    fn preview_mappings<'py>(
        &self,
        py: Python<'py>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options: PreviewOptions = match options {
            Some(o) if !o.is_none() => arg(py, o, "options")?,
            _ => PreviewOptions::default(),
        };
        engine_call(py, self.inner.clone(), move |e| async move {
            on_engine!(&e, e => e.preview_mappings(options).await)
        })
    }

    /// Applies operator decisions (`confirm`, `skip`, `remap`, `unmap`) as one batch.
    fn apply_mapping_changes<'py>(
        &self,
        py: Python<'py>,
        operations: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let operations: Vec<MappingOperation> = arg(py, operations, "operations")?;
        engine_call(py, self.inner.clone(), move |e| async move {
            on_engine!(&e, e => e.apply_mapping_changes(operations).await)
        })
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
        let mapping: TenantMapping = arg(py, mapping, "mapping")?;
        let options = SyncOptions { dry_run, use_delta };
        engine_call(py, self.inner.clone(), move |e| async move {
            on_engine!(&e, e => e.sync_tenant(&mapping, &options).await)
        })
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
        let trigger = self::trigger(trigger).map_err(|m| errors::invalid_input(py, &m))?;
        let progress = on_progress.map(|callback| {
            let callback = Arc::new(callback);
            let f: entra_core::engine::ProgressCallback = Arc::new(move |event: &ProgressEvent| {
                let Ok(payload) = serde_json::to_value(event) else {
                    return;
                };
                let callback = callback.clone();
                let _ = crate::runtime::attach(move |py| {
                    let result = crate::convert::to_py(py, &payload)
                        .and_then(|arg| callback.call1(py, (arg,)));
                    if let Err(err) = result {
                        err.write_unraisable(py, None);
                    }
                });
            });
            f
        });
        let options = SyncAllOptions {
            sync: SyncOptions { dry_run, use_delta },
            concurrency: concurrency.max(1),
            trigger,
            request_key,
            bucket_seconds,
            now_ms: None,
            cancel: cancel.map(|c| c.get().inner.clone()),
            progress,
        };
        engine_call(py, self.inner.clone(), move |e| async move {
            on_engine!(&e, e => e.sync_all(options).await)
        })
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            AnyEngine::Memory(_) => "SyncEngine(store=MemoryStore)".into(),
            AnyEngine::Sqlite(_) => "SyncEngine(store=SqliteStore)".into(),
        }
    }
}

/// Registers the classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MemoryStore>()?;
    m.add_class::<SqliteStore>()?;
    m.add_class::<CancelToken>()?;
    m.add_class::<SyncEngine>()?;
    Ok(())
}
