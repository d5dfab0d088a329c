//! An in-process `EntraProvider` for engine tests and benchmarks: tenants with users that can be
//! changed between runs, failing tenants, listings that stop half-way, delta rounds, latency.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use entra_core::model::{ConnectionType, EntraUser, ManagedTenant, Warning};
use entra_core::provider::{
    DeltaListing, EntraProvider, ProviderError, ProviderErrorCode, RemovalReason, RemovedUser,
    TenantListing, UserListing,
};

#[derive(Default)]
struct FakeTenant {
    record: Option<ManagedTenant>,
    users: BTreeMap<String, EntraUser>,
    /// Version at which each object id last changed, and removed ids with their version.
    changed_at: BTreeMap<String, u64>,
    removed_at: BTreeMap<String, u64>,
    version: u64,
    fail: Option<ProviderError>,
    /// Listings return only this many users and report themselves incomplete.
    cut_after: Option<usize>,
    /// Rows the listing could not read: left out, named in warnings, the listing incomplete.
    skipped_rows: Vec<String>,
    expired_links: BTreeSet<String>,
}

#[derive(Default)]
struct State {
    tenants: BTreeMap<String, FakeTenant>,
    calls: BTreeMap<String, u32>,
    /// Tenant listings return only this many tenants and report themselves incomplete.
    tenant_listing_cut: Option<usize>,
    /// Tenant listings fail with this error.
    tenant_listing_fail: Option<ProviderError>,
}

/// The fake upstream.
pub struct FakeProvider {
    state: Mutex<State>,
    delta: bool,
    latency: Duration,
    /// User listings wait until this turns `true` (tests that hold tenants mid-sync).
    gate: Option<tokio::sync::watch::Receiver<bool>>,
}

pub fn user(tenant: &str, id: &str, name: &str, mail: &str) -> EntraUser {
    let mut u = EntraUser::new(tenant, id);
    u.display_name = Some(name.to_string());
    u.email = Some(mail.to_string());
    u.user_principal_name = Some(mail.to_string());
    u.user_type = Some("Member".to_string());
    u
}

impl FakeProvider {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            delta: false,
            latency: Duration::ZERO,
            gate: None,
        }
    }

    pub fn with_delta(mut self) -> Self {
        self.delta = true;
        self
    }

    /// Holds every user listing until `gate` turns `true`, without any timer.
    pub fn with_gate(mut self, gate: tokio::sync::watch::Receiver<bool>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn add_tenant(&self, tenant: ManagedTenant) {
        let mut state = self.state.lock().unwrap();
        let entry = state
            .tenants
            .entry(tenant.entra_tenant_id.clone())
            .or_default();
        entry.record = Some(tenant);
    }

    /// Stops listing `tenant` among the managed tenants (its users stay readable).
    pub fn remove_tenant(&self, tenant: &str) {
        if let Some(t) = self.state.lock().unwrap().tenants.get_mut(tenant) {
            t.record = None;
        }
    }

    /// Adds or replaces a user (a change for delta purposes).
    pub fn put_user(&self, user: EntraUser) {
        let mut state = self.state.lock().unwrap();
        let t = state
            .tenants
            .entry(user.entra_tenant_id.clone())
            .or_default();
        t.version += 1;
        t.changed_at.insert(user.entra_object_id.clone(), t.version);
        t.removed_at.remove(&user.entra_object_id);
        t.users.insert(user.entra_object_id.clone(), user);
    }

    pub fn update_user(&self, tenant: &str, id: &str, change: impl FnOnce(&mut EntraUser)) {
        let mut user = self.state.lock().unwrap().tenants[tenant].users[id].clone();
        change(&mut user);
        self.put_user(user);
    }

    pub fn delete_user(&self, tenant: &str, id: &str) {
        let mut state = self.state.lock().unwrap();
        let t = state.tenants.get_mut(tenant).unwrap();
        t.version += 1;
        t.users.remove(id);
        t.changed_at.remove(id);
        t.removed_at.insert(id.to_string(), t.version);
    }

    /// Changes `tenant`'s state, creating it when unknown.
    fn with_tenant(&self, tenant: &str, change: impl FnOnce(&mut FakeTenant)) {
        let mut state = self.state.lock().unwrap();
        change(state.tenants.entry(tenant.to_string()).or_default());
    }

    /// Makes tenant listings fail with `error` (`None`: succeed again).
    #[allow(dead_code)]
    pub fn fail_listing(&self, error: Option<ProviderError>) {
        self.state.lock().unwrap().tenant_listing_fail = error;
    }

    pub fn fail_tenant(&self, tenant: &str, error: Option<ProviderError>) {
        self.with_tenant(tenant, |t| t.fail = error);
    }

    /// Makes the managed-tenant listing stop after `after` tenants (incomplete), or whole again.
    pub fn cut_tenant_listing(&self, after: Option<usize>) {
        self.state.lock().unwrap().tenant_listing_cut = after;
    }

    pub fn cut_listing(&self, tenant: &str, after: Option<usize>) {
        self.with_tenant(tenant, |t| t.cut_after = after);
    }

    /// Makes full listings of `tenant` leave out these users as unreadable rows, the way the
    /// Graph and CIPP providers report a row they cannot read.
    pub fn skip_rows(&self, tenant: &str, object_ids: &[&str]) {
        self.with_tenant(tenant, |t| {
            t.skipped_rows = object_ids.iter().map(|s| s.to_string()).collect()
        });
    }

    /// Makes every delta link issued so far for `tenant` expire.
    pub fn expire_delta_links(&self, tenant: &str) {
        let mut state = self.state.lock().unwrap();
        let t = state.tenants.get_mut(tenant).unwrap();
        let links: Vec<String> = (0..=t.version)
            .map(|v| format!("delta:{tenant}:{v}"))
            .collect();
        t.expired_links.extend(links);
        // Links issued from now on are fresh.
        t.version += 1;
    }

    /// User listings (full or delta) served for `tenant` so far.
    pub fn calls(&self, tenant: &str) -> u32 {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(tenant)
            .copied()
            .unwrap_or(0)
    }

    async fn begin(&self, tenant: &str) -> Result<(), ProviderError> {
        if let Some(gate) = &self.gate {
            let mut gate = gate.clone();
            let _ = gate.wait_for(|open| *open).await;
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let mut state = self.state.lock().unwrap();
        *state.calls.entry(tenant.to_string()).or_default() += 1;
        match state.tenants.get(tenant) {
            None => Err(ProviderError::new(
                ProviderErrorCode::TenantNotFound,
                format!("unknown tenant {tenant}"),
            )),
            Some(t) => match &t.fail {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            },
        }
    }
}

#[async_trait]
impl EntraProvider for FakeProvider {
    fn connection_type(&self) -> ConnectionType {
        ConnectionType::Direct
    }

    async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
        let state = self.state.lock().unwrap();
        if let Some(e) = &state.tenant_listing_fail {
            return Err(e.clone());
        }
        let mut tenants: Vec<ManagedTenant> = state
            .tenants
            .values()
            .filter_map(|t| t.record.clone())
            .collect();
        if let Some(n) = state.tenant_listing_cut {
            tenants.truncate(n);
        }
        Ok(TenantListing {
            tenants,
            complete: state.tenant_listing_cut.is_none(),
            warnings: vec![],
        })
    }

    async fn list_users(&self, tenant: &str) -> Result<UserListing, ProviderError> {
        self.begin(tenant).await?;
        let state = self.state.lock().unwrap();
        let t = &state.tenants[tenant];
        let mut users: Vec<EntraUser> = t.users.values().cloned().collect();
        if let Some(n) = t.cut_after {
            users.truncate(n);
            return Ok(UserListing {
                users,
                complete: false,
                error: Some(ProviderError::new(
                    ProviderErrorCode::UpstreamUnavailable,
                    "page 2 failed with 503",
                )),
                warnings: vec![],
            });
        }
        users.retain(|u| !t.skipped_rows.contains(&u.entra_object_id));
        let warnings: Vec<Warning> = t
            .skipped_rows
            .iter()
            .map(|id| {
                Warning::new(
                    "user_row_skipped",
                    format!("the row of user {id} could not be read: `accountEnabled` is missing"),
                )
            })
            .collect();
        Ok(UserListing {
            users,
            complete: warnings.is_empty(),
            error: None,
            warnings,
        })
    }

    fn supports_delta(&self) -> bool {
        self.delta
    }

    async fn list_users_delta(
        &self,
        tenant: &str,
        delta_link: Option<&str>,
    ) -> Result<DeltaListing, ProviderError> {
        self.begin(tenant).await?;
        let state = self.state.lock().unwrap();
        let t = &state.tenants[tenant];
        let next = Some(format!("delta:{tenant}:{}", t.version));
        let Some(link) = delta_link else {
            let mut users: Vec<EntraUser> = t.users.values().cloned().collect();
            let complete = t.cut_after.is_none();
            if let Some(n) = t.cut_after {
                users.truncate(n);
            }
            return Ok(DeltaListing {
                users,
                removed: vec![],
                delta_link: if complete { next } else { None },
                resync_required: false,
                full_enumeration: true,
                complete,
                warnings: vec![],
            });
        };
        if t.expired_links.contains(link) {
            return Ok(DeltaListing {
                users: vec![],
                removed: vec![],
                delta_link: None,
                resync_required: true,
                full_enumeration: false,
                complete: false,
                warnings: vec![],
            });
        }
        let since: u64 = link
            .rsplit(':')
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ProviderError::new(ProviderErrorCode::BadRequest, "bad delta link"))?;
        Ok(DeltaListing {
            users: t
                .changed_at
                .iter()
                .filter(|(_, v)| **v > since)
                .filter_map(|(id, _)| t.users.get(id).cloned())
                .collect(),
            removed: t
                .removed_at
                .iter()
                .filter(|(_, v)| **v > since)
                .map(|(id, _)| RemovedUser {
                    entra_object_id: id.clone(),
                    reason: RemovalReason::Deleted,
                })
                .collect(),
            delta_link: next,
            resync_required: false,
            full_enumeration: false,
            complete: true,
            warnings: vec![],
        })
    }
}
