//! Single-use values (the nonce of a signed OAuth `state`): a host's callback asks the store to
//! consume a nonce once, so a replayed state is refused even while its signature and age hold.

#[cfg(feature = "engine")]
use std::collections::BTreeMap;
#[cfg(feature = "engine")]
use std::sync::Mutex;

use async_trait::async_trait;

use super::error::StoreError;
#[cfg(feature = "engine")]
use super::memory::MemoryStore;

/// Remembers consumed nonces until they expire. Both stores implement it; a host with its own
/// storage (a cache with expiry, its database) can implement it alone.
#[async_trait]
pub trait NonceStore: Send + Sync {
    /// **Atomic** (check and insert as one step). Records `nonce` as used until `expires_at_ms`
    /// (milliseconds since the epoch) and returns `true`, or returns `false` when it was already
    /// used: the caller must then refuse the request as a replay. Nonces whose expiry has passed
    /// may be pruned (by this call or later ones); the value they protected expires with them.
    async fn consume_nonce(&self, nonce: &str, expires_at_ms: u64) -> Result<bool, StoreError>;
}

/// Refuses a nonce that cannot identify anything.
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
pub(crate) fn validate_nonce(nonce: &str) -> Result<(), StoreError> {
    if nonce.trim().is_empty() {
        return Err(StoreError::invalid("a nonce must not be empty"));
    }
    if nonce.len() > MAX_NONCE_LEN {
        return Err(StoreError::invalid(format!(
            "a nonce must be at most {MAX_NONCE_LEN} bytes"
        )));
    }
    Ok(())
}

/// Longer values are refused rather than stored (a state's nonce is 22 characters).
pub const MAX_NONCE_LEN: usize = 256;

/// The in-memory ledger of consumed nonces, by nonce, with their expiry.
#[cfg(feature = "engine")]
#[derive(Debug, Default)]
pub(crate) struct NonceLedger(Mutex<BTreeMap<String, u64>>);

#[cfg(feature = "engine")]
impl NonceLedger {
    /// Inserts `nonce` unless present; prunes other entries that expired before `now_ms`.
    pub(crate) fn consume(
        &self,
        nonce: &str,
        expires_at_ms: u64,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        validate_nonce(nonce)?;
        let mut used = self
            .0
            .lock()
            .map_err(|_| StoreError::backend("nonce ledger lock poisoned"))?;
        if used.contains_key(nonce) {
            return Ok(false);
        }
        used.retain(|_, expires| *expires >= now_ms);
        used.insert(nonce.to_string(), expires_at_ms);
        Ok(true)
    }

    /// How many nonces are remembered (for tests of pruning).
    pub(crate) fn len(&self) -> usize {
        self.0.lock().map(|used| used.len()).unwrap_or(0)
    }
}

#[cfg(feature = "engine")]
#[async_trait]
impl NonceStore for MemoryStore {
    async fn consume_nonce(&self, nonce: &str, expires_at_ms: u64) -> Result<bool, StoreError> {
        self.space
            .nonces
            .consume(nonce, expires_at_ms, self.clock.now_ms())
    }
}

#[cfg(feature = "engine")]
impl MemoryStore {
    /// How many consumed nonces the store still remembers (expired ones are pruned as new ones
    /// are consumed).
    pub fn remembered_nonces(&self) -> usize {
        self.space.nonces.len()
    }
}

#[cfg(all(test, feature = "engine"))]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_consumed_once_and_expired_ones_are_pruned() {
        let ledger = NonceLedger::default();
        assert_eq!(ledger.consume("a", 1_000, 0), Ok(true));
        assert_eq!(
            ledger.consume("a", 1_000, 0),
            Ok(false),
            "a replay is refused"
        );
        assert_eq!(ledger.consume("b", 5_000, 2_000), Ok(true));
        assert_eq!(
            ledger.len(),
            1,
            "`a` expired at 1000 and was pruned at 2000"
        );
        assert_eq!(
            ledger.consume("b", 5_000, 6_000),
            Ok(false),
            "a remembered nonce is refused even past its expiry"
        );
        assert_eq!(
            ledger.consume("", 1, 0).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            ledger
                .consume(&"x".repeat(MAX_NONCE_LEN + 1), 1, 0)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
    }
}
