//! Consumed OAuth nonces in their own table. It is created on open when missing (it holds only
//! short-lived values, so it needs no migration history) and pruned as nonces are consumed.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use crate::store::StoreError;
use crate::store::nonce::{NonceStore, validate_nonce};

use super::{SqliteStore, backend};

/// Creates the nonce table when it does not exist yet.
pub(super) fn ensure_table(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS oauth_nonces (
            account_id    TEXT NOT NULL,
            nonce         TEXT NOT NULL,
            expires_at_ms INTEGER NOT NULL,
            PRIMARY KEY (account_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS oauth_nonces_by_expiry ON oauth_nonces (account_id, expires_at_ms);",
    )
    .map_err(backend)
}

fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// Inserts `nonce` unless present (one statement, so two callbacks racing on one nonce cannot
/// both win); then prunes other nonces that expired before `now_ms`.
fn consume(
    conn: &Connection,
    account: &str,
    nonce: &str,
    expires_at_ms: u64,
    now_ms: u64,
) -> Result<bool, StoreError> {
    validate_nonce(nonce)?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO oauth_nonces (account_id, nonce, expires_at_ms) VALUES (?3, ?1, ?2)
             ON CONFLICT (account_id, nonce) DO NOTHING",
        )
        .map_err(backend)?
        .execute(params![nonce, to_i64(expires_at_ms), account])
        .map_err(backend)?;
    if inserted == 1 {
        conn.prepare_cached(
            "DELETE FROM oauth_nonces WHERE account_id = ?3 AND expires_at_ms < ?1 AND nonce <> ?2",
        )
        .map_err(backend)?
        .execute(params![to_i64(now_ms), nonce, account])
        .map_err(backend)?;
    }
    Ok(inserted == 1)
}

#[async_trait]
impl NonceStore for SqliteStore {
    async fn consume_nonce(&self, nonce: &str, expires_at_ms: u64) -> Result<bool, StoreError> {
        consume(
            &*self.lock()?,
            &self.account_id,
            nonce,
            expires_at_ms,
            self.clock.now_ms(),
        )
    }
}

impl SqliteStore {
    /// How many consumed nonces the database still remembers (expired ones are pruned as new
    /// ones are consumed).
    pub fn remembered_nonces(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .lock()?
            .query_row(
                "SELECT COUNT(*) FROM oauth_nonces WHERE account_id = ?1",
                params![self.account_id],
                |r| r.get(0),
            )
            .map_err(backend)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_consumed_once_and_expired_ones_are_pruned() -> Result<(), StoreError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        ensure_table(&conn)?;
        ensure_table(&conn)?;
        assert!(consume(&conn, "x", "a", 1_000, 0)?);
        assert!(!consume(&conn, "x", "a", 1_000, 0)?, "a replay is refused");
        assert!(consume(&conn, "x", "b", 5_000, 2_000)?);
        let left: i64 = conn
            .query_row("SELECT COUNT(*) FROM oauth_nonces", [], |r| r.get(0))
            .map_err(backend)?;
        assert_eq!(left, 1, "`a` expired at 1000 and was pruned at 2000");
        assert!(!consume(&conn, "x", "b", 5_000, 6_000)?);
        assert_eq!(
            consume(&conn, "x", " ", 1, 0).unwrap_err().code(),
            "invalid_input"
        );
        Ok(())
    }
}
