//! A fast keyed hasher for the planner's lookup tables.
//!
//! The tables are keyed by identifiers and addresses and rebuilt on every plan; the standard
//! SipHash spends more time hashing those short strings than the planner spends deciding. This
//! hasher mixes eight bytes per step and starts from a per-process random key, so keys crafted
//! against a fixed function cannot force collisions. Table order is never observable: plans are
//! produced in input order.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// Builds [`WordHasher`]s from a random key chosen once per process.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastState {
    key: u64,
}

impl Default for FastState {
    fn default() -> Self {
        static KEY: OnceLock<u64> = OnceLock::new();
        let key = *KEY.get_or_init(|| RandomState::new().hash_one(0x5eed_u64) | 1);
        Self { key }
    }
}

impl BuildHasher for FastState {
    type Hasher = WordHasher;

    fn build_hasher(&self) -> WordHasher {
        WordHasher { state: self.key }
    }
}

/// Multiply-rotate mixing, eight bytes at a time.
#[derive(Debug, Clone)]
pub(crate) struct WordHasher {
    state: u64,
}

impl WordHasher {
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(23) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        // A final avalanche so the low bits (which pick the bucket) depend on every input bit.
        let mut x = self.state;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, FastState>;
pub(crate) type FastSet<K> = HashSet<K, FastState>;

/// An empty map with room for `n` entries.
pub(crate) fn map_with_capacity<K, V>(n: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(n, FastState::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equally_and_tables_work() {
        let mut m: FastMap<&str, usize> = map_with_capacity(4);
        m.insert("00000000-0000-4000-8000-000000000001", 1);
        m.insert("00000000-0000-4000-8000-000000000002", 2);
        assert_eq!(m.get("00000000-0000-4000-8000-000000000002"), Some(&2));
        assert_eq!(m.get("00000000-0000-4000-8000-000000000003"), None);
        let s = FastState::default();
        assert_eq!(s.hash_one("abc"), s.hash_one("abc"));
        assert_ne!(s.hash_one("abc"), s.hash_one("abd"));
        assert_ne!(s.hash_one("a"), s.hash_one("a\\0"));
    }
}
