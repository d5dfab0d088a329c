//! What one conversion shares across all the records it writes: one Python string per name,
//! the last string value of each field, and the input objects records may reuse.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
    read_from: bool,
}

impl<'py> Reuse<'py> {
    fn new(record: &'static str, candidates: Vec<Option<Bound<'py, PyDict>>>) -> Self {
        Self {
            record,
            candidates: candidates.into_iter(),
            read_from: false,
        }
    }

    /// Candidates known to be the very dicts the records were read from, each record being
    /// equal to what was read. Then a string field cannot differ from the candidate's (reading
    /// copies it as it is), so strings are checked for type only, not compared: valid for a
    /// record type whose strings are read without any change (no trimming, no case folding).
    /// Everything else is still compared, and a missing, extra, renamed or `None`-for-default
    /// field still makes the candidate differ.
    pub fn read_from(record: &'static str, candidates: Vec<Option<Bound<'py, PyDict>>>) -> Self {
        Self {
            read_from: true,
            ..Self::new(record, candidates)
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

/// Hashes the address and length of a `&'static str`: names come from a handful of literals, so
/// their identity is as good as their text and much cheaper to hash.
#[derive(Default)]
struct AddressHash(u64);

impl Hasher for AddressHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type ByAddress = HashMap<(usize, usize), usize, BuildHasherDefault<AddressHash>>;

pub(super) struct State<'py> {
    pub(super) py: Python<'py>,
    slots: Vec<Slot<'py>>,
    by_address: ByAddress,
    /// The field slots of each struct type in the order its `Serialize` writes them, so a record
    /// finds its fields' slots by position instead of hashing every name.
    shapes: Vec<Vec<usize>>,
    shape_by_address: ByAddress,
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
            by_address: HashMap::default(),
            shapes: Vec::new(),
            shape_by_address: HashMap::default(),
            templates: Vec::new(),
            reuse,
        }
    }

    /// The slot of a name, created on first use. Interned, so dict lookups with it against the
    /// caller's dicts (whose literal keys Python interns too) compare pointers.
    pub(super) fn slot(&mut self, name: &'static str) -> usize {
        let address = (name.as_ptr() as usize, name.len());
        if let Some(&slot) = self.by_address.get(&address) {
            return slot;
        }
        let slot = self.slots.len();
        self.slots.push(Slot {
            name,
            key: PyString::intern(self.py, name),
            recent: Recent::default(),
        });
        self.by_address.insert(address, slot);
        slot
    }

    /// The shape of the struct (or struct variant) named `name`.
    pub(super) fn shape(&mut self, name: &'static str) -> usize {
        let address = (name.as_ptr() as usize, name.len());
        if let Some(&shape) = self.shape_by_address.get(&address) {
            return shape;
        }
        self.shapes.push(Vec::new());
        self.templates.push(Vec::new());
        self.shape_by_address.insert(address, self.shapes.len() - 1);
        self.shapes.len() - 1
    }

    /// An empty dict, keys sorted, for a record of `shape` whose fields were written as `slots`
    /// (to be copied, never filled in itself); `None` when the shape has too many field sets.
    pub(super) fn template(
        &mut self,
        shape: usize,
        slots: impl Iterator<Item = usize> + Clone,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(templates) = self.templates.get(shape) else {
            return Ok(None);
        };
        if let Some(t) = templates
            .iter()
            .find(|t| t.slots.iter().copied().eq(slots.clone()))
        {
            return Ok(Some(t.dict.clone()));
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

    /// The slot of the `index`-th field written for a shape, named `name`. Skipped fields shift
    /// positions, so the remembered slot is checked (by address) and replaced when it differs.
    pub(super) fn shape_slot(&mut self, shape: usize, index: usize, name: &'static str) -> usize {
        if let Some(&slot) = self.shapes[shape].get(index) {
            let known = self.slots[slot].name;
            if std::ptr::eq(known, name) {
                return slot;
            }
        }
        let slot = self.slot(name);
        let fields = &mut self.shapes[shape];
        if index < fields.len() {
            fields[index] = slot;
        } else {
            fields.push(slot);
        }
        slot
    }

    /// Whether string fields of candidates need a type check only (see [`Reuse::read_from`]).
    pub(super) fn strings_read_from_candidates(&self) -> bool {
        self.reuse.as_ref().is_some_and(|r| r.read_from)
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

    /// The next input object for a record of struct `name`, if `name` is the reused record.
    pub(super) fn candidate(&mut self, name: &'static str) -> Option<Bound<'py, PyDict>> {
        let reuse = self.reuse.as_mut()?;
        if reuse.record != name {
            return None;
        }
        reuse.candidates.next().flatten()
    }
}
