//! Serde helpers: hosts written in JavaScript and Python often send `null` where a list or flag is
//! expected. A `null` list is read as empty and a `null` flag as its default, while a value of the
//! wrong type is still an error.

use serde::{Deserialize, Deserializer};

/// Reads `null` (or a missing field, together with `#[serde(default)]`) as the type's default.
pub fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
