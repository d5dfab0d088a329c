//! `ClientIndex`: the PSA's clients indexed once for many mapping previews. Indexing the clients
//! is most of a preview's cost, so a host that previews a few new tenants at a time against the
//! same clients keeps one index and calls `preview` on it (the Python binding's class of the
//! same name, over the same [`PreviewIndex`]).
//!
//! `index.preview(input)` returns exactly what `previewMappings({...input, clients, options})`
//! returns. Values cross as JSON text, as for the pure functions (see `pure.rs`).

use std::sync::Arc;

use entra_core::mapping::{IndexedPreviewInput, PreviewIndex, PreviewIndexInput};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use serde_json::Value;

use crate::errors;
use crate::pure::{join, parse};

/// The PSA's clients and the preview options, validated and indexed once. `index.js` wraps it
/// in its `ClientIndex` class.
#[napi]
pub struct ClientIndex {
    inner: Arc<PreviewIndex>,
}

#[napi]
impl ClientIndex {
    /// Validates and indexes `{clients, options}` (JSON text in pieces); invalid clients or
    /// options are `invalid_input`, as `previewMappings` reports them.
    #[napi(factory)]
    pub fn build(args: Vec<String>) -> napi::Result<Self> {
        errors::guard(|| {
            let text = join(args);
            let value = parse(&text, "")?;
            let input: PreviewIndexInput =
                entra_core::json::from_value(&value).map_err(|e| errors::error(&e))?;
            let inner = PreviewIndex::from_input(input).map_err(|e| errors::error(&e))?;
            Ok(Self {
                inner: Arc::new(inner),
            })
        })
    }

    /// `previewMappings` of `{tenants, mappings?}` (JSON text in pieces) against the indexed
    /// clients, as JSON text. An input carrying its own `clients` or `options` is
    /// `invalid_input`: they belong to the index.
    #[napi]
    pub fn preview(&self, input: Vec<String>) -> napi::Result<String> {
        errors::guard(|| preview(&self.inner, &join(input)))
    }

    /// Like `preview`, as a Promise computed off the JavaScript thread.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn preview_async(&self, input: Vec<String>) -> AsyncTask<PreviewTask> {
        AsyncTask::new(PreviewTask {
            index: Arc::clone(&self.inner),
            input,
        })
    }

    /// How many clients the index holds.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.clients().len()).unwrap_or(u32::MAX)
    }
}

/// One preview of an index, from JSON text to JSON text.
fn preview(index: &PreviewIndex, input: &str) -> napi::Result<String> {
    let input = parse(input, "")?;
    if let Value::Object(fields) = &input {
        for key in ["clients", "options"] {
            if fields.contains_key(key) {
                return Err(errors::invalid_input(&format!(
                    "field `{key}` belongs to the ClientIndex: build another index for other {key}"
                )));
            }
        }
    }
    let input: IndexedPreviewInput =
        entra_core::json::from_value(&input).map_err(|e| errors::error(&e))?;
    let output = index.preview_input(&input).map_err(|e| errors::error(&e))?;
    crate::runtime::to_json(&output)
}

/// [`ClientIndex::preview`] on libuv's worker pool (the index is shared, never copied).
pub struct PreviewTask {
    index: Arc<PreviewIndex>,
    input: Vec<String>,
}

impl Task for PreviewTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<String> {
        let input = join(std::mem::take(&mut self.input));
        errors::guard(|| preview(&self.index, &input))
    }

    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}
