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

use std::collections::HashMap;

use entra_core::filter::{ExclusionReason, UserFilter};
use entra_core::model::{EntraUser, FilterOptions};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use pyo3::{Borrowed, ffi, intern};
use serde::Deserialize;

use crate::de::{PyDeserializer, str_of};
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

/// One decision: the index of the user and, for an excluded one, its reason and pattern.
type Decision = (usize, Option<(ExclusionReason, Option<String>)>);

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
        let value = serde_json::to_value(&warnings)
            .map_err(|e| errors::internal(format!("warnings: {e}")))?;
        out.set_item(intern!(py, "warnings"), crate::convert::to_py(py, &value)?)?;
    }
    Ok(out)
}

/// The `users` sequence of the input dict, when it is a list or tuple.
fn users_of<'py>(input: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    let users = input.cast::<PyDict>().ok()?.get_item("users").ok()??;
    (users.cast::<PyList>().is_ok() || users.cast::<PyTuple>().is_ok()).then_some(users)
}

/// Users read per chunk handed to the classifying thread.
const CHUNK: usize = 4_096;

/// Decisions from the fields the filter reads; `Ok(None)` when the quick reader refuses the
/// input or its patterns.
///
/// A large listing is read and classified at once: this thread reads chunks of users (it holds
/// the GIL throughout; no Python code runs) while a second one classifies the chunks already
/// read, each chunk owning a copy of its users' texts.
fn quick_decisions(py: Python<'_>, input: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Decision>>> {
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
    if items.len < 2 * CHUNK {
        // Not worth a thread.
        let mut decisions = Vec::with_capacity(items.len);
        let mut scratch = EntraUser::new("", "");
        let mut start = 0;
        while start < items.len {
            let mut chunk = Chunk::default();
            if !reader.read_chunk(&items, start, &mut chunk) {
                return Ok(None);
            }
            start += chunk.users.len();
            chunk.classify(&filter, &mut scratch, &mut decisions);
        }
        return Ok(Some(decisions));
    }
    let (chunks, received) = std::sync::mpsc::channel::<Chunk>();
    let received = std::sync::Mutex::new(received);
    // Classifies chunks until none is left to take; each chunk's decisions keep its start.
    let classify_taken = |done: &mut Vec<(usize, Vec<Decision>)>| {
        let mut scratch = EntraUser::new("", "");
        loop {
            let taken = match received.lock() {
                Ok(queue) => queue.recv(),
                Err(_) => break,
            };
            let Ok(chunk) = taken else { break };
            let mut decisions = Vec::with_capacity(chunk.users.len());
            chunk.classify(&filter, &mut scratch, &mut decisions);
            done.push((chunk.start, decisions));
        }
    };
    let outcome = std::thread::scope(|scope| {
        let classifier = scope.spawn(|| {
            let mut done = Vec::new();
            classify_taken(&mut done);
            done
        });
        let mut start = 0;
        let mut refused = false;
        while start < items.len {
            let mut chunk = Chunk::default();
            if !reader.read_chunk(&items, start, &mut chunk) {
                refused = true;
                break;
            }
            start += chunk.users.len();
            if chunks.send(chunk).is_err() {
                break;
            }
        }
        drop(chunks);
        // Done reading: this thread classifies what the other has not taken yet.
        let mut done = Vec::new();
        if !refused {
            classify_taken(&mut done);
        }
        (refused, done, classifier.join())
    });
    let (refused, mut done, other) = outcome;
    if refused {
        return Ok(None);
    }
    match other {
        Ok(other) => done.extend(other),
        Err(payload) => return Err(errors::internal(errors::panic_message(payload.as_ref()))),
    }
    done.sort_unstable_by_key(|(start, _)| *start);
    let decisions: Vec<Decision> = done.into_iter().flat_map(|(_, d)| d).collect();
    if decisions.len() != items.len {
        return Err(errors::internal("users were lost while classifying"));
    }
    Ok(Some(decisions))
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
) -> PyResult<(Vec<Decision>, Vec<entra_core::model::Warning>)> {
    let typed: entra_core::filter::FilterInput =
        match entra_core::filter::FilterInput::deserialize(PyDeserializer::new(input)) {
            Ok(typed) => typed,
            Err(_) => {
                // Raises the entry point's error naming the field.
                crate::pure::invoke(py, "filter_users", input)?;
                return Err(errors::invalid_input(py, "the input could not be read"));
            }
        };
    let positions = entra_core::filter::filter_user_positions(&typed)
        .map_err(|e| errors::core_error(py, &e))?;
    let mut decisions: Vec<Decision> = positions
        .included
        .into_iter()
        .map(|index| (index, None))
        .chain(
            positions
                .excluded
                .into_iter()
                .map(|e| (e.index, Some((e.reason, e.pattern)))),
        )
        .collect();
    decisions.sort_unstable_by_key(|(index, _)| *index);
    Ok((decisions, positions.warnings))
}

/// The fields the filter decides on for one user; texts are ranges of their chunk's `text`.
#[derive(Default)]
struct Fields {
    enabled: bool,
    licensed: bool,
    email: Option<(u32, u32)>,
    upn: Option<(u32, u32)>,
    display_name: Option<(u32, u32)>,
    user_type: Option<(u32, u32)>,
}

/// Consecutive users' fields, owning their texts, so another thread can classify them.
#[derive(Default)]
struct Chunk {
    start: usize,
    text: String,
    users: Vec<Fields>,
}

impl Chunk {
    /// Copies `value` (`None` or a `str`) into the chunk's text; `Err` for any other value.
    fn text(&mut self, value: Option<Borrowed<'_, '_, PyAny>>) -> Result<Option<(u32, u32)>, ()> {
        let Some(value) = value.filter(|v| !v.is_none()) else {
            return Ok(None);
        };
        let text = value.cast::<PyString>().map_err(|_| ())?;
        let text = str_of(&text).map_err(|_| ())?;
        let from = u32::try_from(self.text.len()).map_err(|_| ())?;
        self.text.push_str(text);
        let to = u32::try_from(self.text.len()).map_err(|_| ())?;
        Ok(Some((from, to)))
    }

    fn slice(&self, range: Option<(u32, u32)>) -> Option<&str> {
        let (from, to) = range?;
        self.text.get(from as usize..to as usize)
    }

    /// Classifies the chunk's users into `decisions` with the core's own rules, each user set
    /// into one reused record.
    fn classify(
        &self,
        filter: &UserFilter,
        scratch: &mut EntraUser,
        decisions: &mut Vec<Decision>,
    ) {
        for (offset, fields) in self.users.iter().enumerate() {
            scratch.account_enabled = fields.enabled;
            set_text(&mut scratch.email, self.slice(fields.email));
            set_text(&mut scratch.user_principal_name, self.slice(fields.upn));
            set_text(&mut scratch.display_name, self.slice(fields.display_name));
            set_text(&mut scratch.user_type, self.slice(fields.user_type));
            // The filter only asks whether a user has licenses.
            scratch.assigned_license_sku_ids.clear();
            if fields.licensed {
                scratch.assigned_license_sku_ids.push(String::new());
            }
            decisions.push((self.start + offset, filter.classify(scratch)));
        }
    }
}

/// Sets an optional text field, reusing its buffer.
fn set_text(slot: &mut Option<String>, value: Option<&str>) {
    match value {
        Some(value) => {
            let buffer = slot.get_or_insert_with(String::new);
            buffer.clear();
            buffer.push_str(value);
        }
        None => *slot = None,
    }
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

    /// Reads up to `CHUNK` users from `start` into `chunk`; false when one of them does not fit.
    fn read_chunk(&self, items: &Items<'_, 'py>, start: usize, chunk: &mut Chunk) -> bool {
        let end = items.len.min(start.saturating_add(CHUNK));
        chunk.start = start;
        chunk.users.reserve(end - start);
        for index in start..end {
            let Some(user) = items.dict(index) else {
                return false;
            };
            match self.read(&user, chunk) {
                Ok(fields) => chunk.users.push(fields),
                Err(()) => return false,
            }
        }
        true
    }

    /// Reads one user; `Err` when a field it reads does not fit the contract (the full reader
    /// then reports it). Each value is borrowed from the dict and used up before the next
    /// lookup, the only call that could run Python code (a non-`str` key's `__eq__`).
    fn read(&self, dict: &Bound<'py, PyDict>, chunk: &mut Chunk) -> Result<Fields, ()> {
        let keys = &self.keys;
        // The identity is not decided on, but a user without one is not a user.
        lookup(dict, &keys.object_id)
            .ok_or(())?
            .cast::<PyString>()
            .map_err(|_| ())?;
        let enabled = lookup(dict, &keys.enabled)
            .ok_or(())?
            .cast_exact::<PyBool>()
            .map_err(|_| ())?
            .is_true();
        let email = lookup(dict, &keys.email);
        let has_email = email.is_some();
        let mut address = chunk.text(email)?;
        if let Some(mail) = lookup(dict, &keys.mail) {
            if has_email {
                // Both names of one field.
                return Err(());
            }
            address = chunk.text(Some(mail))?;
        }
        Ok(Fields {
            enabled,
            email: address,
            upn: chunk.text(lookup(dict, &keys.upn))?,
            display_name: chunk.text(lookup(dict, &keys.display_name))?,
            user_type: chunk.text(lookup(dict, &keys.user_type))?,
            licensed: licensed(lookup(dict, &keys.licenses))?,
        })
    }
}

/// The value under `key`, borrowed from the dict; `None` when absent. An error (only possible
/// with a key whose `__eq__` raises) reads as absent: the full reader then reports the input.
fn lookup<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> Option<Borrowed<'a, 'py, PyAny>> {
    // SAFETY: `dict` is a live dict (the caller holds a reference) and the GIL is held.
    let value = unsafe { ffi::PyDict_GetItemWithError(dict.as_ptr(), key.as_ptr()) };
    if value.is_null() {
        let _ = PyErr::take(dict.py());
        return None;
    }
    // SAFETY: a non-null borrowed reference owned by the dict; the caller uses it before
    // anything that could run Python code and change the dict.
    Some(unsafe { Borrowed::from_ptr(dict.py(), value) })
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
    decisions: &[Decision],
    returns: Returns,
) -> PyResult<Bound<'py, PyAny>> {
    let excluded_count = decisions.iter().filter(|(_, d)| d.is_some()).count();
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
    let mut included = Vec::with_capacity(decisions.len() - excluded_count);
    let mut excluded = Vec::with_capacity(excluded_count);
    let mut texts = Texts::default();
    for (index, decision) in decisions {
        let item = at(*index)?;
        match decision {
            None => included.push(item),
            Some((reason, pattern)) => {
                let entry = PyDict::new(py);
                entry.set_item(item_key, item)?;
                entry.set_item(reason_key, texts.reason(py, *reason)?)?;
                if let Some(pattern) = pattern {
                    entry.set_item(pattern_key, texts.pattern(py, pattern))?;
                }
                excluded.push(entry);
            }
        }
    }
    let out = PyDict::new(py);
    out.set_item(intern!(py, "included"), PyList::new(py, included)?)?;
    out.set_item(intern!(py, "excluded"), PyList::new(py, excluded)?)?;
    Ok(out.into_any())
}

/// One Python string per distinct reason and pattern of a result.
#[derive(Default)]
struct Texts<'py> {
    reasons: Vec<(ExclusionReason, Bound<'py, PyString>)>,
    patterns: HashMap<String, Bound<'py, PyString>>,
}

impl<'py> Texts<'py> {
    fn reason(
        &mut self,
        py: Python<'py>,
        reason: ExclusionReason,
    ) -> PyResult<Bound<'py, PyString>> {
        if let Some((_, text)) = self.reasons.iter().find(|(r, _)| *r == reason) {
            return Ok(text.clone());
        }
        // The contract's name, from the core's own serialization.
        let name = match serde_json::to_value(reason) {
            Ok(serde_json::Value::String(name)) => name,
            _ => return Err(errors::internal(format!("reason {reason:?} has no name"))),
        };
        let text = PyString::new(py, &name);
        self.reasons.push((reason, text.clone()));
        Ok(text)
    }

    fn pattern(&mut self, py: Python<'py>, pattern: &str) -> Bound<'py, PyString> {
        if let Some(text) = self.patterns.get(pattern) {
            return text.clone();
        }
        let text = PyString::new(py, pattern);
        self.patterns.insert(pattern.to_string(), text.clone());
        text
    }
}
