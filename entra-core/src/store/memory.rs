//! The in-memory store: the reference semantics of [`SyncStore`], for tests and for hosts that
//! embed the engine and persist elsewhere. Every method holds one lock for its whole duration, so
//! each call is atomic; plan writes are staged and validated before anything is committed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::clock::{SharedClock, WallClock};

use crate::model::{
    Client, Contact, ContactLink, ManagedTenant, MappingState, Resolution, ResolutionDecision,
    SettingsOverrides, TenantMapping,
};

use super::account::{DEFAULT_ACCOUNT_ID, check_account_id};
use super::changes::contact_addresses;
use super::connection::{AccountConnection, check_connection_write};
use super::error::StoreError;
use super::fault::{ApplyFault, FaultSlot, WriteCounter};
use super::records::*;
use super::runs::heartbeat;
use super::{SyncStore, current_part, normalize_address};
use crate::reconcile::contact_version;

type LinkKey = (String, String, String);
type Identity = (String, String);

#[derive(Debug, Default)]
struct State {
    tenants: BTreeMap<String, ManagedTenant>,
    clients: BTreeMap<String, Client>,
    history: Vec<MappingHistoryEntry>,
    settings: BTreeMap<String, SettingsOverrides>,
    account_settings: Option<SettingsOverrides>,
    connections: Vec<AccountConnection>,
    contacts: BTreeMap<String, Contact>,
    /// address -> contact ids holding it.
    address_index: BTreeMap<String, BTreeSet<String>>,
    links: BTreeMap<LinkKey, ContactLink>,
    active_by_identity: BTreeMap<Identity, String>,
    active_by_contact: BTreeMap<String, Identity>,
    queue: BTreeMap<Identity, QueueItem>,
    runs: BTreeMap<String, RunRecord>,
    results: BTreeMap<(String, String), TenantRunResult>,
    delta: BTreeMap<String, String>,
}

/// One account's records and consumed nonces.
#[derive(Debug, Default)]
pub(super) struct AccountSpace {
    state: Mutex<State>,
    pub(super) nonces: super::nonce::NonceLedger,
}

/// Every account's space in one memory, by account id: what stores opened with
/// [`MemoryStore::account`] share, as stores on one database file share it.
type Spaces = Arc<Mutex<BTreeMap<String, Arc<AccountSpace>>>>;

/// A [`SyncStore`] held in memory, for one account of a memory several accounts may share.
#[derive(Debug)]
pub struct MemoryStore {
    account_id: String,
    spaces: Spaces,
    pub(super) space: Arc<AccountSpace>,
    fault: FaultSlot,
    /// What time it is when a nonce's expiry is checked.
    pub(super) clock: SharedClock,
}

impl Default for MemoryStore {
    fn default() -> Self {
        let spaces = Spaces::default();
        let space = Arc::new(AccountSpace::default());
        if let Ok(mut map) = spaces.lock() {
            map.insert(DEFAULT_ACCOUNT_ID.to_string(), Arc::clone(&space));
        }
        Self {
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            spaces,
            space,
            fault: FaultSlot::default(),
            clock: WallClock::shared(),
        }
    }
}

fn link_key(link: &ContactLink) -> LinkKey {
    (
        link.entra_tenant_id.clone(),
        link.entra_object_id.clone(),
        link.contact_id.clone(),
    )
}

impl MemoryStore {
    /// An empty memory, opened for the default account ([`DEFAULT_ACCOUNT_ID`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty memory, opened for `account_id` (checked with
    /// [`super::check_account_id`]).
    pub fn for_account(account_id: &str) -> Result<Self, StoreError> {
        Self::new().account(account_id)
    }

    /// A store over the same memory, opened for `account_id`: it sees only that account's
    /// records (as a second store opened on the same database file for another account would).
    /// It keeps this store's clock; fault injection is per store.
    pub fn account(&self, account_id: &str) -> Result<Self, StoreError> {
        let account_id = check_account_id(account_id)?;
        let space = {
            let mut map = self
                .spaces
                .lock()
                .map_err(|_| StoreError::backend("memory store lock poisoned"))?;
            Arc::clone(map.entry(account_id.clone()).or_default())
        };
        Ok(Self {
            account_id,
            spaces: Arc::clone(&self.spaces),
            space,
            fault: FaultSlot::default(),
            clock: Arc::clone(&self.clock),
        })
    }

    /// Keeps time with `clock` instead of the wall clock (tests on virtual time).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Makes plan writes fail part-way (see [`ApplyFault`]); `None` clears it.
    pub fn set_apply_fault(&self, fault: Option<ApplyFault>) {
        self.fault.set(fault);
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.space
            .state
            .lock()
            .map_err(|_| StoreError::backend("memory store lock poisoned"))
    }
}

impl State {
    fn put_contact(&mut self, contact: Contact) {
        if let Some(old) = self.contacts.get(&contact.contact_id) {
            for address in contact_addresses(old) {
                if let Some(ids) = self.address_index.get_mut(&address) {
                    ids.remove(&contact.contact_id);
                    if ids.is_empty() {
                        self.address_index.remove(&address);
                    }
                }
            }
        }
        for address in contact_addresses(&contact) {
            self.address_index
                .entry(address)
                .or_default()
                .insert(contact.contact_id.clone());
        }
        self.contacts.insert(contact.contact_id.clone(), contact);
    }

    /// Checks the link rules for a batch of staged links against the stored ones.
    fn validate_links(&self, staged: &BTreeMap<LinkKey, ContactLink>) -> Result<(), StoreError> {
        let final_active = |key: &LinkKey| -> bool {
            staged
                .get(key)
                .map(|l| l.active)
                .or_else(|| self.links.get(key).map(|l| l.active))
                .unwrap_or(false)
        };
        let mut by_identity: BTreeMap<Identity, &str> = BTreeMap::new();
        let mut by_contact: BTreeMap<&str, Identity> = BTreeMap::new();
        for link in staged.values().filter(|l| l.active) {
            let identity = (link.entra_tenant_id.clone(), link.entra_object_id.clone());
            if let Some(other) = by_identity.insert(identity.clone(), &link.contact_id) {
                return Err(StoreError::invalid(format!(
                    "identity {}/{} would have two active links ({other}, {})",
                    identity.0, identity.1, link.contact_id
                )));
            }
            if let Some(other) = by_contact.insert(&link.contact_id, identity.clone()) {
                return Err(StoreError::invalid(format!(
                    "contact {} would have two active links ({}/{}, {}/{})",
                    link.contact_id, other.0, other.1, identity.0, identity.1
                )));
            }
            if let Some(current) = self.active_by_identity.get(&identity)
                && current != &link.contact_id
                && final_active(&(identity.0.clone(), identity.1.clone(), current.clone()))
            {
                return Err(StoreError::invalid(format!(
                    "identity {}/{} is already actively linked to contact {current}",
                    identity.0, identity.1
                )));
            }
            if let Some(current) = self.active_by_contact.get(&link.contact_id)
                && current != &identity
                && final_active(&(
                    current.0.clone(),
                    current.1.clone(),
                    link.contact_id.clone(),
                ))
            {
                return Err(StoreError::invalid(format!(
                    "contact {} is already actively linked to {}/{}",
                    link.contact_id, current.0, current.1
                )));
            }
        }
        Ok(())
    }

    fn put_link(&mut self, link: ContactLink) {
        let key = link_key(&link);
        if let Some(old) = self.links.get(&key)
            && old.active
        {
            let identity = (old.entra_tenant_id.clone(), old.entra_object_id.clone());
            if self.active_by_identity.get(&identity) == Some(&old.contact_id) {
                self.active_by_identity.remove(&identity);
            }
            if self.active_by_contact.get(&old.contact_id) == Some(&identity) {
                self.active_by_contact.remove(&old.contact_id);
            }
        }
        if link.active {
            let identity = (link.entra_tenant_id.clone(), link.entra_object_id.clone());
            self.active_by_identity
                .insert(identity.clone(), link.contact_id.clone());
            self.active_by_contact
                .insert(link.contact_id.clone(), identity);
        }
        self.links.insert(key, link);
    }
}

pub(crate) fn validate_resolution(resolution: &Resolution) -> Result<(), StoreError> {
    if resolution.entra_object_id.trim().is_empty() {
        return Err(StoreError::invalid("a resolution needs `entraObjectId`"));
    }
    if resolution.decision == ResolutionDecision::LinkExisting
        && resolution
            .contact_id
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
    {
        return Err(StoreError::invalid(
            "a `link_existing` resolution needs `contactId`",
        ));
    }
    Ok(())
}

pub(crate) fn validate_finish(
    stored: Option<&RunRecord>,
    run: &RunRecord,
) -> Result<(), StoreError> {
    let Some(stored) = stored else {
        return Err(StoreError::NotFound {
            message: format!("run {}", run.run_id),
        });
    };
    if stored.status.is_final() {
        return Err(StoreError::Refused {
            message: format!(
                "run {} already ended as {}",
                run.run_id,
                stored.status.as_str()
            ),
        });
    }
    if run.status == RunStatus::Running {
        return Err(StoreError::invalid(
            "finish_run needs a final or cancelled status",
        ));
    }
    Ok(())
}

pub(crate) fn validate_result(
    stored: Option<&RunRecord>,
    result: &TenantRunResult,
) -> Result<(), StoreError> {
    match stored {
        None => Err(StoreError::NotFound {
            message: format!("run {}", result.run_id),
        }),
        Some(run) if run.status != RunStatus::Running => Err(StoreError::Refused {
            message: format!("run {} is {}, not running", run.run_id, run.status.as_str()),
        }),
        Some(_) => Ok(()),
    }
}

pub(crate) fn validate_mapping_updates(updates: &[MappingUpdate]) -> Result<(), StoreError> {
    for update in updates {
        if update.entra_tenant_id.trim().is_empty() {
            return Err(StoreError::invalid(
                "a mapping change needs `entraTenantId`",
            ));
        }
        if let Some(mapping) = &update.mapping {
            if mapping.entra_tenant_id != update.entra_tenant_id {
                return Err(StoreError::invalid(format!(
                    "mapping for {} filed under {}",
                    mapping.entra_tenant_id, update.entra_tenant_id
                )));
            }
            if mapping.state == MappingState::Mapped
                && mapping
                    .client_id
                    .as_deref()
                    .is_none_or(|c| c.trim().is_empty())
            {
                return Err(StoreError::invalid(format!(
                    "mapped tenant {} needs a client",
                    mapping.entra_tenant_id
                )));
            }
        }
    }
    Ok(())
}

/// The queue transition shared by both stores: open items are refreshed, decided ones stick.
pub(crate) fn observe(
    existing: Option<&QueueItem>,
    tenant: &str,
    obs: &QueueObservation,
) -> Option<QueueItem> {
    match existing {
        Some(item) if item.state != QueueState::Open => None,
        _ => Some(QueueItem {
            entra_tenant_id: tenant.to_string(),
            entra_object_id: obs.entra_object_id.clone(),
            kind: obs.kind,
            state: QueueState::Open,
            reason: obs.reason.clone(),
            candidate_contact_ids: obs.candidate_contact_ids.clone(),
            display_name: obs.display_name.clone(),
            user_principal_name: obs.user_principal_name.clone(),
            resolution: None,
        }),
    }
}

/// The item an operator's answer produces.
pub(crate) fn resolved(
    existing: Option<&QueueItem>,
    tenant: &str,
    resolution: &Resolution,
) -> QueueItem {
    let state = if resolution.decision == ResolutionDecision::Dismissed {
        QueueState::Dismissed
    } else {
        QueueState::Resolved
    };
    QueueItem {
        entra_tenant_id: tenant.to_string(),
        entra_object_id: resolution.entra_object_id.clone(),
        kind: existing.map_or(QueueItemKind::Ambiguous, |i| i.kind),
        state,
        reason: existing.and_then(|i| i.reason.clone()),
        candidate_contact_ids: existing
            .map(|i| i.candidate_contact_ids.clone())
            .unwrap_or_default(),
        display_name: existing.and_then(|i| i.display_name.clone()),
        user_principal_name: existing.and_then(|i| i.user_principal_name.clone()),
        resolution: Some(resolution.clone()),
    }
}

#[async_trait]
impl SyncStore for MemoryStore {
    fn account_id(&self) -> &str {
        &self.account_id
    }

    async fn load_tenants(&self) -> Result<Vec<ManagedTenant>, StoreError> {
        Ok(self.lock()?.tenants.values().cloned().collect())
    }

    async fn upsert_tenants(&self, tenants: &[ManagedTenant]) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for tenant in tenants {
            state
                .tenants
                .insert(tenant.entra_tenant_id.clone(), tenant.clone());
        }
        Ok(())
    }

    async fn load_clients(&self) -> Result<Vec<Client>, StoreError> {
        Ok(self.lock()?.clients.values().cloned().collect())
    }

    async fn upsert_clients(&self, clients: &[Client]) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for client in clients {
            state
                .clients
                .insert(client.client_id.clone(), client.clone());
        }
        Ok(())
    }

    async fn load_mappings(&self) -> Result<Vec<TenantMapping>, StoreError> {
        let state = self.lock()?;
        let mut current: BTreeMap<&str, &TenantMapping> = BTreeMap::new();
        for entry in state.history.iter().filter(|e| e.closed_at.is_none()) {
            current.insert(&entry.mapping.entra_tenant_id, &entry.mapping);
        }
        Ok(current.into_values().cloned().collect())
    }

    async fn load_mapped_tenants(&self) -> Result<Vec<TenantMapping>, StoreError> {
        let mut mappings = self.load_mappings().await?;
        mappings.retain(|m| m.state == MappingState::Mapped && m.client_id.is_some());
        Ok(mappings)
    }

    async fn write_mapping_changes(&self, updates: &[MappingUpdate]) -> Result<(), StoreError> {
        validate_mapping_updates(updates)?;
        let mut state = self.lock()?;
        for update in updates {
            let open = state.history.iter().rposition(|e| {
                e.mapping.entra_tenant_id == update.entra_tenant_id && e.closed_at.is_none()
            });
            if let Some(i) = open
                && let Some(entry) = state.history.get_mut(i)
            {
                entry.closed_at = Some(update.changed_at.clone());
                entry.mapping.closed_at = Some(update.changed_at.clone());
            }
            if let Some(mapping) = &update.mapping {
                let mut mapping = mapping.clone();
                mapping.closed_at = None;
                state.history.push(MappingHistoryEntry {
                    mapping,
                    opened_at: update.changed_at.clone(),
                    closed_at: None,
                });
            }
        }
        Ok(())
    }

    async fn load_mapping_history(
        &self,
        entra_tenant_id: &str,
    ) -> Result<Vec<MappingHistoryEntry>, StoreError> {
        Ok(self
            .lock()?
            .history
            .iter()
            .filter(|e| e.mapping.entra_tenant_id == entra_tenant_id)
            .cloned()
            .collect())
    }

    async fn upsert_contacts(&self, contacts: &[Contact]) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for contact in contacts {
            state.put_contact(contact.clone());
        }
        Ok(())
    }

    async fn load_plan_contacts(
        &self,
        client_id: &str,
        addresses: &[String],
    ) -> Result<Vec<Contact>, StoreError> {
        let state = self.lock()?;
        let mut out: BTreeMap<&str, &Contact> = state
            .contacts
            .values()
            .filter(|c| c.client_id.as_deref() == Some(client_id))
            .map(|c| (c.contact_id.as_str(), c))
            .collect();
        for address in addresses.iter().filter_map(|a| normalize_address(a)) {
            for id in state.address_index.get(&address).into_iter().flatten() {
                if let Some(contact) = state.contacts.get(id) {
                    out.insert(&contact.contact_id, contact);
                }
            }
        }
        Ok(out.into_values().cloned().collect())
    }

    async fn load_plan_links(
        &self,
        entra_tenant_id: &str,
        contact_ids: &[String],
    ) -> Result<Vec<ContactLink>, StoreError> {
        let state = self.lock()?;
        let mut out: BTreeMap<LinkKey, ContactLink> = state
            .links
            .range((entra_tenant_id.to_string(), String::new(), String::new())..)
            .take_while(|(k, _)| k.0 == entra_tenant_id)
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect();
        for contact_id in contact_ids {
            if let Some(identity) = state.active_by_contact.get(contact_id) {
                let key = (identity.0.clone(), identity.1.clone(), contact_id.clone());
                if let Some(link) = state.links.get(&key) {
                    out.insert(key, link.clone());
                }
            }
        }
        Ok(out.into_values().collect())
    }

    async fn load_resolutions(&self, entra_tenant_id: &str) -> Result<Vec<Resolution>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .queue
            .values()
            .filter(|i| i.entra_tenant_id == entra_tenant_id)
            .filter_map(|i| i.resolution.clone())
            .collect())
    }

    async fn apply_changes(&self, changes: &TenantChanges) -> Result<AppliedChanges, StoreError> {
        let tenant = changes.entra_tenant_id.as_str();
        let mut counter = WriteCounter::new(self.fault.limit_for(tenant));
        let mut state = self.lock()?;
        let (changes, applied) = current_part(changes, |id| {
            Ok::<_, StoreError>(state.contacts.get(id).map(contact_version))
        })?;

        // Stage every write, then validate, then commit: a failure before the commit leaves the
        // state untouched.
        let mut contacts = Vec::with_capacity(changes.contacts.len());
        for contact in &changes.contacts {
            counter.tick()?;
            contacts.push(contact.clone());
        }
        let mut links: BTreeMap<LinkKey, ContactLink> = BTreeMap::new();
        for link in &changes.links {
            if link.entra_tenant_id != tenant {
                return Err(StoreError::invalid(format!(
                    "a change set of tenant {tenant} holds a link of tenant {}",
                    link.entra_tenant_id
                )));
            }
            counter.tick()?;
            links.insert(link_key(link), link.clone());
        }
        state.validate_links(&links)?;
        let mut queue = Vec::new();
        for obs in &changes.queued {
            counter.tick()?;
            let key = (tenant.to_string(), obs.entra_object_id.clone());
            if let Some(item) = observe(state.queue.get(&key), tenant, obs) {
                queue.push((key, item));
            }
        }
        for object_id in &changes.settled {
            let key = (tenant.to_string(), object_id.clone());
            if let Some(item) = state.queue.get(&key)
                && item.state == QueueState::Open
            {
                counter.tick()?;
                let mut item = item.clone();
                item.state = QueueState::Resolved;
                queue.push((key, item));
            }
        }

        for contact in contacts {
            state.put_contact(contact);
        }
        for link in links.into_values() {
            state.put_link(link);
        }
        for (key, item) in queue {
            state.queue.insert(key, item);
        }
        Ok(applied)
    }

    async fn load_queue(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .queue
            .values()
            .filter(|i| entra_tenant_id.is_none_or(|t| t == i.entra_tenant_id))
            .cloned()
            .collect())
    }

    async fn resolve_queue_item(
        &self,
        entra_tenant_id: &str,
        resolution: &Resolution,
    ) -> Result<(), StoreError> {
        validate_resolution(resolution)?;
        let mut state = self.lock()?;
        let key = (
            entra_tenant_id.to_string(),
            resolution.entra_object_id.clone(),
        );
        let item = resolved(state.queue.get(&key), entra_tenant_id, resolution);
        state.queue.insert(key, item);
        Ok(())
    }

    async fn begin_run(&self, run: &RunRecord) -> Result<RunStart, StoreError> {
        let mut state = self.lock()?;
        match state.runs.get_mut(&run.run_id) {
            None => {
                let mut run = run.clone();
                run.status = RunStatus::Running;
                state.runs.insert(run.run_id.clone(), run.clone());
                Ok(RunStart::Started(run))
            }
            Some(existing) if existing.status == RunStatus::Running => {
                Ok(RunStart::AlreadyRunning(existing.clone()))
            }
            Some(existing) if existing.status == RunStatus::Cancelled => {
                existing.status = RunStatus::Running;
                existing.finished_at_ms = None;
                existing.heartbeat_at_ms = Some(run.heartbeat_at_ms.unwrap_or(run.started_at_ms));
                Ok(RunStart::Resumed(existing.clone()))
            }
            Some(existing) => Ok(RunStart::Finished(existing.clone())),
        }
    }

    async fn record_tenant_result(&self, result: &TenantRunResult) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        validate_result(state.runs.get(&result.run_id), result)?;
        state.results.insert(
            (result.run_id.clone(), result.entra_tenant_id.clone()),
            result.clone(),
        );
        Ok(())
    }

    async fn finish_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        validate_finish(state.runs.get(&run.run_id), run)?;
        state.runs.insert(run.run_id.clone(), run.clone());
        Ok(())
    }

    async fn load_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        Ok(self.lock()?.runs.get(run_id).cloned())
    }

    async fn touch_run(&self, run_id: &str, at_ms: u64) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        Ok(state
            .runs
            .get_mut(run_id)
            .is_some_and(|run| heartbeat(run, at_ms)))
    }

    async fn load_tenant_results(&self, run_id: &str) -> Result<Vec<TenantRunResult>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .results
            .range((run_id.to_string(), String::new())..)
            .take_while(|(k, _)| k.0 == run_id)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn load_delta_link(&self, entra_tenant_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock()?.delta.get(entra_tenant_id).cloned())
    }

    async fn save_delta_link(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        match delta_link {
            Some(link) => {
                state
                    .delta
                    .insert(entra_tenant_id.to_string(), link.to_string());
            }
            None => {
                state.delta.remove(entra_tenant_id);
            }
        }
        Ok(())
    }

    async fn load_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
    ) -> Result<SettingsOverrides, StoreError> {
        let state = self.lock()?;
        Ok(match entra_tenant_id {
            None => state.account_settings.clone(),
            Some(t) => state.settings.get(t).cloned(),
        }
        .unwrap_or_default())
    }

    async fn save_settings_overrides(
        &self,
        entra_tenant_id: Option<&str>,
        overrides: &SettingsOverrides,
    ) -> Result<(), StoreError> {
        overrides
            .validate()
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        let mut state = self.lock()?;
        let value = (!overrides.is_empty()).then(|| overrides.clone());
        match (entra_tenant_id, value) {
            (None, value) => state.account_settings = value,
            (Some(t), Some(value)) => {
                state.settings.insert(t.to_string(), value);
            }
            (Some(t), None) => {
                state.settings.remove(t);
            }
        }
        Ok(())
    }

    async fn load_connection_history(&self) -> Result<Vec<AccountConnection>, StoreError> {
        Ok(self.lock()?.connections.clone())
    }

    async fn save_account_connection(
        &self,
        connection: &AccountConnection,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        check_connection_write(&state.connections, connection)?;
        match state
            .connections
            .iter_mut()
            .find(|c| c.connection_id == connection.connection_id)
        {
            Some(stored) => *stored = connection.clone(),
            None => state.connections.push(connection.clone()),
        }
        Ok(())
    }

    async fn snapshot(&self) -> Result<StoreSnapshot, StoreError> {
        let state = self.lock()?;
        let mut history = state.history.clone();
        // Stable across stores: by tenant, then in the order the mappings were written.
        history.sort_by(|a, b| a.mapping.entra_tenant_id.cmp(&b.mapping.entra_tenant_id));
        Ok(StoreSnapshot {
            tenants: state.tenants.values().cloned().collect(),
            clients: state.clients.values().cloned().collect(),
            mapping_history: history,
            settings: state
                .settings
                .iter()
                .map(|(t, s)| TenantSettings {
                    entra_tenant_id: t.clone(),
                    settings: s.clone(),
                })
                .collect(),
            contacts: state.contacts.values().cloned().collect(),
            links: state.links.values().cloned().collect(),
            queue: state.queue.values().cloned().collect(),
            runs: state.runs.values().cloned().collect(),
            tenant_results: state.results.values().cloned().collect(),
            delta_links: state
                .delta
                .iter()
                .map(|(t, l)| TenantDeltaLink {
                    entra_tenant_id: t.clone(),
                    delta_link: l.clone(),
                })
                .collect(),
            account_settings: state.account_settings.clone(),
            connections: state.connections.clone(),
        })
    }
}
