//! The embedded durable store: SQLite (bundled), one file, schema migrations on open.
//!
//! Calls are short and synchronous behind a `std::sync::Mutex<Connection>`: each trait method
//! takes the lock, runs its statements (a plan write in one transaction) and releases it. A plan
//! write that fails half-way, or a process that dies during one, leaves the previous state intact
//! because the transaction is never committed.

mod nonces;
mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{
    Client, ConnectionType, Contact, ContactLink, LinkStatus, ManagedTenant, MappingState,
    Resolution, SettingsOverrides, TenantMapping,
};

use super::account::{DEFAULT_ACCOUNT_ID, check_account_id};
use super::changes::contact_addresses;
use super::connection::{AccountConnection, check_connection_write};
use super::error::StoreError;
use super::fault::{ApplyFault, FaultSlot, WriteCounter};
use super::memory::{
    observe, resolved, validate_finish, validate_mapping_updates, validate_resolution,
    validate_result,
};
use super::records::*;
use super::runs::heartbeat;
use super::{SyncStore, current_part, normalize_address};
use crate::clock::{Clock, SharedClock, WallClock};
use crate::reconcile::contact_version;

pub use schema::SCHEMA_VERSION;

/// Parameters per statement when a batch is split into `IN (…)` chunks.
const CHUNK: usize = 500;

/// A connection to an upstream, as stored (never with secrets: those stay in the host's secret
/// store and are resolved by name).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRecord {
    pub connection_id: String,
    pub connection_type: ConnectionType,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Non-secret settings such as base URLs and tenant ids.
    #[serde(default)]
    pub settings: serde_json::Value,
}

/// A [`SyncStore`] in one SQLite database.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// The account whose rows every statement reads and writes.
    account_id: String,
    fault: FaultSlot,
    /// What time it is when a record is stamped or a nonce's expiry checked.
    clock: SharedClock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

pub(super) fn backend(err: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(e, message) = &err
        && e.code == rusqlite::ErrorCode::ConstraintViolation
    {
        return StoreError::invalid(format!(
            "constraint violated: {}",
            message.as_deref().unwrap_or("unknown constraint")
        ));
    }
    StoreError::backend(err)
}

/// A clock reading as SQLite stores it.
fn stamp(clock: &dyn Clock) -> i64 {
    i64::try_from(clock.now_ms()).unwrap_or(i64::MAX)
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(StoreError::corrupt)
}

/// The snake_case name serde gives a unit enum value.
fn enum_str<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value).map_err(StoreError::backend)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(StoreError::backend(format!("not a unit enum: {other}"))),
    }
}

fn enum_from<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(StoreError::corrupt)
}

/// Runs `sql` and reads column 0 of each row as a JSON record.
fn records<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(from_json(&row.map_err(backend)?)?);
    }
    Ok(out)
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

fn link_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContactLink> {
    Ok(ContactLink {
        entra_tenant_id: r.get(0)?,
        entra_object_id: r.get(1)?,
        contact_id: r.get(2)?,
        client_id: r.get(3)?,
        active: r.get::<_, i64>(4)? != 0,
        last_seen_at: r.get(5)?,
        last_synced_at: r.get(6)?,
        status: r
            .get::<_, Option<String>>(7)?
            .as_deref()
            .and_then(|s| match s {
                "active" => Some(LinkStatus::Active),
                "closed" => Some(LinkStatus::Closed),
                _ => None,
            }),
    })
}

fn mapping_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(MappingHistoryEntry, String)> {
    let state: String = r.get(2)?;
    Ok((
        MappingHistoryEntry {
            mapping: TenantMapping {
                entra_tenant_id: r.get(0)?,
                client_id: r.get(1)?,
                state: MappingState::Mapped,
                confirmed_at: r.get(3)?,
                closed_at: r.get(5)?,
            },
            opened_at: r.get(4)?,
            closed_at: r.get(5)?,
        },
        state,
    ))
}

const MAPPING_COLUMNS: &str =
    "entra_tenant_id, client_id, state, confirmed_at, opened_at, closed_at";

/// The account's mappings matching `filter` (a condition over `?2`… ; `?1` is the account).
fn read_mappings(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<MappingHistoryEntry>, StoreError> {
    let sql = format!(
        "SELECT {MAPPING_COLUMNS} FROM tenant_mappings WHERE account_id = ?1 {filter} ORDER BY entra_tenant_id, id"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt.query_map(params, mapping_from_row).map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut entry, state) = row.map_err(backend)?;
        entry.mapping.state = enum_from(&state)?;
        out.push(entry);
    }
    Ok(out)
}

fn put_contact(tx: &Transaction<'_>, account: &str, contact: &Contact) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO contacts (account_id, contact_id, client_id, record) VALUES (?4, ?1, ?2, ?3)
         ON CONFLICT (account_id, contact_id) DO UPDATE SET client_id = excluded.client_id, record = excluded.record",
    )
    .map_err(backend)?
    .execute(params![
        contact.contact_id,
        contact.client_id,
        to_json(contact)?,
        account
    ])
    .map_err(backend)?;
    tx.prepare_cached("DELETE FROM contact_addresses WHERE account_id = ?2 AND contact_id = ?1")
        .map_err(backend)?
        .execute(params![contact.contact_id, account])
        .map_err(backend)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO contact_addresses (account_id, address, contact_id) VALUES (?3, ?1, ?2)",
        )
        .map_err(backend)?;
    for address in contact_addresses(contact) {
        insert
            .execute(params![address, contact.contact_id, account])
            .map_err(backend)?;
    }
    Ok(())
}

fn get_contact(
    tx: &Transaction<'_>,
    account: &str,
    contact_id: &str,
) -> Result<Option<Contact>, StoreError> {
    let record: Option<String> = tx
        .prepare_cached("SELECT record FROM contacts WHERE account_id = ?2 AND contact_id = ?1")
        .map_err(backend)?
        .query_row(params![contact_id, account], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    record.as_deref().map(from_json).transpose()
}

fn put_link(tx: &Transaction<'_>, account: &str, link: &ContactLink) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO contact_links (account_id, entra_tenant_id, entra_object_id, contact_id, client_id, active,
                                    last_seen_at, last_synced_at, status)
         VALUES (?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (account_id, entra_tenant_id, entra_object_id, contact_id)
         DO UPDATE SET client_id = excluded.client_id, active = excluded.active,
                       last_seen_at = excluded.last_seen_at,
                       last_synced_at = excluded.last_synced_at, status = excluded.status",
    )
    .map_err(backend)?
    .execute(params![
        link.entra_tenant_id,
        link.entra_object_id,
        link.contact_id,
        link.client_id,
        i64::from(link.active),
        link.last_seen_at,
        link.last_synced_at,
        link.status.map(|s| match s {
            LinkStatus::Active => "active",
            LinkStatus::Closed => "closed",
        }),
        account
    ])
    .map_err(backend)?;
    Ok(())
}

fn get_queue_item(
    tx: &Transaction<'_>,
    account: &str,
    tenant: &str,
    object_id: &str,
) -> Result<Option<QueueItem>, StoreError> {
    let text: Option<String> = tx
        .prepare_cached(
            "SELECT record FROM reconciliation_queue
             WHERE account_id = ?3 AND entra_tenant_id = ?1 AND entra_object_id = ?2",
        )
        .map_err(backend)?
        .query_row(params![tenant, object_id, account], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    text.map(|t| from_json(&t)).transpose()
}

fn put_queue_item(tx: &Transaction<'_>, account: &str, item: &QueueItem) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO reconciliation_queue (account_id, entra_tenant_id, entra_object_id, kind, state, record)
         VALUES (?6, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account_id, entra_tenant_id, entra_object_id)
         DO UPDATE SET kind = excluded.kind, state = excluded.state, record = excluded.record",
    )
    .map_err(backend)?
    .execute(params![
        item.entra_tenant_id,
        item.entra_object_id,
        enum_str(&item.kind)?,
        enum_str(&item.state)?,
        to_json(item)?,
        account
    ])
    .map_err(backend)?;
    Ok(())
}

fn get_run(
    conn: &Connection,
    account: &str,
    run_id: &str,
) -> Result<Option<RunRecord>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT record FROM runs WHERE account_id = ?2 AND run_id = ?1")
        .map_err(backend)?
        .query_row(params![run_id, account], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    text.map(|t| from_json(&t)).transpose()
}

fn put_run(conn: &Connection, account: &str, run: &RunRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO runs (account_id, run_id, status, record) VALUES (?4, ?1, ?2, ?3)
         ON CONFLICT (account_id, run_id) DO UPDATE SET status = excluded.status, record = excluded.record",
    )
    .map_err(backend)?
    .execute(params![
        run.run_id,
        enum_str(&run.status)?,
        to_json(run)?,
        account
    ])
    .map_err(backend)?;
    Ok(())
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path` for the default account
    /// ([`DEFAULT_ACCOUNT_ID`]) and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_for_account(path, DEFAULT_ACCOUNT_ID)
    }

    /// Opens (or creates) the database file at `path` for one PSA account: the store reads and
    /// writes only that account's rows, so one database serves many accounts. The account id is
    /// checked with [`super::check_account_id`].
    pub fn open_for_account(path: impl AsRef<Path>, account_id: &str) -> Result<Self, StoreError> {
        let account_id = check_account_id(account_id)?;
        let conn = Connection::open(path.as_ref()).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        Self::from_connection(conn, account_id)
    }

    /// A private database that lives as long as the store (tests, short-lived tools).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::from_connection(
            Connection::open_in_memory().map_err(backend)?,
            DEFAULT_ACCOUNT_ID.to_string(),
        )
    }

    fn from_connection(mut conn: Connection, account_id: String) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        let clock = WallClock::shared();
        // Migrations rebuild tables that others reference: enforcement starts after them.
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(backend)?;
        schema::migrate(&mut conn, stamp(clock.as_ref()))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        nonces::ensure_table(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            account_id,
            fault: FaultSlot::default(),
            clock,
        })
    }

    /// Keeps time with `clock` instead of the wall clock from now on (the schema migrations
    /// applied when the store was opened are stamped with the wall clock).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.lock()?
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .map_err(backend)
    }

    /// Makes plan writes fail part-way, inside the transaction (see [`ApplyFault`]).
    pub fn set_apply_fault(&self, fault: Option<ApplyFault>) {
        self.fault.set(fault);
    }

    /// Records a connection's non-secret settings.
    pub fn save_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError> {
        self.lock()?
            .execute(
                "INSERT INTO connections (account_id, connection_id, connection_type, display_name, settings, created_at_ms)
                 VALUES (?6, ?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, connection_id) DO UPDATE SET connection_type = excluded.connection_type,
                   display_name = excluded.display_name, settings = excluded.settings",
                params![
                    connection.connection_id,
                    enum_str(&connection.connection_type)?,
                    connection.display_name,
                    to_json(&connection.settings)?,
                    stamp(self.clock.as_ref()),
                    self.account_id
                ],
            )
            .map_err(backend)?;
        Ok(())
    }

    /// Every recorded connection, ordered by id.
    pub fn load_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT connection_id, connection_type, display_name, settings FROM connections
                 WHERE account_id = ?1 ORDER BY connection_id",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![self.account_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (connection_id, kind, display_name, settings) = row.map_err(backend)?;
            out.push(ConnectionRecord {
                connection_id,
                connection_type: enum_from(&kind)?,
                display_name,
                settings: from_json(&settings)?,
            });
        }
        Ok(out)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::backend("sqlite connection lock poisoned"))
    }
}

#[async_trait]
impl SyncStore for SqliteStore {
    fn account_id(&self) -> &str {
        &self.account_id
    }

    async fn load_tenants(&self) -> Result<Vec<ManagedTenant>, StoreError> {
        records(
            &*self.lock()?,
            "SELECT record FROM managed_tenants WHERE account_id = ?1 ORDER BY entra_tenant_id",
            params![self.account_id],
        )
    }

    async fn upsert_tenants(&self, tenants: &[ManagedTenant]) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        for tenant in tenants {
            tx.prepare_cached(
                "INSERT INTO managed_tenants (account_id, entra_tenant_id, status, record) VALUES (?4, ?1, ?2, ?3)
                 ON CONFLICT (account_id, entra_tenant_id) DO UPDATE SET status = excluded.status, record = excluded.record",
            )
            .map_err(backend)?
            .execute(params![
                tenant.entra_tenant_id,
                enum_str(&tenant.status)?,
                to_json(tenant)?,
                self.account_id
            ])
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    async fn load_clients(&self) -> Result<Vec<Client>, StoreError> {
        records(
            &*self.lock()?,
            "SELECT record FROM clients WHERE account_id = ?1 ORDER BY client_id",
            params![self.account_id],
        )
    }

    async fn upsert_clients(&self, clients: &[Client]) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        for client in clients {
            tx.prepare_cached(
                "INSERT INTO clients (account_id, client_id, record) VALUES (?3, ?1, ?2)
                 ON CONFLICT (account_id, client_id) DO UPDATE SET record = excluded.record",
            )
            .map_err(backend)?
            .execute(params![client.client_id, to_json(client)?, self.account_id])
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    async fn load_mappings(&self) -> Result<Vec<TenantMapping>, StoreError> {
        Ok(read_mappings(
            &*self.lock()?,
            "AND closed_at IS NULL",
            params![self.account_id],
        )?
        .into_iter()
        .map(|e| e.mapping)
        .collect())
    }

    async fn load_mapped_tenants(&self) -> Result<Vec<TenantMapping>, StoreError> {
        Ok(read_mappings(
            &*self.lock()?,
            "AND closed_at IS NULL AND state = 'mapped' AND client_id IS NOT NULL",
            params![self.account_id],
        )?
        .into_iter()
        .map(|e| e.mapping)
        .collect())
    }

    async fn write_mapping_changes(&self, updates: &[MappingUpdate]) -> Result<(), StoreError> {
        validate_mapping_updates(updates)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        for update in updates {
            tx.prepare_cached(
                "UPDATE tenant_mappings SET closed_at = ?2
                 WHERE account_id = ?3 AND entra_tenant_id = ?1 AND closed_at IS NULL",
            )
            .map_err(backend)?
            .execute(params![
                update.entra_tenant_id,
                update.changed_at,
                self.account_id
            ])
            .map_err(backend)?;
            if let Some(m) = &update.mapping {
                tx.prepare_cached(
                    "INSERT INTO tenant_mappings (account_id, entra_tenant_id, client_id, state, confirmed_at, opened_at)
                     VALUES (?6, ?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(backend)?
                .execute(params![
                    m.entra_tenant_id,
                    m.client_id,
                    enum_str(&m.state)?,
                    m.confirmed_at,
                    update.changed_at,
                    self.account_id
                ])
                .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)
    }

    async fn load_mapping_history(
        &self,
        entra_tenant_id: &str,
    ) -> Result<Vec<MappingHistoryEntry>, StoreError> {
        read_mappings(
            &*self.lock()?,
            "AND entra_tenant_id = ?2",
            params![self.account_id, entra_tenant_id],
        )
    }

    async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        for contact in contacts {
            put_contact(&tx, &self.account_id, contact)?;
        }
        tx.commit().map_err(backend)
    }

    async fn load_plan_contacts(
        &self,
        client_id: &str,
        addresses: &[String],
    ) -> Result<Vec<Contact>, StoreError> {
        let conn = self.lock()?;
        let mut out: BTreeMap<String, Contact> = BTreeMap::new();
        let own: Vec<Contact> = records(
            &conn,
            "SELECT record FROM contacts WHERE account_id = ?2 AND client_id = ?1",
            params![client_id, self.account_id],
        )?;
        for contact in own {
            out.insert(contact.contact_id.clone(), contact);
        }
        let addresses: BTreeSet<String> = addresses
            .iter()
            .filter_map(|a| normalize_address(a))
            .collect();
        let addresses: Vec<String> = addresses.into_iter().collect();
        for chunk in addresses.chunks(CHUNK) {
            let sql = format!(
                "SELECT c.record FROM contacts c WHERE c.account_id = ?1 AND c.contact_id IN
                 (SELECT contact_id FROM contact_addresses WHERE account_id = ?1 AND address IN ({}))",
                placeholders(chunk.len())
            );
            let found: Vec<Contact> = records(
                &conn,
                &sql,
                params_from_iter(std::iter::once(&self.account_id).chain(chunk.iter())),
            )?;
            for contact in found {
                out.insert(contact.contact_id.clone(), contact);
            }
        }
        Ok(out.into_values().collect())
    }

    async fn load_plan_links(
        &self,
        entra_tenant_id: &str,
        contact_ids: &[String],
    ) -> Result<Vec<ContactLink>, StoreError> {
        let conn = self.lock()?;
        let mut out: BTreeMap<(String, String, String), ContactLink> = BTreeMap::new();
        let mut push = |link: ContactLink| {
            out.insert(
                (
                    link.entra_tenant_id.clone(),
                    link.entra_object_id.clone(),
                    link.contact_id.clone(),
                ),
                link,
            );
        };
        const COLUMNS: &str = "entra_tenant_id, entra_object_id, contact_id, client_id, active, last_seen_at, last_synced_at, status";
        {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM contact_links WHERE account_id = ?2 AND entra_tenant_id = ?1"
                ))
                .map_err(backend)?;
            for link in stmt
                .query_map(params![entra_tenant_id, self.account_id], link_from_row)
                .map_err(backend)?
            {
                push(link.map_err(backend)?);
            }
        }
        for chunk in contact_ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {COLUMNS} FROM contact_links
                 WHERE account_id = ?1 AND active = 1 AND contact_id IN ({})",
                placeholders(chunk.len())
            );
            let mut stmt = conn.prepare(&sql).map_err(backend)?;
            for link in stmt
                .query_map(
                    params_from_iter(std::iter::once(&self.account_id).chain(chunk.iter())),
                    link_from_row,
                )
                .map_err(backend)?
            {
                push(link.map_err(backend)?);
            }
        }
        Ok(out.into_values().collect())
    }

    async fn load_resolutions(&self, entra_tenant_id: &str) -> Result<Vec<Resolution>, StoreError> {
        let items: Vec<QueueItem> = records(
            &*self.lock()?,
            "SELECT record FROM reconciliation_queue
             WHERE account_id = ?2 AND entra_tenant_id = ?1 AND state != 'open'
             ORDER BY entra_object_id",
            params![entra_tenant_id, self.account_id],
        )?;
        Ok(items.into_iter().filter_map(|i| i.resolution).collect())
    }

    async fn apply_changes(&self, changes: &TenantChanges) -> Result<AppliedChanges, StoreError> {
        let tenant = changes.entra_tenant_id.as_str();
        if let Some(link) = changes.links.iter().find(|l| l.entra_tenant_id != tenant) {
            return Err(StoreError::invalid(format!(
                "a change set of tenant {tenant} holds a link of tenant {}",
                link.entra_tenant_id
            )));
        }
        let mut counter = WriteCounter::new(self.fault.limit_for(tenant));
        let mut conn = self.lock()?;
        // Dropping the transaction without commit rolls everything back. The versions are read in
        // the same write transaction, so nothing can change a contact between check and write.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let (changes, applied) = current_part(changes, |id| {
            Ok::<_, StoreError>(
                get_contact(&tx, &self.account_id, id)?
                    .as_ref()
                    .map(contact_version),
            )
        })?;
        for contact in &changes.contacts {
            counter.tick()?;
            put_contact(&tx, &self.account_id, contact)?;
        }
        // Closing links first lets one batch move a contact from a closed identity to a new one
        // without tripping the one-active-link indexes.
        let (closed, opened): (Vec<&ContactLink>, Vec<&ContactLink>) =
            changes.links.iter().partition(|l| !l.active);
        for link in closed.into_iter().chain(opened) {
            counter.tick()?;
            put_link(&tx, &self.account_id, link)?;
        }
        for obs in &changes.queued {
            counter.tick()?;
            let existing = get_queue_item(&tx, &self.account_id, tenant, &obs.entra_object_id)?;
            if let Some(item) = observe(existing.as_ref(), tenant, obs) {
                put_queue_item(&tx, &self.account_id, &item)?;
            }
        }
        for object_id in &changes.settled {
            if let Some(mut item) = get_queue_item(&tx, &self.account_id, tenant, object_id)?
                && item.state == QueueState::Open
            {
                counter.tick()?;
                item.state = QueueState::Resolved;
                put_queue_item(&tx, &self.account_id, &item)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(applied)
    }

    async fn load_queue(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let conn = self.lock()?;
        match entra_tenant_id {
            Some(t) => records(
                &conn,
                "SELECT record FROM reconciliation_queue WHERE account_id = ?2 AND entra_tenant_id = ?1
                 ORDER BY entra_object_id",
                params![t, self.account_id],
            ),
            None => records(
                &conn,
                "SELECT record FROM reconciliation_queue WHERE account_id = ?1
                 ORDER BY entra_tenant_id, entra_object_id",
                params![self.account_id],
            ),
        }
    }

    async fn resolve_queue_item(
        &self,
        entra_tenant_id: &str,
        resolution: &Resolution,
    ) -> Result<(), StoreError> {
        validate_resolution(resolution)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let existing = get_queue_item(
            &tx,
            &self.account_id,
            entra_tenant_id,
            &resolution.entra_object_id,
        )?;
        put_queue_item(
            &tx,
            &self.account_id,
            &resolved(existing.as_ref(), entra_tenant_id, resolution),
        )?;
        tx.commit().map_err(backend)
    }

    async fn begin_run(&self, run: &RunRecord) -> Result<RunStart, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let start = match get_run(&tx, &self.account_id, &run.run_id)? {
            None => {
                let mut run = run.clone();
                run.status = RunStatus::Running;
                put_run(&tx, &self.account_id, &run)?;
                RunStart::Started(run)
            }
            Some(existing) if existing.status == RunStatus::Running => {
                RunStart::AlreadyRunning(existing)
            }
            Some(mut existing) if existing.status == RunStatus::Cancelled => {
                existing.status = RunStatus::Running;
                existing.finished_at_ms = None;
                existing.heartbeat_at_ms = Some(run.heartbeat_at_ms.unwrap_or(run.started_at_ms));
                put_run(&tx, &self.account_id, &existing)?;
                RunStart::Resumed(existing)
            }
            Some(existing) => RunStart::Finished(existing),
        };
        tx.commit().map_err(backend)?;
        Ok(start)
    }

    async fn record_tenant_result(&self, result: &TenantRunResult) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        validate_result(
            get_run(&tx, &self.account_id, &result.run_id)?.as_ref(),
            result,
        )?;
        tx.prepare_cached(
            "INSERT INTO run_tenant_results (account_id, run_id, entra_tenant_id, outcome, record)
             VALUES (?5, ?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, run_id, entra_tenant_id) DO UPDATE SET outcome = excluded.outcome, record = excluded.record",
        )
        .map_err(backend)?
        .execute(params![
            result.run_id,
            result.entra_tenant_id,
            enum_str(&result.outcome)?,
            to_json(result)?,
            self.account_id
        ])
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        validate_finish(get_run(&tx, &self.account_id, &run.run_id)?.as_ref(), run)?;
        put_run(&tx, &self.account_id, run)?;
        tx.commit().map_err(backend)
    }

    async fn load_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        get_run(&*self.lock()?, &self.account_id, run_id)
    }

    async fn touch_run(&self, run_id: &str, at_ms: u64) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let Some(mut run) = get_run(&tx, &self.account_id, run_id)? else {
            return Ok(false);
        };
        if !heartbeat(&mut run, at_ms) {
            return Ok(false);
        }
        put_run(&tx, &self.account_id, &run)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    async fn load_tenant_results(&self, run_id: &str) -> Result<Vec<TenantRunResult>, StoreError> {
        records(
            &*self.lock()?,
            "SELECT record FROM run_tenant_results WHERE account_id = ?2 AND run_id = ?1
             ORDER BY entra_tenant_id",
            params![run_id, self.account_id],
        )
    }

    async fn load_delta_link(&self, entra_tenant_id: &str) -> Result<Option<String>, StoreError> {
        self.lock()?
            .prepare_cached(
                "SELECT delta_link FROM delta_links WHERE account_id = ?2 AND entra_tenant_id = ?1",
            )
            .map_err(backend)?
            .query_row(params![entra_tenant_id, self.account_id], |r| r.get(0))
            .optional()
            .map_err(backend)
    }

    async fn save_delta_link(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<(), StoreError> {
        let conn = self.lock()?;
        match delta_link {
            Some(link) => conn.execute(
                "INSERT INTO delta_links (account_id, entra_tenant_id, delta_link, updated_at_ms)
                 VALUES (?4, ?1, ?2, ?3)
                 ON CONFLICT (account_id, entra_tenant_id) DO UPDATE SET delta_link = excluded.delta_link,
                   updated_at_ms = excluded.updated_at_ms",
                params![
                    entra_tenant_id,
                    link,
                    stamp(self.clock.as_ref()),
                    self.account_id
                ],
            ),
            None => conn.execute(
                "DELETE FROM delta_links WHERE account_id = ?2 AND entra_tenant_id = ?1",
                params![entra_tenant_id, self.account_id],
            ),
        }
        .map_err(backend)?;
        Ok(())
    }

    async fn load_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<SettingsOverrides, StoreError> {
        let conn = self.lock()?;
        let text: Option<String> = match entra_tenant_id {
            None => conn
                .prepare_cached("SELECT settings FROM account_settings WHERE account_id = ?1")
                .map_err(backend)?
                .query_row(params![self.account_id], |r| r.get(0)),
            Some(t) => conn
                .prepare_cached(
                    "SELECT settings FROM sync_settings WHERE account_id = ?2 AND entra_tenant_id = ?1",
                )
                .map_err(backend)?
                .query_row(params![t, self.account_id], |r| r.get(0)),
        }
        .optional()
        .map_err(backend)?;
        Ok(text.map(|t| from_json(&t)).transpose()?.unwrap_or_default())
    }

    async fn save_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
        overrides: &SettingsOverrides,
    ) -> Result<(), StoreError> {
        overrides
            .validate()
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        let conn = self.lock()?;
        let text = to_json(overrides)?;
        match (entra_tenant_id, overrides.is_empty()) {
            (None, true) => conn.execute(
                "DELETE FROM account_settings WHERE account_id = ?1",
                params![self.account_id],
            ),
            (None, false) => conn.execute(
                "INSERT INTO account_settings (account_id, settings) VALUES (?1, ?2)
                 ON CONFLICT (account_id) DO UPDATE SET settings = excluded.settings",
                params![self.account_id, text],
            ),
            (Some(t), true) => conn.execute(
                "DELETE FROM sync_settings WHERE account_id = ?2 AND entra_tenant_id = ?1",
                params![t, self.account_id],
            ),
            (Some(t), false) => conn.execute(
                "INSERT INTO sync_settings (account_id, entra_tenant_id, settings) VALUES (?3, ?1, ?2)
                 ON CONFLICT (account_id, entra_tenant_id) DO UPDATE SET settings = excluded.settings",
                params![t, text, self.account_id],
            ),
        }
        .map_err(backend)?;
        Ok(())
    }

    async fn load_connection_history(&self) -> Result<Vec<AccountConnection>, StoreError> {
        records(
            &*self.lock()?,
            "SELECT record FROM account_connections WHERE account_id = ?1 ORDER BY seq",
            params![self.account_id],
        )
    }

    async fn save_account_connection(
        &self,
        connection: &AccountConnection,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let existing: Vec<AccountConnection> = records(
            &tx,
            "SELECT record FROM account_connections WHERE account_id = ?1 ORDER BY seq",
            params![self.account_id],
        )?;
        check_connection_write(&existing, connection)?;
        tx.prepare_cached(
            "INSERT INTO account_connections (account_id, connection_id, status, record)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, connection_id) DO UPDATE SET status = excluded.status,
               record = excluded.record",
        )
        .map_err(backend)?
        .execute(params![
            self.account_id,
            connection.connection_id,
            connection.status.as_str(),
            to_json(connection)?
        ])
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    async fn snapshot(&self) -> Result<StoreSnapshot, StoreError> {
        let conn = self.lock()?;
        let account = params![self.account_id];
        let settings = {
            let mut stmt = conn
                .prepare(
                    "SELECT entra_tenant_id, settings FROM sync_settings WHERE account_id = ?1
                     ORDER BY entra_tenant_id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(account, |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (entra_tenant_id, text) = row.map_err(backend)?;
                out.push(TenantSettings {
                    entra_tenant_id,
                    settings: from_json(&text)?,
                });
            }
            out
        };
        let links = {
            let mut stmt = conn
                .prepare(
                    "SELECT entra_tenant_id, entra_object_id, contact_id, client_id, active, last_seen_at, last_synced_at, status FROM contact_links
                     WHERE account_id = ?1 ORDER BY entra_tenant_id, entra_object_id, contact_id",
                )
                .map_err(backend)?;
            let rows = stmt.query_map(account, link_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)?
        };
        let delta_links = {
            let mut stmt = conn
                .prepare(
                    "SELECT entra_tenant_id, delta_link FROM delta_links WHERE account_id = ?1
                     ORDER BY entra_tenant_id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(account, |r| {
                    Ok(TenantDeltaLink {
                        entra_tenant_id: r.get(0)?,
                        delta_link: r.get(1)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)?
        };
        let account_settings: Option<String> = conn
            .query_row(
                "SELECT settings FROM account_settings WHERE account_id = ?1",
                account,
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        Ok(StoreSnapshot {
            tenants: records(
                &conn,
                "SELECT record FROM managed_tenants WHERE account_id = ?1 ORDER BY entra_tenant_id",
                account,
            )?,
            clients: records(
                &conn,
                "SELECT record FROM clients WHERE account_id = ?1 ORDER BY client_id",
                account,
            )?,
            mapping_history: read_mappings(&conn, "", account)?,
            settings,
            contacts: records(
                &conn,
                "SELECT record FROM contacts WHERE account_id = ?1 ORDER BY contact_id",
                account,
            )?,
            links,
            queue: records(
                &conn,
                "SELECT record FROM reconciliation_queue WHERE account_id = ?1
                 ORDER BY entra_tenant_id, entra_object_id",
                account,
            )?,
            runs: records(
                &conn,
                "SELECT record FROM runs WHERE account_id = ?1 ORDER BY run_id",
                account,
            )?,
            tenant_results: records(
                &conn,
                "SELECT record FROM run_tenant_results WHERE account_id = ?1
                 ORDER BY run_id, entra_tenant_id",
                account,
            )?,
            delta_links,
            account_settings: account_settings.map(|t| from_json(&t)).transpose()?,
            connections: records(
                &conn,
                "SELECT record FROM account_connections WHERE account_id = ?1 ORDER BY seq",
                account,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NonceStore;

    #[test]
    fn migrations_run_once_and_newer_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        let rows: i64 = store
            .lock()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, SCHEMA_VERSION);
        store
            .lock()
            .unwrap()
            .execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (999, 0)",
                [],
            )
            .unwrap();
        drop(store);
        let err = SqliteStore::open(&path).unwrap_err();
        assert_eq!(err.code(), "store_refused");
    }

    /// A database written before account namespaces keeps every row, in the default account,
    /// and other accounts of the same file see none of them.
    #[tokio::test]
    async fn migrating_a_version_1_database_keeps_its_rows_in_the_default_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let mut conn = Connection::open(&path).unwrap();
            schema::migrate_to(&mut conn, 0, 1).unwrap();
            conn.execute_batch(
                r#"
                CREATE TABLE oauth_nonces (nonce TEXT PRIMARY KEY, expires_at_ms INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO oauth_nonces VALUES ('n-old', 9999999999999);
                INSERT INTO managed_tenants VALUES ('t1', 'active', '{"entraTenantId":"t1"}');
                INSERT INTO clients VALUES ('c1', '{"clientId":"c1"}');
                INSERT INTO tenant_mappings (entra_tenant_id, client_id, state, confirmed_at, opened_at)
                  VALUES ('t1', 'c1', 'mapped', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
                INSERT INTO sync_settings VALUES ('t1', '{"fieldSync":{"email":true}}');
                INSERT INTO runs VALUES ('r1', 'completed', '{"runId":"r1","scope":"all_tenants","trigger":"manual","status":"completed","startedAtMs":1,"finishedAtMs":2,"tenantsTotal":1,"tenantsSucceeded":1,"tenantsFailed":0}');
                INSERT INTO contacts VALUES ('k1', 'c1', '{"contactId":"k1","clientId":"c1","email":"ada@contoso.com"}');
                INSERT INTO contact_addresses VALUES ('ada@contoso.com', 'k1');
                INSERT INTO contact_links VALUES ('t1', 'u1', 'k1', 'c1', 1);
                INSERT INTO delta_links VALUES ('t1', 'https://graph/delta?1', 1);
                "#,
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let snapshot = store.snapshot().await.unwrap();
        assert_eq!(snapshot.tenants.len(), 1);
        assert_eq!(snapshot.clients.len(), 1);
        assert_eq!(store.load_mapped_tenants().await.unwrap().len(), 1);
        assert!(
            store
                .load_sync_settings("t1")
                .await
                .unwrap()
                .field_sync
                .email
        );
        assert_eq!(snapshot.runs.len(), 1);
        assert_eq!(
            store
                .load_plan_contacts("c9", &["ada@contoso.com".into()])
                .await
                .unwrap()
                .len(),
            1,
            "the address index moved with its contact"
        );
        assert_eq!(snapshot.links.len(), 1);
        assert_eq!(
            store.load_delta_link("t1").await.unwrap().as_deref(),
            Some("https://graph/delta?1")
        );
        assert!(!store.consume_nonce("n-old", 1).await.unwrap());
        // The rebuilt tables keep their references consistent.
        let other = SqliteStore::open_for_account(&path, "acme").unwrap();
        assert_eq!(other.snapshot().await.unwrap(), StoreSnapshot::default());
        let violations: i64 = store
            .lock()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(violations, 0);
    }

    #[test]
    fn connections_keep_only_non_secret_settings() {
        let store = SqliteStore::open_in_memory().unwrap();
        let record = ConnectionRecord {
            connection_id: "main".into(),
            connection_type: ConnectionType::Cipp,
            display_name: Some("CIPP".into()),
            settings: serde_json::json!({"baseUrl": "https://cipp.example"}),
        };
        store.save_connection(&record).unwrap();
        assert_eq!(store.load_connections().unwrap(), vec![record]);
    }
}
