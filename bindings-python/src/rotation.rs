//! `on_tokens_rotated`: the host's callback that persists every new partner token set, as the
//! host layer's [`HostTokenCallback`]. A callback that raises, or that cannot run because the
//! interpreter is exiting, is a failed persist; the host layer makes the provider call during
//! which it happened fail with it (see `entra_providers::host::rotation`).

use entra_providers::host::HostTokenCallback;
use pyo3::prelude::*;
use serde_json::Value;

use crate::{errors, runtime, ser};

/// Calls `callback(tokens)` with the token-set dict. Only the exception's type is reported: its
/// message is the host's and may quote the very token it failed to write.
pub fn python_callback(callback: Py<PyAny>) -> impl HostTokenCallback {
    move |tokens: &Value| -> Result<(), String> {
        runtime::attach(|py| {
            ser::small_to_py(py, tokens)
                .and_then(|arg| callback.call1(py, (arg,)).map(drop))
                .map_err(|err| {
                    format!(
                        "the on_tokens_rotated callback raised {}",
                        errors::raised_type(py, &err)
                    )
                })
        })
        .unwrap_or_else(|| Err("the interpreter is exiting".to_string()))
    }
}
