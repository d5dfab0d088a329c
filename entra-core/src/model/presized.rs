//! Reading a long list with its whole length reserved at once, when the reader knows it.
//!
//! serde's own `Vec` reader reserves at most about 1 MiB up front, whatever length the reader
//! announces (a guard against a forged length), then doubles. For a million user records
//! (344 MB) that is nine moves of the growing list, about 0.7 GB copied into fresh memory, with
//! the old and the new list held at once at every move. A reader over data already in memory
//! (the Python binding's reader over a list it can measure) announces the exact length; JSON
//! text announces none, so a `serde_json` read is unchanged. The reservation is capped at 1 GiB
//! whatever is announced.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

/// The most a list reserves up front, in bytes, whatever length its reader announces.
const MAX_RESERVED_BYTES: usize = 1 << 30;

/// A `Vec` read with its announced length reserved (see the module doc).
struct Presized<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Presized<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_seq(PresizedVisitor(PhantomData))
            .map(Presized)
    }
}

struct PresizedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for PresizedVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // serde's own `Vec` reader's words, so errors read the same.
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let most = MAX_RESERVED_BYTES / std::mem::size_of::<T>().max(1);
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(most));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }
}

/// Reads a required list with its announced length reserved.
pub fn presized<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Presized::deserialize(deserializer).map(|p| p.0)
}

/// Like [`presized`], reading `null` (or a missing field, with `#[serde(default)]`) as empty.
pub fn presized_or_default<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Presized<T>>::deserialize(deserializer)?
        .map(|p| p.0)
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde::de::value::{Error, SeqDeserializer};

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Lists {
        #[serde(deserialize_with = "presized")]
        required: Vec<u32>,
        #[serde(default, deserialize_with = "presized_or_default")]
        optional: Vec<String>,
    }

    /// A case: JSON input, and the lengths of the lists read or the start of the error.
    type Case = (&'static str, Result<(usize, usize), &'static str>);

    /// Cases: JSON input and the lists read, or the error expected (serde's own words).
    #[test]
    fn reads_as_a_plain_vec_does() {
        let cases: [Case; 5] = [
            (r#"{"required":[1,2,3],"optional":["a"]}"#, Ok((3, 1))),
            (r#"{"required":[],"optional":null}"#, Ok((0, 0))),
            (r#"{"required":[7]}"#, Ok((1, 0))),
            (
                r#"{"required":"x"}"#,
                Err("invalid type: string \"x\", expected a sequence"),
            ),
            (r#"{"optional":[]}"#, Err("missing field `required`")),
        ];
        for (text, expected) in cases {
            let read = serde_json::from_str::<Lists>(text);
            match (read, expected) {
                (Ok(lists), Ok((r, o))) => {
                    assert_eq!(
                        (lists.required.len(), lists.optional.len()),
                        (r, o),
                        "{text}"
                    )
                }
                (Err(e), Err(words)) => assert!(e.to_string().starts_with(words), "{text}: {e}"),
                (read, expected) => panic!("{text}: {read:?} against {expected:?}"),
            }
        }
    }

    /// An announced length is reserved in one go, and a forged one is capped.
    #[test]
    fn reserves_the_announced_length_up_to_the_cap() {
        let items: Vec<u64> = (0..100_000).collect();
        let read: Vec<u64> = presized(SeqDeserializer::<_, Error>::new(items.clone().into_iter()))
            .expect("a sequence");
        assert_eq!(read, items);
        assert_eq!(read.capacity(), items.len());
    }
}
