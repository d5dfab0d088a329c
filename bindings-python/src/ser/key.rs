//! Map keys of a result, as serde_json writes them.

use serde::ser::{self, Impossible, Serialize};

use super::SerError;

/// A dict key: a field name known at compile time (shared Python string), or a map key.
pub(super) enum Key {
    Name(&'static str),
    Text(String),
}

/// Map keys become strings the way serde_json writes them: strings as they are, integers, bools
/// and chars as their text, unit variants as their name; anything else is refused.
pub(super) struct KeySerializer;

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

    text_keys! {
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
    }

    fn serialize_f32(self, _v: f32) -> Result<Key, SerError> {
        Err(not_a_key())
    }

    fn serialize_f64(self, _v: f64) -> Result<Key, SerError> {
        Err(not_a_key())
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
