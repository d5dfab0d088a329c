//! `ClientIndex`: the PSA's clients indexed once for many mapping previews. Indexing the clients
//! is most of a preview's cost, so a host that previews a few new tenants at a time against the
//! same clients keeps one index and calls `preview` on it.
//!
//! `index.preview(input)` returns exactly what `preview_mappings({**input, "clients": clients,
//! "options": options})` returns.

use entra_core::mapping::{IndexedPreviewInput, PreviewIndex, PreviewOptions};
use entra_core::model::Client;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::convert::json_arg;
use crate::pure::detached;
use crate::{de, errors, logging, ser};

/// The PSA's clients and the preview options, validated and indexed once.
#[pyclass(frozen, module = "entra_sync")]
pub struct ClientIndex {
    inner: PreviewIndex,
}

#[pymethods]
impl ClientIndex {
    /// `clients`: the PSA's clients (a list of Client dicts); `options`: `{threshold, topK}` as
    /// `preview_mappings` takes them (the defaults when omitted). Invalid clients or options
    /// raise `InvalidInput`, as `preview_mappings` would.
    #[new]
    #[pyo3(signature = (clients, options = None))]
    fn new(
        py: Python<'_>,
        clients: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        errors::guard(|| {
            logging::refresh(py);
            let clients = json_arg(py, clients, "clients")?;
            let options = match options {
                Some(o) if !o.is_none() => json_arg(py, o, "options")?,
                _ => Value::Null,
            };
            let inner = detached(py, move || {
                let clients: Vec<Client> = entra_core::json::from_value(&serde_json::json!({
                    "clients": clients
                }))
                .map(|w: ClientsField| w.clients)?;
                let options: PreviewOptions =
                    entra_core::json::from_value(&serde_json::json!({ "options": options }))
                        .map(|w: OptionsField| w.options)?;
                PreviewIndex::new(clients, options)
            })?;
            Ok(Self { inner })
        })
    }

    /// `input`: `{tenants, mappings?}` as `preview_mappings` takes them; returns what
    /// `preview_mappings` returns for that input with this index's clients and options. An
    /// input carrying its own `clients` or `options` raises `InvalidInput`: they belong to the
    /// index.
    fn preview<'py>(
        &self,
        py: Python<'py>,
        input: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        errors::guard(|| {
            logging::refresh(py);
            if let Ok(dict) = input.cast::<PyDict>() {
                for key in ["clients", "options"] {
                    if dict.contains(key)? {
                        return Err(errors::invalid_input(
                            py,
                            &format!(
                                "field `{key}` belongs to the ClientIndex: build another index for other {key}"
                            ),
                        ));
                    }
                }
            }
            let input: IndexedPreviewInput = de::arg(py, input, "")?;
            let index = &self.inner;
            let output = detached(py, move || index.preview_input(&input))?;
            ser::small_to_py(py, &output)
        })
    }

    /// How many clients the index holds.
    fn __len__(&self) -> usize {
        self.inner.clients().len()
    }

    fn __repr__(&self) -> String {
        format!("ClientIndex(clients={})", self.inner.clients().len())
    }
}

/// The clients under their contract field name, so a bad one is reported as `clients[i]...`.
#[derive(serde::Deserialize)]
struct ClientsField {
    clients: Vec<Client>,
}

/// The options under their contract field name (`null` or absent: the defaults).
#[derive(serde::Deserialize)]
struct OptionsField {
    #[serde(default, deserialize_with = "null_default")]
    options: PreviewOptions,
}

fn null_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PreviewOptions, D::Error> {
    use serde::Deserialize;
    Ok(Option::<PreviewOptions>::deserialize(d)?.unwrap_or_default())
}

/// Adds the class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ClientIndex>()
}
