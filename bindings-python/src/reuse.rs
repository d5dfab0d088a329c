//! The caller's input dicts behind the user records a result carries unchanged (found by
//! `entra_providers::host::user_sources`), so the result can hand those dicts back instead of
//! building equal ones, as Python's own `filter` would. The serializer reuses a dict only when
//! it already equals the record's canonical form (see `ser::Reuse`).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// The input dicts at `indices` in the list (or tuple) under `field` of the input dict; `None`
/// where there is no plain dict.
pub fn candidates<'py>(
    input: &Bound<'py, PyAny>,
    field: &str,
    indices: &[Option<usize>],
) -> Vec<Option<Bound<'py, PyDict>>> {
    let items = input
        .cast::<PyDict>()
        .ok()
        .and_then(|dict| dict.get_item(field).ok().flatten());
    let at = |index: usize| -> Option<Bound<'py, PyAny>> {
        let items = items.as_ref()?;
        if let Ok(list) = items.cast_exact::<PyList>() {
            return list.get_item(index).ok();
        }
        items.cast_exact::<PyTuple>().ok()?.get_item(index).ok()
    };
    indices
        .iter()
        .map(|index| {
            let item = at((*index)?)?;
            item.cast_into_exact::<PyDict>().ok()
        })
        .collect()
}
