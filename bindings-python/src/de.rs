//! Reads contract records straight from Python objects with serde, without building a JSON tree
//! first. The large inputs (a million users) spend most of their conversion time on that tree, so
//! every typed argument is read this way ([`arg`]); input it refuses goes through the JSON
//! tree once more, only to produce the canonical error naming the field.

use std::fmt;

use pyo3::Borrowed;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// Why a Python value does not fit the record; only used to decide to take the slow path.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

const MAX_DEPTH: usize = 128;

/// Reads the argument `name` into a typed record of the contract (or the host layer's JSON,
/// with `T = serde_json::Value`). Input the reader refuses is read again through the JSON tree,
/// whose error names the field: `InvalidInput` with "`name`: ..." (just the error without a name).
pub fn arg<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<T> {
    if let Ok(read) = T::deserialize(PyDeserializer::new(value)) {
        return Ok(read);
    }
    let json = crate::convert::json_arg(py, value, name)?;
    entra_core::json::from_value(&json).map_err(|e| match name {
        "" => crate::errors::core_error(py, &e),
        name => crate::errors::invalid_input(py, &format!("`{name}`: {e}")),
    })
}

/// The value under `key` of a dict, borrowed (no reference counting); `None` when absent or on
/// a lookup error (which is cleared; only possible with a key whose `__eq__` or hash raises).
/// The caller uses it before anything that could run Python code and change the dict.
pub(crate) fn borrowed_item<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> Option<Borrowed<'a, 'py, PyAny>> {
    // SAFETY: a live dict and key, the GIL held; the result is borrowed from the dict, which
    // nothing modifies while a result is written.
    let item = unsafe { ffi::PyDict_GetItemWithError(dict.as_ptr(), key.as_ptr()) };
    if item.is_null() {
        // Absent, or an error (a key whose hash failed): either way not a match.
        let _ = PyErr::take(dict.py());
        return None;
    }
    // SAFETY: non-null borrowed reference valid while the dict is.
    Some(unsafe { Borrowed::from_ptr(dict.py(), item) })
}

thread_local! {
    /// Set when a read met a key or value of a subclass of a built-in type, or a tuple (anything
    /// the serializer would not write back as the very same type); see [`read_typed`].
    static INEXACT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn met_inexact() {
    INEXACT.with(|flag| flag.set(true));
}

/// A typed record read from Python objects, and whether every value read was of an exact
/// built-in type (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub struct Read<T> {
    pub value: T,
    /// No subclass instance and no tuple was met: every string the record holds was read from an
    /// exact `str`, every list from an exact `list`. The serializer's reuse check relies on it
    /// (see `ser::Reuse::read_from`).
    pub exact: bool,
}

/// Reads `value` into `T` (as `T::deserialize(PyDeserializer::new(value))`) and says whether
/// every value it met was of an exact built-in type.
pub fn read_typed<T: serde::de::DeserializeOwned>(
    value: &Bound<'_, PyAny>,
) -> Result<Read<T>, DeError> {
    let before = INEXACT.with(|flag| flag.replace(false));
    let read = T::deserialize(PyDeserializer::new(value));
    let inexact = INEXACT.with(|flag| flag.replace(before));
    Ok(Read {
        value: read?,
        exact: !inexact,
    })
}

/// A serde deserializer over one Python value.
///
/// It walks dicts, lists and tuples with borrowed references (no reference counting per item,
/// which under the stable ABI is a function call each): nothing can change the input meanwhile,
/// as the GIL is held throughout and no Python code runs while reading plain data.
pub struct PyDeserializer<'a, 'py> {
    value: Borrowed<'a, 'py, PyAny>,
    depth: usize,
}

impl<'a, 'py> PyDeserializer<'a, 'py> {
    pub fn new(value: &'a Bound<'py, PyAny>) -> Self {
        Self {
            value: value.as_borrowed(),
            depth: 0,
        }
    }

    fn child<'b>(
        &self,
        value: Borrowed<'b, 'py, PyAny>,
    ) -> Result<PyDeserializer<'b, 'py>, DeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DeError("nested too deeply".into()));
        }
        Ok(PyDeserializer {
            value,
            depth: self.depth + 1,
        })
    }
}

unsafe extern "C" {
    // Part of CPython's public C API since 3.3 and of the stable ABI since 3.10; PyO3 hides it
    // from abi3-py39 builds, but every CPython this wheel loads into exports it.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const std::os::raw::c_char;
}

/// Borrows the UTF-8 text of a Python string. CPython keeps the UTF-8 form inside the string
/// object (for ASCII it is the string's own storage), so nothing is copied or allocated, where
/// the abi3 default encodes into a new `bytes` object and copies it again.
pub(crate) fn str_of<'a>(s: &'a Bound<'_, PyString>) -> Result<&'a str, DeError> {
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live `str` object and we hold the GIL; the returned buffer belongs to the
    // string object, which outlives the borrow `'a`.
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        // A lone surrogate: not valid UTF-8. Clear the Python error; the slow path reports it.
        let err = PyErr::take(s.py());
        return Err(DeError(format!(
            "invalid string: {}",
            err.map(|e| e.to_string()).unwrap_or_default()
        )));
    }
    let len = usize::try_from(size).map_err(|_| DeError("invalid string length".into()))?;
    // SAFETY: CPython guarantees `data` points to `size` bytes of valid UTF-8 (it refuses, with
    // the error handled above, a string it cannot encode), so validating them again is waste.
    Ok(
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), len))
        },
    )
}

impl<'de, 'py> de::Deserializer<'de> for PyDeserializer<'_, 'py> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let v: &Bound<'py, PyAny> = &self.value;
        if let Ok(s) = v.cast_exact::<PyString>() {
            return visitor.visit_str(str_of(s)?);
        }
        if v.cast::<PyDict>().is_ok() {
            if !v.is_exact_instance_of::<PyDict>() {
                met_inexact();
            }
            return visitor.visit_map(DictAccess {
                parent: &self,
                dict: self.value,
                position: 0,
                value: None,
            });
        }
        if let Ok(list) = v.cast::<PyList>() {
            if !v.is_exact_instance_of::<PyList>() {
                met_inexact();
            }
            return visitor.visit_seq(ListAccess {
                parent: &self,
                items: self.value,
                len: list.len(),
                index: 0,
                get: pyo3::ffi::PyList_GetItem,
            });
        }
        if v.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(b) = v.cast_exact::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if v.is_instance_of::<PyInt>() {
            if !v.is_exact_instance_of::<PyInt>() {
                met_inexact();
            }
            if let Ok(i) = v.extract::<i64>() {
                return visitor.visit_i64(i);
            }
            if let Ok(u) = v.extract::<u64>() {
                return visitor.visit_u64(u);
            }
            return Err(DeError("integer out of range".into()));
        }
        if let Ok(f) = v.cast::<PyFloat>() {
            if !v.is_exact_instance_of::<PyFloat>() {
                met_inexact();
            }
            let f = f.value();
            if !f.is_finite() {
                return Err(DeError("not a finite number".into()));
            }
            return visitor.visit_f64(f);
        }
        if let Ok(s) = v.cast::<PyString>() {
            met_inexact();
            return visitor.visit_str(str_of(s)?);
        }
        if let Ok(tuple) = v.cast::<PyTuple>() {
            met_inexact();
            return visitor.visit_seq(ListAccess {
                parent: &self,
                items: self.value,
                len: tuple.len(),
                index: 0,
                get: pyo3::ffi::PyTuple_GetItem,
            });
        }
        Err(DeError("a value without a JSON form".into()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.value.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value.cast_exact::<PyString>() {
            Ok(s) => {
                visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(str_of(&s)?))
            }
            Err(_) => Err(DeError("expected a string".into())),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Unknown fields are skipped without converting them.
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier
    }
}

/// The entries of a dict, read with `PyDict_Next` (borrowed key and value).
struct DictAccess<'p, 'a, 'py> {
    parent: &'p PyDeserializer<'a, 'py>,
    dict: Borrowed<'a, 'py, PyAny>,
    position: ffi::Py_ssize_t,
    value: Option<Borrowed<'a, 'py, PyAny>>,
}

impl<'de, 'a, 'py> MapAccess<'de> for DictAccess<'_, 'a, 'py> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let mut key: *mut ffi::PyObject = std::ptr::null_mut();
        let mut value: *mut ffi::PyObject = std::ptr::null_mut();
        // SAFETY: `dict` is a live dict (checked by the caller) and the GIL is held; the key and
        // value are borrowed from the dict, which nothing modifies while it is read.
        let more = unsafe {
            ffi::PyDict_Next(self.dict.as_ptr(), &mut self.position, &mut key, &mut value)
        };
        if more == 0 {
            return Ok(None);
        }
        let py = self.dict.py();
        // SAFETY: `PyDict_Next` returned non-null borrowed references that live as long as the
        // dict entry, so for `'a`.
        let (key, value) = unsafe {
            (
                Borrowed::<'a, 'py, PyAny>::from_ptr(py, key),
                Borrowed::<'a, 'py, PyAny>::from_ptr(py, value),
            )
        };
        if key.cast::<PyString>().is_err() {
            return Err(DeError("mapping keys must be str".into()));
        }
        if !key.is_exact_instance_of::<PyString>() {
            met_inexact();
        }
        self.value = Some(value);
        seed.deserialize(self.parent.child(key)?).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| DeError("a value was asked before its key".into()))?;
        seed.deserialize(self.parent.child(value)?)
    }

    fn size_hint(&self) -> Option<usize> {
        // SAFETY: `dict` is a live dict and the GIL is held.
        usize::try_from(unsafe { ffi::PyDict_Size(self.dict.as_ptr()) }).ok()
    }
}

/// The items of a list or tuple, read by index (borrowed references).
struct ListAccess<'p, 'a, 'py> {
    parent: &'p PyDeserializer<'a, 'py>,
    items: Borrowed<'a, 'py, PyAny>,
    len: usize,
    index: usize,
    /// `PyList_GetItem` or `PyTuple_GetItem`: both return a borrowed reference.
    get: unsafe extern "C" fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *mut ffi::PyObject,
}

impl<'de, 'a, 'py> SeqAccess<'de> for ListAccess<'_, 'a, 'py> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.index >= self.len {
            return Ok(None);
        }
        let index = ffi::Py_ssize_t::try_from(self.index)
            .map_err(|_| DeError("sequence too long".into()))?;
        self.index += 1;
        // SAFETY: `items` is a live list (or tuple, matching `get`) of `len` items that nothing
        // modifies while it is read, and the GIL is held; `index < len`.
        let item = unsafe { (self.get)(self.items.as_ptr(), index) };
        let py = self.items.py();
        // SAFETY: a borrowed reference to an item of `items`, alive for `'a`; null (impossible for
        // an index in range) is reported rather than dereferenced.
        let item = unsafe { Borrowed::<'a, 'py, PyAny>::from_ptr_or_opt(py, item) }
            .ok_or_else(|| DeError("sequence changed while read".into()))?;
        seed.deserialize(self.parent.child(item)?).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.index)
    }
}
