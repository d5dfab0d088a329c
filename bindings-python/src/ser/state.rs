//! What one conversion shares across all the records it writes: one Python string per name,
//! the last string value of each field, and the input objects records may reuse.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::de::str_of;

/// The caller's input objects that records of one type may be unchanged copies of, in the order
/// the serializer meets those records (`None` where a record has no input object).
///
/// A candidate is only a hint: a record reuses it when, and only when, it already equals the
/// record's canonical form, so a wrong or missing hint costs time, never correctness.
pub struct Reuse<'py> {
    record: &'static str,
    candidates: std::vec::IntoIter<Option<Bound<'py, PyDict>>>,
    exact: bool,
}

impl<'py> Reuse<'py> {
    /// Candidates for the records whose serde name is `record` (a struct's Rust name). Each
    /// must be the very dict its record was read from, the record being equal to what was read:
    /// then a string field cannot differ from the candidate's (reading copies it as it is), so
    /// strings are checked for type only. Valid for a record type whose strings are read without
    /// any change (no trimming, no case folding). Everything else is still compared, and a
    /// missing, extra, renamed or `None`-for-default field still makes the candidate differ.
    ///
    /// `exact`: the read met only exact built-in types (`de::Read::exact`). A value under a
    /// field's own key that a string was read from is then an exact `str`, so a string needs no
    /// look at its object at all: only `None` (a default written as `""`) can differ, and that
    /// is a comparison of addresses. A large listing is checked without touching its strings.
    pub fn read_from(
        record: &'static str,
        candidates: Vec<Option<Bound<'py, PyDict>>>,
        exact: bool,
    ) -> Self {
        Self {
            record,
            candidates: candidates.into_iter(),
            exact,
        }
    }
}

/// A name known at compile time (struct field, enum variant) and its Python string.
struct Slot<'py> {
    name: &'static str,
    key: Bound<'py, PyString>,
    /// The last few strings written for this field: records often repeat a field's value (a
    /// tenant id, a role, a phone type), and sharing one string beats creating an equal one.
    recent: Recent<'py>,
}

/// Values remembered per field.
const RECENT: usize = 4;

/// A field's recently written ASCII strings, with their UTF-8 bytes (the string's own storage)
/// to compare against without a call into Python.
#[derive(Default)]
struct Recent<'py> {
    strings: [Option<(Bound<'py, PyString>, *const u8, usize)>; RECENT],
    next: usize,
    tries: u32,
    hits: u32,
}

impl<'py> Recent<'py> {
    /// After this many values a field whose values rarely repeat (ids, keys) stops looking.
    const TRIAL: u32 = 256;

    fn worth_it(&self) -> bool {
        self.tries < Self::TRIAL || self.hits * 8 >= self.tries
    }

    fn find(&mut self, value: &str) -> Option<Bound<'py, PyString>> {
        self.tries = self.tries.saturating_add(1);
        let bytes = value.as_bytes();
        let found = self.strings.iter().flatten().find(|(_, data, len)| {
            // SAFETY: `data` is the UTF-8 storage of the string held next to it, `len` bytes.
            *len == bytes.len() && unsafe { std::slice::from_raw_parts(*data, *len) } == bytes
        })?;
        self.hits = self.hits.saturating_add(1);
        Some(found.0.clone())
    }

    fn remember(&mut self, string: &Bound<'py, PyString>) {
        // Only ASCII: its UTF-8 form is the string's own storage (nothing cached on the side).
        if let Ok(text) = str_of(string)
            && text.is_ascii()
        {
            let entry = (string.clone(), text.as_ptr(), text.len());
            self.strings[self.next] = Some(entry);
            self.next = (self.next + 1) % RECENT;
        }
    }
}

/// Numbers given to `&'static str` names (field and variant names, struct names), found by the
/// name's address: names come from a handful of literals, so their identity is as good as their
/// text. A direct-mapped table answers almost every lookup; a map holds the rest.
struct ByAddress {
    direct: Vec<(usize, usize, usize)>,
    rest: HashMap<(usize, usize), usize>,
}

impl ByAddress {
    const DIRECT: usize = 256;

    fn new() -> Self {
        Self {
            direct: vec![(0, 0, 0); Self::DIRECT],
            rest: HashMap::new(),
        }
    }

    fn index(address: usize) -> usize {
        ((address >> 3) ^ (address >> 11)) % Self::DIRECT
    }

    fn get(&mut self, name: &'static str) -> Option<usize> {
        let key = (name.as_ptr() as usize, name.len());
        let entry = self.direct[Self::index(key.0)];
        if (entry.0, entry.1) == key {
            return Some(entry.2);
        }
        let number = *self.rest.get(&key)?;
        self.direct[Self::index(key.0)] = (key.0, key.1, number);
        Some(number)
    }

    fn insert(&mut self, name: &'static str, number: usize) {
        let key = (name.as_ptr() as usize, name.len());
        self.rest.insert(key, number);
        self.direct[Self::index(key.0)] = (key.0, key.1, number);
    }
}

pub(super) struct State<'py> {
    pub(super) py: Python<'py>,
    slots: Vec<Slot<'py>>,
    slot_by_name: ByAddress,
    /// Struct types met so far (by their serde name), numbered for their templates.
    shape_by_name: ByAddress,
    /// Per shape, empty dicts with the keys of the field sets its records were written with, in
    /// sorted order: a record copies one and fills in its values (no resizing, no sorting).
    templates: Vec<Vec<Template<'py>>>,
    reuse: Option<Reuse<'py>>,
}

/// A dict with a record's keys in sorted order (values `None`), for the records whose fields
/// were written as `slots`, in that order.
struct Template<'py> {
    slots: Vec<usize>,
    dict: Bound<'py, PyDict>,
}

/// Field sets remembered per shape; records with rarer ones are built key by key.
const TEMPLATES_PER_SHAPE: usize = 8;

impl<'py> State<'py> {
    pub(super) fn new(py: Python<'py>, reuse: Option<Reuse<'py>>) -> Self {
        Self {
            py,
            slots: Vec::new(),
            slot_by_name: ByAddress::new(),
            shape_by_name: ByAddress::new(),
            templates: Vec::new(),
            reuse,
        }
    }

    /// The slot of a name, created on first use. Interned, so dict lookups with it against the
    /// caller's dicts (whose literal keys Python interns too) compare pointers.
    pub(super) fn slot(&mut self, name: &'static str) -> usize {
        if let Some(slot) = self.slot_by_name.get(name) {
            return slot;
        }
        let slot = self.slots.len();
        self.slots.push(Slot {
            name,
            key: PyString::intern(self.py, name),
            recent: Recent::default(),
        });
        self.slot_by_name.insert(name, slot);
        slot
    }

    /// The shape of the struct (or struct variant) named `name`.
    pub(super) fn shape(&mut self, name: &'static str) -> usize {
        if let Some(shape) = self.shape_by_name.get(name) {
            return shape;
        }
        self.templates.push(Vec::new());
        self.shape_by_name.insert(name, self.templates.len() - 1);
        self.templates.len() - 1
    }

    /// An empty dict, keys sorted, for a record of `shape` whose fields were written as `slots`
    /// (to be copied, never filled in itself); `None` when the shape has too many field sets.
    pub(super) fn template(
        &mut self,
        shape: usize,
        slots: impl Iterator<Item = usize> + Clone,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(templates) = self.templates.get_mut(shape) else {
            return Ok(None);
        };
        if let Some(found) = templates
            .iter()
            .position(|t| t.slots.iter().copied().eq(slots.clone()))
        {
            // The most used field sets stay in front.
            if found > 0 {
                templates.swap(found - 1, found);
            }
            return Ok(Some(templates[found.saturating_sub(1)].dict.clone()));
        }
        if templates.len() >= TEMPLATES_PER_SHAPE {
            return Ok(None);
        }
        let slots: Vec<usize> = slots.collect();
        let mut sorted = slots.clone();
        sorted.sort_by_key(|&slot| self.slots[slot].name);
        sorted.dedup();
        let dict = PyDict::new(self.py);
        for slot in sorted {
            dict.set_item(&self.slots[slot].key, self.py.None())?;
        }
        self.templates[shape].push(Template {
            slots,
            dict: dict.clone(),
        });
        Ok(Some(dict))
    }

    pub(super) fn slot_name(&self, slot: usize) -> &'static str {
        self.slots[slot].name
    }

    pub(super) fn key(&self, slot: usize) -> &Bound<'py, PyString> {
        &self.slots[slot].key
    }

    /// The Python string of a name.
    pub(super) fn name(&mut self, name: &'static str) -> Bound<'py, PyString> {
        let slot = self.slot(name);
        self.slots[slot].key.clone()
    }

    /// A string value; inside a struct field, a recent equal value of the field is shared.
    pub(super) fn string(&mut self, field: Option<usize>, value: &str) -> Bound<'py, PyAny> {
        let Some(recent) = field
            .and_then(|f| self.slots.get_mut(f))
            .map(|slot| &mut slot.recent)
            .filter(|recent| recent.worth_it())
        else {
            return PyString::new(self.py, value).into_any();
        };
        if let Some(same) = recent.find(value) {
            return same.into_any();
        }
        let new = PyString::new(self.py, value);
        recent.remember(&new);
        new.into_any()
    }

    /// Whether the candidates were read with only exact built-in types (see `Reuse::read_from`).
    pub(super) fn exact_candidates(&self) -> bool {
        self.reuse.as_ref().is_some_and(|reuse| reuse.exact)
    }

    /// The next input object for a record of struct `name`, if `name` is the reused record.
    pub(super) fn candidate(&mut self, name: &'static str) -> Option<Bound<'py, PyDict>> {
        let reuse = self.reuse.as_mut()?;
        if reuse.record != name {
            return None;
        }
        reuse.candidates.next().flatten()
    }
}
