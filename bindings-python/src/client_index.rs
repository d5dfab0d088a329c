//! `ClientIndex`: the PSA's clients indexed once for many mapping previews. Indexing the clients
//! is most of a preview's cost, so a host that previews a few new tenants at a time against the
//! same clients keeps one index and calls `preview` on it.
//!
//! `index.preview(input)` returns exactly what `preview_mappings({**input, "clients": clients,
//! "options": options})` returns.

use entra_core::mapping::{IndexedPreviewInput, PreviewIndex, PreviewIndexInput};
use pyo3::prelude::*;
use pyo3::types::PyDict;

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
            // Read as `preview_mappings` reads these two fields, so errors name them alike.
            let args = PyDict::new(py);
            args.set_item("clients", clients)?;
            if let Some(options) = options {
                args.set_item("options", options)?;
            }
            let input: PreviewIndexInput = de::arg(py, &args, "")?;
            let inner = detached(py, move || PreviewIndex::from_input(input))?;
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

/// Adds the class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ClientIndex>()
}
