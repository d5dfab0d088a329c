//! Writes the core's output records straight into Python objects with serde, without a JSON tree
//! in between. A plan for a hundred thousand users is several hundred thousand dicts, and building
//! an intermediate tree first roughly doubled the time of a call.
//!
//! The result has exactly the shape of the JSON entry point's: the same `Serialize` impls decide
//! keys, renames and omitted fields, objects list their keys in the same (sorted) order, and
//! non-finite floats become `None`, as they become `null` in JSON.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde::ser::{self, Impossible, Serialize};

use crate::convert::{Fnv, GcPause};
use crate::errors::{self, Family};

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

/// Converts an output record into plain Python values (dict, list, str, int, float, bool, None).
///
/// The cyclic garbage collector is paused meanwhile: plain data holds no cycles, and a collection
/// every few hundred new dicts would traverse everything built so far.
pub fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let _paused = GcPause::new(py, true);
    let mut names = Names::default();
    value
        .serialize(PySerializer {
            py,
            names: &mut names,
        })
        .map_err(|e| match e {
            SerError::Py(e) => e,
            SerError::Shape(m) => errors::exception(
                py,
                Family::Core,
                "invalid_input",
                &format!("cannot serialize output: {m}"),
                None,
            ),
        })
}

/// One Python string per distinct field name and enum variant of a result: every record repeats
/// the same camelCase keys, so each is created once and shared.
#[derive(Default)]
struct Names<'py> {
    cache: HashMap<&'static str, Bound<'py, PyString>, BuildHasherDefault<Fnv>>,
}

impl<'py> Names<'py> {
    fn get(&mut self, py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
        self.cache
            .entry(name)
            .or_insert_with(|| PyString::new(py, name))
            .clone()
    }
}

/// A serde serializer whose output is one Python object.
struct PySerializer<'a, 'py> {
    py: Python<'py>,
    names: &'a mut Names<'py>,
}

impl<'py> PySerializer<'_, 'py> {
    fn int(self, v: i64) -> Result<Bound<'py, PyAny>, SerError> {
        let Ok(obj) = v.into_pyobject(self.py);
        Ok(obj.into_any())
    }

    fn uint(self, v: u64) -> Result<Bound<'py, PyAny>, SerError> {
        let Ok(obj) = v.into_pyobject(self.py);
        Ok(obj.into_any())
    }

    fn float(self, v: f64) -> Result<Bound<'py, PyAny>, SerError> {
        if v.is_finite() {
            Ok(PyFloat::new(self.py, v).into_any())
        } else {
            Ok(self.py.None().into_bound(self.py))
        }
    }

    /// `{variant: value}`, serde's external tagging.
    fn tagged(
        self,
        variant: &'static str,
        value: Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyAny>, SerError> {
        let dict = PyDict::new(self.py);
        dict.set_item(self.names.get(self.py, variant), value)?;
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
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }

    fn serialize_i8(self, v: i8) -> Result<Self::Ok, SerError> {
        self.int(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<Self::Ok, SerError> {
        self.int(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<Self::Ok, SerError> {
        self.int(i64::from(v))
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

    fn serialize_u8(self, v: u8) -> Result<Self::Ok, SerError> {
        self.uint(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<Self::Ok, SerError> {
        self.uint(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<Self::Ok, SerError> {
        self.uint(u64::from(v))
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
        Ok(PyString::new(self.py, v.encode_utf8(&mut buf)).into_any())
    }

    fn serialize_str(self, v: &str) -> Result<Self::Ok, SerError> {
        Ok(PyString::new(self.py, v).into_any())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, SerError> {
        // JSON has no bytes: serde_json writes them as a list of numbers.
        Ok(PyList::new(self.py, v)?.into_any())
    }

    fn serialize_none(self) -> Result<Self::Ok, SerError> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Self::Ok, SerError> {
        Ok(self.py.None().into_bound(self.py))
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
        Ok(self.names.get(self.py, variant).into_any())
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
        let inner = value.serialize(PySerializer {
            py: self.py,
            names: &mut *self.names,
        })?;
        self.tagged(variant, inner)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Ok(SeqBuilder {
            py: self.py,
            names: self.names,
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
            py: self.py,
            names: self.names,
            items: Vec::with_capacity(len),
            variant: Some(variant),
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Ok(DictBuilder {
            py: self.py,
            names: self.names,
            entries: Vec::with_capacity(len.unwrap_or(0)),
            pending: None,
            variant: None,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        Ok(DictBuilder {
            py: self.py,
            names: self.names,
            entries: Vec::with_capacity(len),
            pending: None,
            variant: None,
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Ok(DictBuilder {
            py: self.py,
            names: self.names,
            entries: Vec::with_capacity(len),
            pending: None,
            variant: Some(variant),
        })
    }
}

/// Collects the items of a list (pre-sized from serde's length hint).
struct SeqBuilder<'a, 'py> {
    py: Python<'py>,
    names: &'a mut Names<'py>,
    items: Vec<Bound<'py, PyAny>>,
    /// Set for a tuple variant, which becomes `{variant: [...]}`.
    variant: Option<&'static str>,
}

impl<'py> SeqBuilder<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let item = value.serialize(PySerializer {
            py: self.py,
            names: &mut *self.names,
        })?;
        self.items.push(item);
        Ok(())
    }

    fn finish(self) -> Result<Bound<'py, PyAny>, SerError> {
        let list = PyList::new(self.py, self.items)?.into_any();
        match self.variant {
            None => Ok(list),
            Some(variant) => PySerializer {
                py: self.py,
                names: self.names,
            }
            .tagged(variant, list),
        }
    }
}

impl<'py> ser::SerializeSeq for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.push(value)
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

/// A dict key: a field name known at compile time (shared Python string), or a map key.
enum Key {
    Name(&'static str),
    Text(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Name(s) => s,
            Key::Text(s) => s,
        }
    }
}

/// Collects the entries of a dict, then inserts them in key order, the order the JSON path's
/// sorted objects give.
struct DictBuilder<'a, 'py> {
    py: Python<'py>,
    names: &'a mut Names<'py>,
    entries: Vec<(Key, Bound<'py, PyAny>)>,
    pending: Option<Key>,
    /// Set for a struct variant, which becomes `{variant: {...}}`.
    variant: Option<&'static str>,
}

impl<'py> DictBuilder<'_, 'py> {
    fn value_of<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<Bound<'py, PyAny>, SerError> {
        value.serialize(PySerializer {
            py: self.py,
            names: &mut *self.names,
        })
    }

    fn finish(mut self) -> Result<Bound<'py, PyAny>, SerError> {
        // Stable, so of two equal keys the later wins, as in a JSON object.
        self.entries.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let dict = PyDict::new(self.py);
        for (key, value) in self.entries {
            match key {
                Key::Name(name) => dict.set_item(self.names.get(self.py, name), value)?,
                Key::Text(text) => dict.set_item(PyString::new(self.py, &text), value)?,
            }
        }
        let dict = dict.into_any();
        match self.variant {
            None => Ok(dict),
            Some(variant) => PySerializer {
                py: self.py,
                names: self.names,
            }
            .tagged(variant, dict),
        }
    }
}

impl<'py> ser::SerializeMap for DictBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.pending = Some(key.serialize(KeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .pending
            .take()
            .ok_or_else(|| SerError::Shape("a map value without a key".into()))?;
        let value = self.value_of(value)?;
        self.entries.push((key, value));
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> ser::SerializeStruct for DictBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let value = self.value_of(value)?;
        self.entries.push((Key::Name(key), value));
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for DictBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

/// Map keys become strings the way serde_json writes them: strings as they are, integers, bools
/// and chars as their text, unit variants as their name; anything else is refused.
struct KeySerializer;

fn not_a_key() -> SerError {
    SerError::Shape("key must be a string".into())
}

impl ser::Serializer for KeySerializer {
    type Ok = Key;
    type Error = SerError;
    type SerializeSeq = Impossible<Key, SerError>;
    type SerializeTuple = Impossible<Key, SerError>;
    type SerializeTupleStruct = Impossible<Key, SerError>;
    type SerializeTupleVariant = Impossible<Key, SerError>;
    type SerializeMap = Impossible<Key, SerError>;
    type SerializeStruct = Impossible<Key, SerError>;
    type SerializeStructVariant = Impossible<Key, SerError>;

    fn serialize_bool(self, v: bool) -> Result<Key, SerError> {
        Ok(Key::Name(if v { "true" } else { "false" }))
    }

    fn serialize_i8(self, v: i8) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_i16(self, v: i16) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_i32(self, v: i32) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_i64(self, v: i64) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_i128(self, v: i128) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_u8(self, v: u8) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_u16(self, v: u16) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_u32(self, v: u32) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_u64(self, v: u64) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_u128(self, v: u128) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_f32(self, _v: f32) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_f64(self, _v: f64) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_char(self, v: char) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Key, SerError> {
        Ok(Key::Text(v.to_string()))
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_none(self) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_unit(self) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Key, SerError> {
        Ok(Key::Name(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Key, SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(not_a_key())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerError> {
        Err(not_a_key())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        Err(not_a_key())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(not_a_key())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Err(not_a_key())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        Err(not_a_key())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(not_a_key())
    }
}
