//! Writes the core's output records straight into Python objects with serde, without a JSON tree
//! in between. A plan for a hundred thousand users is several hundred thousand dicts, and building
//! an intermediate tree first roughly doubled the time of a call.
//!
//! The result equals the JSON entry point's: the same `Serialize` impls decide keys, renames and
//! omitted fields, new dicts list their keys in the same (sorted) order, and non-finite floats
//! become `None`, as they become `null` in JSON.
//!
//! Two things keep a large result cheap. Records the core hands back unchanged (the users of a
//! filter) can be matched with the caller's own input objects (see [`Reuse`]): an input dict that
//! already equals the record's canonical form is returned as it is, and the equal values of one
//! that does not are shared instead of copied. And field names, variant names and a field's
//! repeated value (every action of a plan names the same tenant and client) are one Python string
//! each.

// The macros below are defined before the submodules so that `matcher` uses them too.

/// serde's four sequence traits, forwarded to one method adding an item and one finishing.
macro_rules! forward_sequence_traits {
    ($ty:ident, $ok:ty, $err:ty, $item:ident, $end:ident) => {
        forward_sequence_traits!(@each $ty, $ok, $err, $item, $end;
            SerializeSeq serialize_element, SerializeTuple serialize_element,
            SerializeTupleStruct serialize_field, SerializeTupleVariant serialize_field);
    };
    (@each $ty:ident, $ok:ty, $err:ty, $item:ident, $end:ident; $($trait:ident $method:ident),+) => {
        $(
            impl<'py> ser::$trait for $ty<'_, 'py> {
                type Ok = $ok;
                type Error = $err;

                fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), $err> {
                    self.$item(value)
                }

                fn end(self) -> Result<$ok, $err> {
                    self.$end()
                }
            }
        )+
    };
}

/// One of serde's struct traits, forwarded to a method adding a named field and one finishing.
macro_rules! forward_struct_trait {
    ($trait:ident, $ty:ident, $ok:ty, $err:ty, $field:ident, $end:ident) => {
        impl<'py> ser::$trait for $ty<'_, 'py> {
            type Ok = $ok;
            type Error = $err;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), $err> {
                self.$field(key, value)
            }

            fn end(self) -> Result<$ok, $err> {
                self.$end()
            }
        }
    };
}

/// serde's two struct traits, forwarded to one method adding a named field and one finishing.
macro_rules! forward_struct_traits {
    ($ty:ident, $ok:ty, $err:ty, $field:ident, $end:ident) => {
        forward_struct_trait!(SerializeStruct, $ty, $ok, $err, $field, $end);
        forward_struct_trait!(SerializeStructVariant, $ty, $ok, $err, $field, $end);
    };
}

/// Serializer methods of the narrow integer types, each widened to the method writing the
/// wide one.
macro_rules! widening_integers {
    ($( $method:ident($ty:ty) => $via:ident($wide:ty), )+) => {
        $(
            fn $method(self, v: $ty) -> Result<Self::Ok, SerError> {
                self.$via(<$wide>::from(v))
            }
        )+
    };
}

/// Key serializer methods whose value becomes the key's text.
macro_rules! text_keys {
    ($( $method:ident($ty:ty), )+) => {
        $(
            fn $method(self, v: $ty) -> Result<Key, SerError> {
                Ok(Key::Text(v.to_string()))
            }
        )+
    };
}

mod key;
mod matcher;
mod state;

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde::ser::{self, Serialize};

use crate::convert::GcPause;
use crate::errors;
use key::{Key, KeySerializer};
pub use state::Reuse;
use state::State;

/// Why a value could not become Python objects.
#[derive(Debug)]
pub enum SerError {
    /// Python refused to build an object (typically `MemoryError`).
    Py(PyErr),
    /// The value has no JSON form (a map key that is not a string, a number out of range).
    Shape(String),
}

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerError::Py(e) => write!(f, "{e}"),
            SerError::Shape(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError::Shape(msg.to_string())
    }
}

impl From<PyErr> for SerError {
    fn from(e: PyErr) -> Self {
        SerError::Py(e)
    }
}

/// Converts an output record into plain Python values (dict, list, str, int, float, bool, None),
/// matching the records `reuse` names with the caller's input objects.
///
/// The cyclic garbage collector is paused meanwhile: plain data holds no cycles, and a collection
/// every few hundred new dicts would traverse everything built so far.
pub fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
    reuse: Option<Reuse<'py>>,
) -> PyResult<Bound<'py, PyAny>> {
    let _paused = GcPause::new(py, true);
    write(py, value, reuse)
}

/// Converts a record known to be small (an error's details, a token set, a progress event)
/// without pausing the garbage collector, which would cost more than the record.
pub fn small_to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    write(py, value, None)
}

fn write<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
    reuse: Option<Reuse<'py>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut state = State::new(py, reuse);
    value
        .serialize(PySerializer {
            state: &mut state,
            field: None,
        })
        .map_err(|e| match e {
            SerError::Py(e) => e,
            SerError::Shape(m) => {
                errors::invalid_input(py, &format!("cannot serialize output: {m}"))
            }
        })
}

/// A typed result handed back to Python when an awaitable completes, written by [`to_py`].
pub struct Out<T>(pub T);

impl<'py, T: Serialize> IntoPyObject<'py> for Out<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        to_py(py, &self.0, None)
    }
}

/// A serde serializer whose output is one Python object.
struct PySerializer<'a, 'py> {
    state: &'a mut State<'py>,
    /// The struct field being written, whose last string value may be shared.
    field: Option<usize>,
}

impl<'a, 'py> PySerializer<'a, 'py> {
    fn new(state: &'a mut State<'py>) -> Self {
        Self { state, field: None }
    }

    fn int(self, v: i64) -> Result<Bound<'py, PyAny>, SerError> {
        let Ok(obj) = v.into_pyobject(self.state.py);
        Ok(obj.into_any())
    }

    fn uint(self, v: u64) -> Result<Bound<'py, PyAny>, SerError> {
        let Ok(obj) = v.into_pyobject(self.state.py);
        Ok(obj.into_any())
    }

    fn float(self, v: f64) -> Result<Bound<'py, PyAny>, SerError> {
        if v.is_finite() {
            Ok(PyFloat::new(self.state.py, v).into_any())
        } else {
            Ok(self.state.py.None().into_bound(self.state.py))
        }
    }

    /// `{variant: value}`, serde's external tagging.
    fn tagged(
        self,
        variant: &'static str,
        value: Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyAny>, SerError> {
        let dict = PyDict::new(self.state.py);
        dict.set_item(self.state.name(variant), value)?;
        Ok(dict.into_any())
    }
}

impl<'a, 'py> ser::Serializer for PySerializer<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    type SerializeSeq = SeqBuilder<'a, 'py>;
    type SerializeTuple = SeqBuilder<'a, 'py>;
    type SerializeTupleStruct = SeqBuilder<'a, 'py>;
    type SerializeTupleVariant = SeqBuilder<'a, 'py>;
    type SerializeMap = DictBuilder<'a, 'py>;
    type SerializeStruct = DictBuilder<'a, 'py>;
    type SerializeStructVariant = DictBuilder<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, SerError> {
        Ok(PyBool::new(self.state.py, v).to_owned().into_any())
    }

    widening_integers! {
        serialize_i8(i8) => int(i64),
        serialize_i16(i16) => int(i64),
        serialize_i32(i32) => int(i64),
        serialize_u8(u8) => uint(u64),
        serialize_u16(u16) => uint(u64),
        serialize_u32(u32) => uint(u64),
    }

    fn serialize_i64(self, v: i64) -> Result<Self::Ok, SerError> {
        self.int(v)
    }

    fn serialize_i128(self, v: i128) -> Result<Self::Ok, SerError> {
        if let Ok(v) = i64::try_from(v) {
            self.int(v)
        } else if let Ok(v) = u64::try_from(v) {
            self.uint(v)
        } else {
            Err(SerError::Shape("number out of range".into()))
        }
    }

    fn serialize_u64(self, v: u64) -> Result<Self::Ok, SerError> {
        self.uint(v)
    }

    fn serialize_u128(self, v: u128) -> Result<Self::Ok, SerError> {
        match u64::try_from(v) {
            Ok(v) => self.uint(v),
            Err(_) => Err(SerError::Shape("number out of range".into())),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<Self::Ok, SerError> {
        self.float(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<Self::Ok, SerError> {
        self.float(v)
    }

    fn serialize_char(self, v: char) -> Result<Self::Ok, SerError> {
        let mut buf = [0u8; 4];
        Ok(PyString::new(self.state.py, v.encode_utf8(&mut buf)).into_any())
    }

    fn serialize_str(self, v: &str) -> Result<Self::Ok, SerError> {
        Ok(self.state.string(self.field, v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, SerError> {
        // JSON has no bytes: serde_json writes them as a list of numbers.
        Ok(PyList::new(self.state.py, v)?.into_any())
    }

    fn serialize_none(self) -> Result<Self::Ok, SerError> {
        Ok(self.state.py.None().into_bound(self.state.py))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Self::Ok, SerError> {
        Ok(self.state.py.None().into_bound(self.state.py))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Self::Ok, SerError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, SerError> {
        Ok(self.state.name(variant).into_any())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok, SerError> {
        let inner = value.serialize(PySerializer::new(&mut *self.state))?;
        self.tagged(variant, inner)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Ok(SeqBuilder {
            state: self.state,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Ok(SeqBuilder {
            state: self.state,
            items: Vec::with_capacity(len),
            variant: Some(variant),
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Ok(DictBuilder::new(
            self.state,
            len.unwrap_or(0),
            None,
            None,
            None,
        ))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        let candidate = self.state.candidate(name);
        let shape = self.state.shape(name);
        Ok(DictBuilder::new(
            self.state,
            len,
            None,
            Some(shape),
            candidate,
        ))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        let shape = self.state.shape(variant);
        Ok(DictBuilder::new(
            self.state,
            len,
            Some(variant),
            Some(shape),
            None,
        ))
    }
}

/// Collects the items of a list (pre-sized from serde's length hint).
struct SeqBuilder<'a, 'py> {
    state: &'a mut State<'py>,
    items: Vec<Bound<'py, PyAny>>,
    /// Set for a tuple variant, which becomes `{variant: [...]}`.
    variant: Option<&'static str>,
}

impl<'py> SeqBuilder<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let item = value.serialize(PySerializer::new(&mut *self.state))?;
        self.items.push(item);
        Ok(())
    }

    fn finish(self) -> Result<Bound<'py, PyAny>, SerError> {
        let list = PyList::new(self.state.py, self.items)?.into_any();
        match self.variant {
            None => Ok(list),
            Some(variant) => PySerializer::new(self.state).tagged(variant, list),
        }
    }
}

/// The key of a dict entry: a name (field, variant) by its slot in the per-call state, or the
/// text of a map key.
enum EntryKey {
    Slot(usize),
    Text(String),
}

impl EntryKey {
    fn text<'s>(&'s self, state: &State<'_>) -> &'s str {
        match self {
            EntryKey::Slot(slot) => state.slot_name(*slot),
            EntryKey::Text(text) => text,
        }
    }
}

/// One entry of a dict being built.
struct Entry<'py> {
    key: EntryKey,
    value: Bound<'py, PyAny>,
    /// The value is the caller's own object (equal to what would have been built).
    borrowed: bool,
}

/// Collects the entries of a dict, then inserts them in key order, the order the JSON path's
/// sorted objects give.
struct DictBuilder<'a, 'py> {
    state: &'a mut State<'py>,
    entries: Vec<Entry<'py>>,
    pending: Option<Key>,
    /// Set for a struct variant, which becomes `{variant: {...}}`.
    variant: Option<&'static str>,
    /// The struct type, whose templates the record may copy (see `State::template`).
    shape: Option<usize>,
    /// How many fields were written so far.
    fields: usize,
    /// The caller's input object this record may be an unchanged copy of.
    candidate: Option<Bound<'py, PyDict>>,
    /// Every field so far equals the candidate's; their entries are not collected until one
    /// does not (most records that have a candidate are returned as that candidate).
    same: bool,
    /// The slots of the fields found equal while `same`, to collect them if a later one differs.
    matched: [usize; MATCHED],
    matched_len: usize,
}

/// Fields remembered inline while a record still equals its candidate; beyond, they are
/// collected right away.
const MATCHED: usize = 24;

impl<'a, 'py> DictBuilder<'a, 'py> {
    fn new(
        state: &'a mut State<'py>,
        len: usize,
        variant: Option<&'static str>,
        shape: Option<usize>,
        candidate: Option<Bound<'py, PyDict>>,
    ) -> Self {
        let same = candidate.is_some();
        Self {
            state,
            entries: if same {
                Vec::new()
            } else {
                Vec::with_capacity(len)
            },
            pending: None,
            variant,
            shape,
            fields: 0,
            same,
            candidate,
            matched: [0; MATCHED],
            matched_len: 0,
        }
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let slot = self.state.slot(name);
        self.fields += 1;
        if let Some(candidate) = &self.candidate {
            let equal = crate::de::borrowed_item(candidate, self.state.key(slot))
                .is_some_and(|existing| matcher::matches(self.state, value, &existing));
            match (equal, self.same) {
                // Still the candidate: remember the field, collect nothing.
                (true, true) if self.matched_len < MATCHED => {
                    self.matched[self.matched_len] = slot;
                    self.matched_len += 1;
                    return Ok(());
                }
                (true, _) => {
                    self.borrow(slot);
                    return Ok(());
                }
                (false, true) => {
                    // The fields so far are the candidate's: collect them now.
                    self.same = false;
                    self.borrow_matched();
                }
                (false, false) => {}
            }
        }
        let value = value.serialize(PySerializer {
            state: &mut *self.state,
            field: Some(slot),
        })?;
        self.entries.push(Entry {
            key: EntryKey::Slot(slot),
            value,
            borrowed: false,
        });
        Ok(())
    }

    /// Collects the candidate's own value for a field known to be equal.
    fn borrow(&mut self, slot: usize) {
        let value = self
            .candidate
            .as_ref()
            .and_then(|c| crate::de::borrowed_item(c, self.state.key(slot)))
            .map(|v| v.to_owned());
        if let Some(value) = value {
            self.entries.push(Entry {
                key: EntryKey::Slot(slot),
                value,
                borrowed: true,
            });
        }
    }

    /// Collects the fields remembered as equal.
    fn borrow_matched(&mut self) {
        for i in 0..std::mem::take(&mut self.matched_len) {
            self.borrow(self.matched[i]);
        }
    }

    fn finish(mut self) -> Result<Bound<'py, PyAny>, SerError> {
        if self.same
            && let Some(candidate) = &self.candidate
        {
            if candidate.len() == self.fields {
                return Ok(candidate.clone().into_any());
            }
            // Equal fields but extra keys: a new dict of the candidate's equal values.
            self.borrow_matched();
        }
        let py = self.state.py;
        let template = match self.shape {
            Some(shape)
                if self
                    .entries
                    .iter()
                    .all(|e| matches!(e.key, EntryKey::Slot(_))) =>
            {
                let slots = self.entries.iter().filter_map(|e| match e.key {
                    EntryKey::Slot(slot) => Some(slot),
                    EntryKey::Text(_) => None,
                });
                self.state.template(shape, slots)?
            }
            _ => None,
        };
        let dict = match template {
            // The copy has every key, in order; filling in values never resizes it.
            Some(template) => template.copy()?,
            None => {
                let state = &*self.state;
                // Stable, so of two equal keys the later wins, as in a JSON object.
                self.entries
                    .sort_by(|a, b| a.key.text(state).cmp(b.key.text(state)));
                PyDict::new(py)
            }
        };
        for entry in self.entries {
            // A container shared with the caller's input would tie the two together.
            let value = if entry.borrowed {
                fresh(&entry.value)?
            } else {
                entry.value
            };
            match entry.key {
                EntryKey::Slot(slot) => dict.set_item(self.state.key(slot), value)?,
                EntryKey::Text(text) => dict.set_item(PyString::new(py, &text), value)?,
            }
        }
        let dict = dict.into_any();
        match self.variant {
            None => Ok(dict),
            Some(variant) => PySerializer::new(self.state).tagged(variant, dict),
        }
    }
}

/// A copy of plain data whose lists and dicts are new and whose scalars are shared (they are
/// immutable).
fn fresh<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(list) = value.cast_exact::<PyList>() {
        let items = list
            .iter()
            .map(|item| fresh(&item))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(value.py(), items)?.into_any());
    }
    if let Ok(dict) = value.cast_exact::<PyDict>() {
        let copy = PyDict::new(value.py());
        for (k, v) in dict.iter() {
            copy.set_item(k, fresh(&v)?)?;
        }
        return Ok(copy.into_any());
    }
    Ok(value.clone())
}

impl<'py> ser::SerializeMap for DictBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.pending = Some(key.serialize(KeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = match self.pending.take() {
            Some(Key::Name(name)) => EntryKey::Slot(self.state.slot(name)),
            Some(Key::Text(text)) => EntryKey::Text(text),
            None => return Err(SerError::Shape("a map value without a key".into())),
        };
        let value = value.serialize(PySerializer::new(&mut *self.state))?;
        self.entries.push(Entry {
            key,
            value,
            borrowed: false,
        });
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

forward_sequence_traits!(SeqBuilder, Bound<'py, PyAny>, SerError, push, finish);
forward_struct_traits!(DictBuilder, Bound<'py, PyAny>, SerError, field, finish);
