//! The one tokio runtime the package owns. Every awaitable (providers, engine) and the sandbox's
//! servers run on it; asyncio awaits the results through `pyo3-async-runtimes`.

use std::future::Future;
use std::sync::OnceLock;

use futures::FutureExt;
use pyo3::prelude::*;

use crate::errors;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The package's runtime, built on first use.
pub fn get() -> PyResult<&'static tokio::runtime::Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("entra-sync")
        .build()
        .map_err(|e| errors::internal(format!("cannot start the async runtime: {e}")))?;
    // Another thread may have won the race; either runtime is fine, the loser is dropped.
    let _ = RUNTIME.set(built);
    RUNTIME
        .get()
        .ok_or_else(|| errors::internal("the async runtime is not available"))
}

/// Hands the runtime to `pyo3-async-runtimes`, so awaitables run on it.
pub fn install() -> PyResult<()> {
    let rt = get()?;
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(rt);
    Ok(())
}

/// Turns a Rust future into an asyncio awaitable; a panic inside it becomes
/// `EntraSyncError(code="internal")`.
pub fn spawn_awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            Ok(result) => result,
            Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
        }
    })
}

/// Runs a future to completion from synchronous code, with the GIL released meanwhile.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send,
    T: Send,
{
    let rt = get()?;
    py.detach(|| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(fut))) {
            Ok(result) => result,
            Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
        }
    })
}
