//! Whether an existing Python object already equals what the serializer would build for a value,
//! decided without building anything: the test that lets a record reuse the caller's input
//! object. It follows the serializer rule for rule (exact built-in types only, keys by name,
//! non-finite floats as `None`) and answers "no" to anything it is unsure about; the one shortcut
//! is that string values are checked for type only, as a candidate is the dict its record was
//! read from (see `Reuse::read_from`).

use std::fmt;

use pyo3::Borrowed;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde::ser::{self, Serialize};

use super::key::{Key, KeySerializer};
use super::state::State;
use crate::de::{borrowed_item, str_of};

/// True when `target` equals the serialized form of `value`.
pub(super) fn matches<'py, T: Serialize + ?Sized>(
    state: &mut State<'py>,
    value: &T,
    target: &Bound<'py, PyAny>,
) -> bool {
    value.serialize(Matcher { state, target }).is_ok()
}

/// The object differs (or may differ); the value is built instead.
#[derive(Debug)]
pub(super) struct Differs;

impl fmt::Display for Differs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("differs")
    }
}

impl std::error::Error for Differs {}

impl ser::Error for Differs {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Differs
    }
}

fn check(equal: bool) -> Result<(), Differs> {
    if equal { Ok(()) } else { Err(Differs) }
}

struct Matcher<'a, 'b, 'py> {
    state: &'a mut State<'py>,
    target: &'b Bound<'py, PyAny>,
}

impl<'py> Matcher<'_, '_, 'py> {
    fn int(&self, v: i64) -> Result<(), Differs> {
        let int = self.target.cast_exact::<PyInt>().map_err(|_| Differs)?;
        check(int.extract::<i64>().ok() == Some(v))
    }

    fn uint(&self, v: u64) -> Result<(), Differs> {
        let int = self.target.cast_exact::<PyInt>().map_err(|_| Differs)?;
        check(int.extract::<u64>().ok() == Some(v))
    }

    fn float(&self, v: f64) -> Result<(), Differs> {
        if !v.is_finite() {
            return check(self.target.is_none());
        }
        let float = self.target.cast_exact::<PyFloat>().map_err(|_| Differs)?;
        check(float.value().to_bits() == v.to_bits())
    }

    fn text(&self, v: &str) -> Result<(), Differs> {
        let s = self.target.cast_exact::<PyString>().map_err(|_| Differs)?;
        check(str_of(s).ok() == Some(v))
    }

    fn dict(&self) -> Result<Bound<'py, PyDict>, Differs> {
        Ok(self
            .target
            .cast_exact::<PyDict>()
            .map_err(|_| Differs)?
            .clone())
    }

    /// The value under the single key `variant` of an externally tagged enum.
    fn tagged(&mut self, variant: &'static str) -> Result<Bound<'py, PyAny>, Differs> {
        let dict = self.dict()?;
        check(dict.len() == 1)?;
        let key = self.state.name(variant);
        let value = borrowed_item(&dict, &key).ok_or(Differs)?;
        Ok(value.to_owned())
    }
}

impl<'a, 'py> ser::Serializer for Matcher<'a, '_, 'py> {
    type Ok = ();
    type Error = Differs;
    type SerializeSeq = SeqMatcher<'a, 'py>;
    type SerializeTuple = SeqMatcher<'a, 'py>;
    type SerializeTupleStruct = SeqMatcher<'a, 'py>;
    type SerializeTupleVariant = SeqMatcher<'a, 'py>;
    type SerializeMap = DictMatcher<'a, 'py>;
    type SerializeStruct = DictMatcher<'a, 'py>;
    type SerializeStructVariant = DictMatcher<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Result<(), Differs> {
        check(self.target.is(PyBool::new(self.state.py, v)))
    }

    fn serialize_i8(self, v: i8) -> Result<(), Differs> {
        self.int(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Differs> {
        self.int(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Differs> {
        self.int(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Differs> {
        self.int(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Differs> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(v), _) => self.int(v),
            (_, Ok(v)) => self.uint(v),
            _ => Err(Differs),
        }
    }

    fn serialize_u8(self, v: u8) -> Result<(), Differs> {
        self.uint(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), Differs> {
        self.uint(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), Differs> {
        self.uint(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), Differs> {
        self.uint(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Differs> {
        self.uint(u64::try_from(v).map_err(|_| Differs)?)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Differs> {
        self.float(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Differs> {
        self.float(v)
    }

    fn serialize_char(self, v: char) -> Result<(), Differs> {
        let mut buf = [0u8; 4];
        self.text(v.encode_utf8(&mut buf))
    }

    fn serialize_str(self, _v: &str) -> Result<(), Differs> {
        // Candidates are the dicts their records were read from (see `Reuse::read_from`): an
        // exact `str` there holds the record's very text. Read with exact types only, what is
        // there is such a `str` or, for a field read as `None` and written as `""`, `None`.
        if self.state.exact_candidates() {
            return check(!self.target.is_none());
        }
        check(self.target.is_exact_instance_of::<PyString>())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Differs> {
        Err(Differs)
    }

    fn serialize_none(self) -> Result<(), Differs> {
        check(self.target.is_none())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Differs> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Differs> {
        check(self.target.is_none())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Differs> {
        check(self.target.is_none())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Differs> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Differs> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Differs> {
        let inner = self.tagged(variant)?;
        value.serialize(Matcher {
            state: self.state,
            target: &inner,
        })
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Differs> {
        let list = self
            .target
            .cast_exact::<PyList>()
            .map_err(|_| Differs)?
            .clone();
        Ok(SeqMatcher {
            state: self.state,
            list,
            index: 0,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Differs> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Differs> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Differs> {
        let inner = self.tagged(variant)?;
        let list = inner.cast_exact::<PyList>().map_err(|_| Differs)?.clone();
        Ok(SeqMatcher {
            state: self.state,
            list,
            index: 0,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Differs> {
        let dict = self.dict()?;
        Ok(DictMatcher::new(self.state, dict))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Differs> {
        let dict = self.dict()?;
        Ok(DictMatcher::new(self.state, dict))
    }

    fn serialize_struct_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Differs> {
        let inner = self.tagged(variant)?;
        let dict = inner.cast_exact::<PyDict>().map_err(|_| Differs)?.clone();
        Ok(DictMatcher::new(self.state, dict))
    }
}

/// Compares list items in order; the list must have exactly as many.
pub(super) struct SeqMatcher<'a, 'py> {
    state: &'a mut State<'py>,
    list: Bound<'py, PyList>,
    index: usize,
}

impl SeqMatcher<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        let index = ffi::Py_ssize_t::try_from(self.index).map_err(|_| Differs)?;
        check(self.index < self.list.len())?;
        self.index += 1;
        // SAFETY: a live list, an index in range, the GIL held: a borrowed reference to an item
        // nothing removes while it is compared.
        let item = unsafe {
            Borrowed::from_ptr_or_opt(
                self.list.py(),
                ffi::PyList_GetItem(self.list.as_ptr(), index),
            )
        }
        .ok_or(Differs)?;
        value.serialize(Matcher {
            state: &mut *self.state,
            target: &item,
        })
    }

    fn done(self) -> Result<(), Differs> {
        check(self.index == self.list.len())
    }
}

/// Compares entries by key; the dict must have exactly the entries written.
pub(super) struct DictMatcher<'a, 'py> {
    state: &'a mut State<'py>,
    dict: Bound<'py, PyDict>,
    pending: Option<Bound<'py, PyAny>>,
    count: usize,
}

impl<'a, 'py> DictMatcher<'a, 'py> {
    fn new(state: &'a mut State<'py>, dict: Bound<'py, PyDict>) -> Self {
        Self {
            state,
            dict,
            pending: None,
            count: 0,
        }
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Differs> {
        let key = self.state.name(name);
        self.entry(&key, value)
    }

    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: &Bound<'py, PyString>,
        value: &T,
    ) -> Result<(), Differs> {
        let existing = borrowed_item(&self.dict, key).ok_or(Differs)?;
        self.count += 1;
        value.serialize(Matcher {
            state: &mut *self.state,
            target: &existing,
        })
    }

    fn done(self) -> Result<(), Differs> {
        check(self.count == self.dict.len())
    }
}

impl<'py> ser::SerializeMap for DictMatcher<'_, 'py> {
    type Ok = ();
    type Error = Differs;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Differs> {
        let key = match key.serialize(KeySerializer).map_err(|_| Differs)? {
            Key::Name(name) => self.state.name(name),
            Key::Text(text) => PyString::new(self.state.py, &text),
        };
        self.pending = Some(key.into_any());
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Differs> {
        let key = self.pending.take().ok_or(Differs)?;
        let key = key.cast_into::<PyString>().map_err(|_| Differs)?;
        self.entry(&key, value)
    }

    fn end(self) -> Result<(), Differs> {
        self.done()
    }
}

forward_sequence_traits!(SeqMatcher, (), Differs, item, done);
forward_struct_traits!(DictMatcher, (), Differs, field, done);
