//! Rust futures as JavaScript Promises, on napi's tokio runtime (which the sandbox's servers,
//! the providers and the engine share). A panic inside a future rejects its Promise with code
//! `internal`; it never unwinds into Node.

use std::future::Future;

use futures::FutureExt;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use serde::Serialize;

use crate::errors;

/// Runs `fut` on the runtime; its Promise resolves with the value or rejects with the error.
pub fn spawn<T, F>(env: &Env, fut: F) -> napi::Result<PromiseRaw<'_, T>>
where
    T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
    F: Future<Output = napi::Result<T>> + Send + 'static,
{
    env.spawn_future(async move {
        match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            Ok(result) => result,
            Err(payload) => Err(errors::internal(errors::panic_message(payload.as_ref()))),
        }
    })
}

/// Serializes a result record as JSON text; the records are plain data, so failure means a bug.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> napi::Result<String> {
    serde_json::to_string(value).map_err(|e| errors::internal(format!("cannot serialize: {e}")))
}

/// A Rust call as a Promise of its result as JSON text (`index.js` parses it); its error goes
/// through `to_err`.
pub fn json_promise<T, E, Fut>(
    env: &Env,
    call: Fut,
    to_err: fn(E) -> napi::Error,
) -> napi::Result<PromiseRaw<'_, String>>
where
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    E: 'static,
    T: Serialize + Send + 'static,
{
    spawn(env, async move {
        let value = call.await.map_err(to_err)?;
        to_json(&value)
    })
}
