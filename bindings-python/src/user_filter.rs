//! `filter_users(input, returns="inputs" | "positions")`: the filter over the caller's own user
//! dicts, whatever their shape (Graph's `mail`, missing contract keys, extra keys such as `id` or
//! `@odata.type`), returning those very objects (as Python's `filter` does) or their positions.
//!
//! A host filtering a listing straight from Graph or its database spent most of a call reading
//! every field of every dict into records and writing 100,000 canonical dicts back. These forms
//! read only the fields the filter decides on (copying their texts into one buffer per chunk of
//! users, no record per user) and build no user dict; a large listing is read on the calling
//! thread while a second one classifies the chunks already read. The decisions are the core's
//! own (`UserFilter::classify`, on one reused record per thread), so they are exactly those of
//! the canonical form, in the same order.

use entra_core::filter::fields::{Decisions, FieldChunk, FieldUser, Span};
use entra_core::filter::{ExclusionReason, UserFilter};
use entra_core::model::FilterOptions;
use entra_providers::host::filter_pipeline::decide_while_reading;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use pyo3::{Borrowed, intern};
use serde::Deserialize;

use crate::de::{PyDeserializer, borrowed_item, str_of};
use crate::errors;

/// What `filter_users` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// Canonical user records (the default; the caller's dicts where already canonical).
    Records,
    /// The caller's own user objects, whatever their shape.
    Inputs,
    /// Indices into `users`.
    Positions,
}

impl Returns {
    /// The form named by the `returns` argument; anything else is `InvalidInput`.
    pub fn parse(py: Python<'_>, name: &str) -> PyResult<Self> {
        match name {
            "records" => Ok(Self::Records),
            "inputs" => Ok(Self::Inputs),
            "positions" => Ok(Self::Positions),
            other => Err(errors::invalid_input(
                py,
                &format!(
                    "`returns`: expected \"records\", \"inputs\" or \"positions\", got {other:?}"
                ),
            )),
        }
    }
}

/// Filters `input` and returns the result in the form `returns` (`Inputs` or `Positions`).
///
/// Input the quick reader refuses (a field it reads of the wrong type, a missing required key,
/// both `email` and `mail`, a user that is not a dict) is read in full by the typed reader, and
/// input that refuses too raises exactly the canonical form's error.
pub fn filter<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    returns: Returns,
) -> PyResult<Bound<'py, PyAny>> {
    let (decisions, warnings) = match quick_decisions(py, input)? {
        Some(decisions) => (decisions, Vec::new()),
        None => full_decisions(py, input)?,
    };
    let users = users_of(input);
    let out = write(py, users.as_ref(), &decisions, returns)?;
    if !warnings.is_empty() {
        // The group scope's warnings, as the canonical form carries them.
        let warnings = crate::ser::small_to_py(py, &warnings)?;
        out.set_item(intern!(py, "warnings"), warnings)?;
    }
    Ok(out)
}

/// The `users` sequence of the input dict, when it is a list or tuple.
fn users_of<'py>(input: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    let users = input.cast::<PyDict>().ok()?.get_item("users").ok()??;
    (users.cast::<PyList>().is_ok() || users.cast::<PyTuple>().is_ok()).then_some(users)
}

/// Users read per chunk.
const CHUNK: usize = 4_096;

/// Decisions from the fields the filter reads; `Ok(None)` when the quick reader refuses the
/// input or its patterns. A large listing is classified while it is read (see
/// [`decide_while_reading`]); this thread holds the GIL throughout and runs no Python code.
fn quick_decisions(py: Python<'_>, input: &Bound<'_, PyAny>) -> PyResult<Option<Decisions>> {
    let Ok(dict) = input.cast::<PyDict>() else {
        return Ok(None);
    };
    let options = match dict.get_item("options") {
        Ok(None) => FilterOptions::default(),
        Ok(Some(options)) if options.is_none() => FilterOptions::default(),
        Ok(Some(options)) => match FilterOptions::deserialize(PyDeserializer::new(&options)) {
            Ok(options) => options,
            Err(_) => return Ok(None),
        },
        Err(_) => return Ok(None),
    };
    // The group scope reads object ids and the group listings, which the quick reader does not
    // carry: the typed reader decides.
    if !options.include_group_ids.is_empty() || !options.exclude_group_ids.is_empty() {
        return Ok(None);
    }
    let Some(users) = users_of(input) else {
        return Ok(None);
    };
    // An invalid pattern is reported by the full reader, after the users, as the canonical
    // form reports it.
    let Ok(filter) = UserFilter::new(&options) else {
        return Ok(None);
    };
    let items = Items::new(&users)?;
    let reader = Reader::new(py);
    decide_while_reading(&filter, items.len, |start| reader.read_chunk(&items, start))
        .map_err(|defect| errors::internal(defect.message))
}

/// The users of a list or tuple, read by index.
struct Items<'a, 'py> {
    items: &'a Bound<'py, PyAny>,
    len: usize,
}

impl<'a, 'py> Items<'a, 'py> {
    fn new(users: &'a Bound<'py, PyAny>) -> PyResult<Self> {
        Ok(Self {
            items: users,
            len: users.len()?,
        })
    }

    /// The user at `index` when it is a dict (`None` also when the sequence got shorter).
    fn dict(&self, index: usize) -> Option<Bound<'py, PyDict>> {
        let item = match self.items.cast::<PyList>() {
            Ok(list) => list.get_item(index),
            Err(_) => self.items.cast::<PyTuple>().ok()?.get_item(index),
        };
        item.ok()?.cast_into::<PyDict>().ok()
    }
}

/// Decisions from the users read in full (the canonical form's reader), for input the quick
/// reader refused; input the full reader refuses raises the canonical form's error.
fn full_decisions(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
) -> PyResult<(Decisions, Vec<entra_core::model::Warning>)> {
    let typed: entra_core::filter::FilterInput =
        match entra_core::filter::FilterInput::deserialize(PyDeserializer::new(input)) {
            Ok(typed) => typed,
            Err(_) => {
                // Raises the entry point's error naming the field.
                crate::pure::invoke(py, "filter_users", input)?;
                return Err(errors::invalid_input(py, "the input could not be read"));
            }
        };
    let (filter, warnings) = UserFilter::with_groups(&typed.options, &typed.group_memberships)
        .map_err(|e| errors::core_error(py, &e))?;
    Ok((filter.classify_each(&typed.users).collect(), warnings))
}

/// Reads the fields the filter decides on from user dicts.
struct Reader<'py> {
    keys: Keys<'py>,
}

/// The keys the reader looks up, created once per call.
struct Keys<'py> {
    object_id: Bound<'py, PyString>,
    enabled: Bound<'py, PyString>,
    upn: Bound<'py, PyString>,
    email: Bound<'py, PyString>,
    mail: Bound<'py, PyString>,
    display_name: Bound<'py, PyString>,
    user_type: Bound<'py, PyString>,
    licenses: Bound<'py, PyString>,
}

impl<'py> Reader<'py> {
    fn new(py: Python<'py>) -> Self {
        Self {
            keys: Keys {
                object_id: intern!(py, "entraObjectId").clone(),
                enabled: intern!(py, "accountEnabled").clone(),
                upn: intern!(py, "userPrincipalName").clone(),
                email: intern!(py, "email").clone(),
                mail: intern!(py, "mail").clone(),
                display_name: intern!(py, "displayName").clone(),
                user_type: intern!(py, "userType").clone(),
                licenses: intern!(py, "assignedLicenseSkuIds").clone(),
            },
        }
    }

    /// Reads up to `CHUNK` users from `start`; `None` when one of them does not fit.
    fn read_chunk(&self, items: &Items<'_, 'py>, start: usize) -> Option<FieldChunk> {
        let end = items.len.min(start.saturating_add(CHUNK));
        let mut chunk = FieldChunk::new(start);
        chunk.reserve(end - start);
        for index in start..end {
            let user = items.dict(index)?;
            let fields = self.read(&user, &mut chunk).ok()?;
            chunk.push(fields);
        }
        Some(chunk)
    }

    /// Reads one user; `Err` when a field it reads does not fit the contract (the full reader
    /// then reports it). Each value is borrowed from the dict and used up before the next
    /// lookup, the only call that could run Python code (a non-`str` key's `__eq__`).
    fn read(&self, dict: &Bound<'py, PyDict>, chunk: &mut FieldChunk) -> Result<FieldUser, ()> {
        let keys = &self.keys;
        // The identity is not decided on, but a user without one is not a user.
        borrowed_item(dict, &keys.object_id)
            .ok_or(())?
            .cast::<PyString>()
            .map_err(|_| ())?;
        let enabled = borrowed_item(dict, &keys.enabled)
            .ok_or(())?
            .cast_exact::<PyBool>()
            .map_err(|_| ())?
            .is_true();
        let email = borrowed_item(dict, &keys.email);
        let has_email = email.is_some();
        let mut address = text(chunk, email)?;
        if let Some(mail) = borrowed_item(dict, &keys.mail) {
            if has_email {
                // Both names of one field.
                return Err(());
            }
            address = text(chunk, Some(mail))?;
        }
        Ok(FieldUser {
            enabled,
            email: address,
            user_principal_name: text(chunk, borrowed_item(dict, &keys.upn))?,
            display_name: text(chunk, borrowed_item(dict, &keys.display_name))?,
            user_type: text(chunk, borrowed_item(dict, &keys.user_type))?,
            licensed: licensed(borrowed_item(dict, &keys.licenses))?,
            object_id: None,
        })
    }
}

/// Copies `value` (`None` or a `str`) into the chunk's texts; `Err` for any other value.
fn text(
    chunk: &mut FieldChunk,
    value: Option<Borrowed<'_, '_, PyAny>>,
) -> Result<Option<Span>, ()> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let text = value.cast::<PyString>().map_err(|_| ())?;
    let text = str_of(&text).map_err(|_| ())?;
    chunk.text(text).map(Some).ok_or(())
}

/// Whether a user has licenses; `Err` when the value is not `None`, a list or a tuple of
/// `str`.
fn licensed(value: Option<Borrowed<'_, '_, PyAny>>) -> Result<bool, ()> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(false);
    };
    let all_text = |items: &mut dyn Iterator<Item = Bound<'_, PyAny>>| {
        let mut any = false;
        for item in items {
            if item.cast::<PyString>().is_err() {
                return Err(());
            }
            any = true;
        }
        Ok(any)
    };
    if let Ok(list) = value.cast::<PyList>() {
        all_text(&mut list.iter())
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        all_text(&mut tuple.iter())
    } else {
        Err(())
    }
}

/// Writes `{included, excluded}`: the caller's user objects (`Inputs`) or their indices
/// (`Positions`); each excluded entry carries `reason` and, when there is one, `pattern`.
fn write<'py>(
    py: Python<'py>,
    users: Option<&Bound<'py, PyAny>>,
    decisions: &Decisions,
    returns: Returns,
) -> PyResult<Bound<'py, PyAny>> {
    let excluded_count = decisions.excluded_count();
    let _paused = crate::convert::GcPause::new(py, excluded_count > 1_000);
    let item_key = match returns {
        Returns::Positions => intern!(py, "index"),
        _ => intern!(py, "user"),
    };
    let reason_key = intern!(py, "reason");
    let pattern_key = intern!(py, "pattern");
    let at = |index: usize| -> PyResult<Bound<'py, PyAny>> {
        match returns {
            Returns::Positions => Ok(index.into_pyobject(py)?.into_any()),
            _ => {
                let users = users.ok_or_else(|| {
                    errors::invalid_input(py, "`users`: expected a list or a tuple")
                })?;
                match users.cast::<PyList>() {
                    Ok(list) => list.get_item(index),
                    Err(_) => users.cast::<PyTuple>()?.get_item(index),
                }
            }
        }
    };
    // One Python string per reason and per distinct pattern.
    let reasons: Vec<Bound<'py, PyString>> = ExclusionReason::ALL
        .iter()
        .map(|r| PyString::new(py, r.as_str()))
        .collect();
    let patterns: Vec<Bound<'py, PyString>> = decisions
        .patterns
        .iter()
        .map(|p| PyString::new(py, p))
        .collect();
    let mut included = Vec::with_capacity(decisions.len() - excluded_count);
    let mut excluded = Vec::with_capacity(excluded_count);
    for (index, (&code, &pattern)) in decisions
        .reasons
        .iter()
        .zip(&decisions.pattern_ids)
        .enumerate()
    {
        let item = at(index)?;
        if code == 0 {
            included.push(item);
            continue;
        }
        let reason = reasons
            .get(usize::from(code) - 1)
            .ok_or_else(|| errors::internal(format!("unknown reason code {code}")))?;
        let entry = PyDict::new(py);
        entry.set_item(item_key, item)?;
        entry.set_item(reason_key, reason)?;
        if pattern != 0 {
            let pattern = patterns
                .get(pattern as usize - 1)
                .ok_or_else(|| errors::internal(format!("unknown pattern id {pattern}")))?;
            entry.set_item(pattern_key, pattern)?;
        }
        excluded.push(entry);
    }
    let out = PyDict::new(py);
    out.set_item(intern!(py, "included"), PyList::new(py, included)?)?;
    out.set_item(intern!(py, "excluded"), PyList::new(py, excluded)?)?;
    Ok(out.into_any())
}
