//! Plain Python values (dict, list, str, int, float, bool, None) to and from `serde_json::Value`,
//! the form every pure function of the core reads and writes. Keeping the conversion here, and
//! nowhere else, is what lets a new core function appear in Python without binding code.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyModule, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Why a Python value cannot become JSON, with the path of the offending element.
#[derive(Debug)]
pub struct ConvertError {
    /// Path segments collected while the error travels outwards, innermost first.
    segments: Vec<String>,
    message: String,
}

impl ConvertError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            segments: Vec::new(),
            message: message.into(),
        }
    }

    fn at(mut self, segment: String) -> Self {
        self.segments.push(segment);
        self
    }

    /// The readable message, e.g. ``field `users[3].accountEnabled`: cannot convert set``.
    pub fn message(&self, root: &str) -> String {
        let mut path = root.to_string();
        for segment in self.segments.iter().rev() {
            path.push_str(segment);
        }
        if path.is_empty() {
            self.message.clone()
        } else {
            format!("field `{path}`: {}", self.message)
        }
    }
}

/// Converts a Python argument into JSON; a value that has no JSON form is `invalid_input`
/// naming the offending element under `name`.
pub fn json_arg(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    to_json(value).map_err(|e| crate::errors::invalid_input(py, &e.message(name)))
}

/// Maximum nesting accepted from Python; contract records are shallow, so anything deeper is
/// almost certainly a self-referencing structure.
const MAX_DEPTH: usize = 128;

/// Converts a Python value into JSON. Mappings must have `str` keys; tuples read as lists.
pub fn to_json(value: &Bound<'_, PyAny>) -> Result<Value, ConvertError> {
    to_json_at(value, 0)
}

fn to_json_at(value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::new("nested too deeply"));
    }
    if let Ok(s) = value.cast_exact::<PyString>() {
        return string_of(s).map(Value::String);
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(ConvertError::new(format!(
                    "mapping keys must be str, got {}",
                    type_name(&key)
                )));
            };
            let key = string_of(key)?;
            let item = to_json_at(&item, depth + 1).map_err(|e| e.at(format!(".{key}")))?;
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = value.cast::<PyList>() {
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            out.push(to_json_at(&item, depth + 1).map_err(|e| e.at(format!("[{i}]")))?);
        }
        return Ok(Value::Array(out));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast_exact::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(i) = value.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = value.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(ConvertError::new("integer out of range"));
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        let f = f.value();
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| ConvertError::new(format!("{f} is not a finite number")));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return string_of(s).map(Value::String);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        let mut out = Vec::with_capacity(tuple.len());
        for (i, item) in tuple.iter().enumerate() {
            out.push(to_json_at(&item, depth + 1).map_err(|e| e.at(format!("[{i}]")))?);
        }
        return Ok(Value::Array(out));
    }
    Err(ConvertError::new(format!(
        "cannot convert a value of type {}",
        type_name(value)
    )))
}

fn string_of(s: &Bound<'_, PyString>) -> Result<String, ConvertError> {
    s.to_cow()
        .map(|c| c.into_owned())
        .map_err(|e| ConvertError::new(format!("invalid string: {e}")))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

/// Converts JSON into plain Python values. Object keys repeat across records (every user has
/// `entraObjectId`), so each distinct key becomes one shared Python string.
///
/// The cyclic garbage collector is paused meanwhile: building a million fresh dicts would
/// otherwise trigger collections that traverse every object built so far, and plain JSON data
/// holds no cycles.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    let mut keys = KeyCache::default();
    let large = match value {
        Value::Array(a) => a.len() > 1_000,
        Value::Object(o) => o
            .values()
            .any(|v| matches!(v, Value::Array(a) if a.len() > 1_000)),
        _ => false,
    };
    let _paused = GcPause::new(py, large);
    to_py_with(py, value, &mut keys)
}

/// Interned object keys for one conversion, hashed with FNV-1a (keys are short and trusted).
type KeyCache<'py> = HashMap<String, Bound<'py, PyString>, BuildHasherDefault<Fnv>>;

/// FNV-1a: much cheaper than SipHash on the short keys of contract records.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Pauses Python's cyclic garbage collector while a large result is built, restoring its
/// previous state afterwards (also on error).
pub struct GcPause<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPause<'py> {
    /// Pauses the collector when `large` (a small result is not worth the two calls).
    pub fn new(py: Python<'py>, large: bool) -> Self {
        if !large {
            return Self { gc: None };
        }
        let gc = py.import("gc").ok().filter(|gc| {
            gc.call_method0("isenabled")
                .and_then(|e| e.extract::<bool>())
                .unwrap_or(false)
                && gc.call_method0("disable").is_ok()
        });
        Self { gc }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            let _ = gc.call_method0("enable");
        }
    }
}

fn to_py_with<'py>(
    py: Python<'py>,
    value: &Value,
    keys: &mut KeyCache<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else if let Some(f) = n.as_f64() {
                PyFloat::new(py, f).into_any()
            } else {
                return Err(PyOverflowError::new_err(format!(
                    "number {n} cannot be represented"
                )));
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(to_py_with(py, item, keys)?);
            }
            PyList::new(py, out)?.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                let key = match keys.get(k) {
                    Some(key) => key.clone(),
                    None => {
                        let key = PyString::new(py, k);
                        keys.insert(k.clone(), key.clone());
                        key
                    }
                };
                dict.set_item(key, to_py_with(py, v, keys)?)?;
            }
            dict.into_any()
        }
    })
}

/// A JSON result handed back to Python when an awaitable completes.
pub struct JsonOut(pub Value);

impl<'py> IntoPyObject<'py> for JsonOut {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        to_py(py, &self.0)
    }
}
