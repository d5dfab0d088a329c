//! The SQLite schema and its migrations. Each migration runs once, in its own transaction, and
//! is recorded in `schema_migrations`; a database written by an older version is brought forward
//! on open, and one written by a newer version is refused rather than misread.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreError;

use super::backend;

/// `(version, statements)`, in order. Never edit a released migration: append a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE connections (
    connection_id   TEXT PRIMARY KEY,
    connection_type TEXT NOT NULL,
    display_name    TEXT,
    -- Non-secret settings only (base URLs, tenant ids); secrets live in the host's secret store.
    settings        TEXT NOT NULL DEFAULT '{}',
    created_at_ms   INTEGER NOT NULL
);

CREATE TABLE managed_tenants (
    entra_tenant_id TEXT PRIMARY KEY,
    status          TEXT NOT NULL,
    record          TEXT NOT NULL
);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    record    TEXT NOT NULL
);

-- Every mapping a tenant ever had; the current one has closed_at NULL. Rows are closed, never deleted.
CREATE TABLE tenant_mappings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    entra_tenant_id TEXT NOT NULL,
    client_id       TEXT,
    state           TEXT NOT NULL,
    confirmed_at    TEXT,
    opened_at       TEXT NOT NULL,
    closed_at       TEXT
);
CREATE UNIQUE INDEX tenant_mappings_current ON tenant_mappings (entra_tenant_id) WHERE closed_at IS NULL;

CREATE TABLE sync_settings (
    entra_tenant_id TEXT PRIMARY KEY,
    settings        TEXT NOT NULL
);

CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    record TEXT NOT NULL
);

CREATE TABLE run_tenant_results (
    run_id          TEXT NOT NULL REFERENCES runs (run_id),
    entra_tenant_id TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    record          TEXT NOT NULL,
    PRIMARY KEY (run_id, entra_tenant_id)
);

CREATE TABLE contacts (
    contact_id TEXT PRIMARY KEY,
    client_id  TEXT,
    record     TEXT NOT NULL
);
CREATE INDEX contacts_by_client ON contacts (client_id);

-- Normalized (trimmed, lowercased) email and additional emails, for batch address lookups.
CREATE TABLE contact_addresses (
    address    TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (contact_id),
    PRIMARY KEY (address, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_addresses_by_contact ON contact_addresses (contact_id);

-- Links are closed (active = 0), never deleted. One active link per identity and per contact.
CREATE TABLE contact_links (
    entra_tenant_id TEXT NOT NULL,
    entra_object_id TEXT NOT NULL,
    contact_id      TEXT NOT NULL,
    client_id       TEXT,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    PRIMARY KEY (entra_tenant_id, entra_object_id, contact_id)
);
CREATE UNIQUE INDEX contact_links_active_identity ON contact_links (entra_tenant_id, entra_object_id) WHERE active = 1;
CREATE UNIQUE INDEX contact_links_active_contact ON contact_links (contact_id) WHERE active = 1;

CREATE TABLE reconciliation_queue (
    entra_tenant_id TEXT NOT NULL,
    entra_object_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL,
    record          TEXT NOT NULL,
    PRIMARY KEY (entra_tenant_id, entra_object_id)
);

CREATE TABLE delta_links (
    entra_tenant_id TEXT PRIMARY KEY,
    delta_link      TEXT NOT NULL,
    updated_at_ms   INTEGER NOT NULL
);
"#,
    ),
    (
        2,
        r#"
-- Sync metadata of links (what `apply_plan` outputs); contacts keep theirs in `record`.
ALTER TABLE contact_links ADD COLUMN last_seen_at TEXT;
ALTER TABLE contact_links ADD COLUMN last_synced_at TEXT;
ALTER TABLE contact_links ADD COLUMN status TEXT;
"#,
    ),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 2;

/// Brings the database to [`SCHEMA_VERSION`].
pub(super) fn migrate(conn: &mut Connection, now_ms: i64) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version       INTEGER PRIMARY KEY,
            applied_at_ms INTEGER NOT NULL
        );",
    )
    .map_err(backend)?;
    let current: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(backend)?
        .flatten()
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::Refused {
            message: format!(
                "the database has schema version {current}, newer than this build's {SCHEMA_VERSION}"
            ),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
            params![version, now_ms],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}
