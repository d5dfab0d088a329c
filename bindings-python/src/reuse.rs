//! Finds the caller's input dict behind each user record a result carries unchanged (the
//! filter's included and excluded users, a plan's excluded users), so the result can hand those
//! dicts back instead of building equal ones, as Python's own `filter` would. The serializer
//! reuses a dict only when it already equals the record's canonical form (see `ser::Reuse`).

use entra_core::model::EntraUser;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// For each output user in order, the index of the input user it copies. The outputs keep the
/// input order (one list of a result, not two interleaved), so one forward scan finds them all; an output not found ends the search (the rest get
/// no hint, which costs time, never correctness).
pub fn sources<'a>(
    outputs: impl IntoIterator<Item = &'a EntraUser>,
    inputs: &[EntraUser],
) -> Vec<Option<usize>> {
    let mut next = 0;
    let mut lost = false;
    outputs
        .into_iter()
        .map(|user| {
            if lost {
                return None;
            }
            let found = inputs.get(next..).and_then(|rest| {
                rest.iter().position(|candidate| {
                    candidate.entra_object_id == user.entra_object_id && candidate == user
                })
            });
            match found {
                Some(offset) => {
                    next += offset + 1;
                    Some(next - 1)
                }
                None => {
                    lost = true;
                    None
                }
            }
        })
        .collect()
}

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
