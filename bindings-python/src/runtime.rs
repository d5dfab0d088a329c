//! The one tokio runtime the package owns, and its end at interpreter exit.
//!
//! Every awaitable (providers, engine, `call_async`) and the sandbox's servers run on it; asyncio
//! awaits the results through `pyo3-async-runtimes`, driven through its `generic` module by
//! [`PackageRuntime`] so that the package, not a process-wide static, owns the runtime.
//!
//! CPython kills any thread that attaches to the interpreter once finalization has begun (on
//! 3.11 through `pthread_exit`, which aborts when it unwinds through Rust frames, or with the
//! fatal `PyGILState_Release` error). A worker thread that outlives the interpreter would
//! attach to it: to hand an asyncio future its result, to forward a log event, to call a host
//! callback. So an `atexit` handler, registered when the module is imported, ends the runtime
//! before finalization starts: it marks the package as exiting (nothing attaches to Python
//! afterwards, calls raise `EntraSyncError(code="runtime_stopped")`), releases the GIL so that
//! work already attached can finish, and shuts the runtime down, joining its threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{self, ContextExt};
use tokio::runtime::{Handle, Runtime};

use entra_core::BindingErrorCode;

use crate::errors;

/// The runtime until the exit handler takes it to shut it down.
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

/// The runtime's handle, for spawning. It outlives the runtime: spawning through it after the
/// shutdown drops the task instead of running it.
static HANDLE: OnceLock<Handle> = OnceLock::new();

/// Set by the exit handler, before the runtime is shut down; never cleared.
static EXITING: AtomicBool = AtomicBool::new(false);

/// How long the exit handler waits for running work (a result being handed to asyncio, a
/// callback) before letting the interpreter finalize.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// True once the interpreter has started exiting: nothing may attach to Python any more.
pub fn exiting() -> bool {
    EXITING.load(Ordering::Acquire)
}

/// The error of a call made once the runtime has been shut down at interpreter exit.
fn stopped(py: Python<'_>) -> PyErr {
    errors::binding(
        py,
        BindingErrorCode::RuntimeStopped,
        "the interpreter is exiting: entra_sync's runtime has been shut down",
    )
}

/// The runtime's handle, or `runtime_stopped` once the interpreter is exiting.
fn handle(py: Python<'_>) -> PyResult<&'static Handle> {
    if exiting() {
        return Err(stopped(py));
    }
    HANDLE
        .get()
        .ok_or_else(|| errors::binding(py, BindingErrorCode::Internal, "no runtime"))
}

/// Builds the runtime and registers the exit handler that shuts it down. Called once, when the
/// module is imported.
pub fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("entra-sync")
        .build()
        .map_err(|e| errors::internal(format!("cannot start the async runtime: {e}")))?;
    if HANDLE.set(runtime.handle().clone()).is_err() {
        // The module was initialized before (a second import after deleting it from
        // `sys.modules`): the first runtime and its exit handler stay in charge.
        return Ok(());
    }
    *RUNTIME.lock().unwrap_or_else(|e| e.into_inner()) = Some(runtime);
    let handler = wrap_pyfunction!(_shutdown_runtime, m)?;
    m.add_function(handler.clone())?;
    py.import("atexit")?.call_method1("register", (handler,))?;
    Ok(())
}

/// Shuts the runtime down; registered with `atexit`, so it runs before the interpreter
/// finalizes. In-flight calls are dropped (their awaitables never complete), then every
/// thread of the runtime is joined. Later calls raise `runtime_stopped`. Idempotent.
#[pyfunction]
pub fn _shutdown_runtime(py: Python<'_>) {
    EXITING.store(true, Ordering::Release);
    let taken = RUNTIME.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(runtime) = taken {
        // Without the GIL: a worker waiting to attach (a result handed to asyncio, a log
        // event) must be able to finish before its thread can be joined.
        py.detach(|| runtime.shutdown_timeout(SHUTDOWN_GRACE));
    }
}

/// Runs `f` attached to the interpreter, unless the interpreter is exiting (then `None`). For
/// code on the runtime's threads that reaches into Python: log forwarding, host callbacks.
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    if exiting() {
        return None;
    }
    Python::try_attach(f)
}

/// `pyo3-async-runtimes`' view of the package's runtime.
pub struct PackageRuntime;

tokio::task_local! {
    static TASK_LOCALS: TaskLocals;
}

impl generic::Runtime for PackageRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // `spawn_awaitable` checked that the runtime was installed before handing out a
        // future, and `HANDLE` is never unset.
        HANDLE
            .get()
            .expect("the runtime is installed when the module is imported")
            .spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        // These closures attach to Python (to complete an asyncio future): once the
        // interpreter is exiting they are dropped unrun; the Python objects they hold are
        // released by pyo3's deferred reference counting.
        HANDLE
            .get()
            .expect("the runtime is installed when the module is imported")
            .spawn_blocking(move || {
                if !exiting() {
                    f();
                }
            })
    }
}

impl ContextExt for PackageRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(TaskLocals::clone).ok()
    }
}

/// Turns a Rust future into an asyncio awaitable; a panic inside it becomes
/// `EntraSyncError(code="internal")`, a call made while the interpreter exits
/// `EntraSyncError(code="runtime_stopped")`.
pub fn spawn_awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    handle(py)?;
    generic::future_into_py::<PackageRuntime, _, _>(py, async move {
        match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            Ok(result) => result,
            Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
        }
    })
}

/// A Rust call as an awaitable of its typed result as plain Python data (written by
/// `ser::to_py`); its error becomes the exception of its kind.
pub fn typed_awaitable<'py, T, E, Fut>(py: Python<'py>, call: Fut) -> PyResult<Bound<'py, PyAny>>
where
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    E: entra_core::Classified,
    T: serde::Serialize + Send + 'static,
{
    crate::logging::refresh(py);
    spawn_awaitable(py, async move {
        Ok(crate::ser::Out(call.await.map_err(errors::py_err)?))
    })
}

/// Runs a future to completion from synchronous code, with the GIL released meanwhile.
///
/// A thread still in here when the interpreter exits can only be a daemon thread (the others
/// were joined before the exit handler ran): it never returns to Python, whose finalization
/// would kill it as it attaches, but waits for the process to end.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send,
    T: Send,
{
    let handle = handle(py)?;
    py.detach(|| {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle.block_on(fut)));
        while exiting() {
            std::thread::park();
        }
        match result {
            Ok(result) => result,
            Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
        }
    })
}
