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
    (2, ACCOUNT_NAMESPACE),
    (
        3,
        r#"
-- Sync metadata of links (what `apply_plan` outputs); contacts keep theirs in `record`.
ALTER TABLE contact_links ADD COLUMN last_seen_at TEXT;
ALTER TABLE contact_links ADD COLUMN last_synced_at TEXT;
ALTER TABLE contact_links ADD COLUMN status TEXT;
"#,
    ),
];

/// Version 2: every record belongs to a PSA account. Each table is rebuilt with an
/// `account_id` column leading its keys and indexes; existing rows move to the default account
/// (`'default'`, [`crate::store::DEFAULT_ACCOUNT_ID`]). Adds the account-wide settings and the
/// connection lifecycle records. Runs with foreign-key enforcement off (see [`migrate`]).
const ACCOUNT_NAMESPACE: &str = r#"
CREATE TABLE IF NOT EXISTS oauth_nonces (
    nonce         TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE connections_v2 (
    account_id      TEXT NOT NULL,
    connection_id   TEXT NOT NULL,
    connection_type TEXT NOT NULL,
    display_name    TEXT,
    settings        TEXT NOT NULL DEFAULT '{}',
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (account_id, connection_id)
);
INSERT INTO connections_v2 SELECT 'default', connection_id, connection_type, display_name, settings, created_at_ms FROM connections;
DROP TABLE connections;
ALTER TABLE connections_v2 RENAME TO connections;

CREATE TABLE managed_tenants_v2 (
    account_id      TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    record          TEXT NOT NULL,
    PRIMARY KEY (account_id, entra_tenant_id)
);
INSERT INTO managed_tenants_v2 SELECT 'default', entra_tenant_id, status, record FROM managed_tenants;
DROP TABLE managed_tenants;
ALTER TABLE managed_tenants_v2 RENAME TO managed_tenants;

CREATE TABLE clients_v2 (
    account_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
INSERT INTO clients_v2 SELECT 'default', client_id, record FROM clients;
DROP TABLE clients;
ALTER TABLE clients_v2 RENAME TO clients;

CREATE TABLE tenant_mappings_v2 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    client_id       TEXT,
    state           TEXT NOT NULL,
    confirmed_at    TEXT,
    opened_at       TEXT NOT NULL,
    closed_at       TEXT
);
INSERT INTO tenant_mappings_v2 SELECT id, 'default', entra_tenant_id, client_id, state, confirmed_at, opened_at, closed_at FROM tenant_mappings;
DROP TABLE tenant_mappings;
ALTER TABLE tenant_mappings_v2 RENAME TO tenant_mappings;
CREATE UNIQUE INDEX tenant_mappings_current ON tenant_mappings (account_id, entra_tenant_id) WHERE closed_at IS NULL;

-- A tenant's settings overrides (a partial settings object).
CREATE TABLE sync_settings_v2 (
    account_id      TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    settings        TEXT NOT NULL,
    PRIMARY KEY (account_id, entra_tenant_id)
);
INSERT INTO sync_settings_v2 SELECT 'default', entra_tenant_id, settings FROM sync_settings;
DROP TABLE sync_settings;
ALTER TABLE sync_settings_v2 RENAME TO sync_settings;

CREATE TABLE account_settings (
    account_id TEXT PRIMARY KEY,
    settings   TEXT NOT NULL
);

-- Connections are closed (status 'disconnected'), never deleted; seq keeps their order.
CREATE TABLE account_connections (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    status        TEXT NOT NULL,
    record        TEXT NOT NULL
);
CREATE UNIQUE INDEX account_connections_id ON account_connections (account_id, connection_id);

CREATE TABLE runs_v2 (
    account_id TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    status     TEXT NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (account_id, run_id)
);
INSERT INTO runs_v2 SELECT 'default', run_id, status, record FROM runs;

CREATE TABLE run_tenant_results_v2 (
    account_id      TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    record          TEXT NOT NULL,
    PRIMARY KEY (account_id, run_id, entra_tenant_id),
    FOREIGN KEY (account_id, run_id) REFERENCES runs (account_id, run_id)
);
INSERT INTO run_tenant_results_v2 SELECT 'default', run_id, entra_tenant_id, outcome, record FROM run_tenant_results;
DROP TABLE run_tenant_results;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
ALTER TABLE run_tenant_results_v2 RENAME TO run_tenant_results;

CREATE TABLE contacts_v2 (
    account_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    client_id  TEXT,
    record     TEXT NOT NULL,
    PRIMARY KEY (account_id, contact_id)
);
INSERT INTO contacts_v2 SELECT 'default', contact_id, client_id, record FROM contacts;

CREATE TABLE contact_addresses_v2 (
    account_id TEXT NOT NULL,
    address    TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (account_id, address, contact_id),
    FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, contact_id)
) WITHOUT ROWID;
INSERT INTO contact_addresses_v2 SELECT 'default', address, contact_id FROM contact_addresses;
DROP TABLE contact_addresses;
DROP TABLE contacts;
ALTER TABLE contacts_v2 RENAME TO contacts;
ALTER TABLE contact_addresses_v2 RENAME TO contact_addresses;
CREATE INDEX contacts_by_client ON contacts (account_id, client_id);
CREATE INDEX contact_addresses_by_contact ON contact_addresses (account_id, contact_id);

CREATE TABLE contact_links_v2 (
    account_id      TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    entra_object_id TEXT NOT NULL,
    contact_id      TEXT NOT NULL,
    client_id       TEXT,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    PRIMARY KEY (account_id, entra_tenant_id, entra_object_id, contact_id)
);
INSERT INTO contact_links_v2 SELECT 'default', entra_tenant_id, entra_object_id, contact_id, client_id, active FROM contact_links;
DROP TABLE contact_links;
ALTER TABLE contact_links_v2 RENAME TO contact_links;
CREATE UNIQUE INDEX contact_links_active_identity ON contact_links (account_id, entra_tenant_id, entra_object_id) WHERE active = 1;
CREATE UNIQUE INDEX contact_links_active_contact ON contact_links (account_id, contact_id) WHERE active = 1;

CREATE TABLE reconciliation_queue_v2 (
    account_id      TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    entra_object_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL,
    record          TEXT NOT NULL,
    PRIMARY KEY (account_id, entra_tenant_id, entra_object_id)
);
INSERT INTO reconciliation_queue_v2 SELECT 'default', entra_tenant_id, entra_object_id, kind, state, record FROM reconciliation_queue;
DROP TABLE reconciliation_queue;
ALTER TABLE reconciliation_queue_v2 RENAME TO reconciliation_queue;

CREATE TABLE delta_links_v2 (
    account_id      TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL,
    delta_link      TEXT NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (account_id, entra_tenant_id)
);
INSERT INTO delta_links_v2 SELECT 'default', entra_tenant_id, delta_link, updated_at_ms FROM delta_links;
DROP TABLE delta_links;
ALTER TABLE delta_links_v2 RENAME TO delta_links;

CREATE TABLE oauth_nonces_v2 (
    account_id    TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, nonce)
) WITHOUT ROWID;
INSERT INTO oauth_nonces_v2 SELECT 'default', nonce, expires_at_ms FROM oauth_nonces;
DROP TABLE oauth_nonces;
ALTER TABLE oauth_nonces_v2 RENAME TO oauth_nonces;
CREATE INDEX oauth_nonces_by_expiry ON oauth_nonces (account_id, expires_at_ms);
"#;

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 3;

/// Brings the database to [`SCHEMA_VERSION`]. Call it before foreign-key enforcement is turned
/// on: a migration that rebuilds a referenced table drops it first.
pub(super) fn migrate(conn: &mut Connection, now_ms: i64) -> Result<(), StoreError> {
    migrate_to(conn, now_ms, SCHEMA_VERSION)
}

/// Brings the database to `target` (tests build databases of older versions with it).
pub(super) fn migrate_to(
    conn: &mut Connection,
    now_ms: i64,
    target: i64,
) -> Result<(), StoreError> {
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
    for (version, sql) in MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > current && *v <= target)
    {
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
