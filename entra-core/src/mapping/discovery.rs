//! `merge_discovery`: folds a provider's tenant listing into the tenants the host already knows.
//!
//! Tenants are never deleted: one that disappears from a complete listing is marked
//! `not_listed` (its mapping and history stay), and comes back `active` when listed again. A
//! listing that failed half-way, or came back empty, changes nothing at all: it only warns.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::preview::tenant_key;
use crate::error::{CoreError, echo};
use crate::model::{ManagedTenant, TenantStatus, Warning, nullable::or_default};

/// Input of [`merge_discovery`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeDiscoveryInput {
    /// The tenants the host has stored.
    #[serde(default, deserialize_with = "or_default")]
    pub known: Vec<ManagedTenant>,
    /// The tenants the provider listed now.
    #[serde(default, deserialize_with = "or_default")]
    pub listed: Vec<ManagedTenant>,
    /// Whether the provider finished its listing without error. Required: absence only means
    /// something after a complete listing.
    pub listing_complete: bool,
}

/// Output of [`merge_discovery`]; every list is sorted by `entraTenantId`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeDiscoveryOutput {
    /// Listed tenants the host does not know yet (status `active`).
    pub insert: Vec<ManagedTenant>,
    /// Known tenants whose name or domains changed, or that are listed again after being
    /// `not_listed` (status `active` again), as they should be stored.
    pub update: Vec<ManagedTenant>,
    /// Known tenants whose name, domains and status did not change (with the listing's latest
    /// counters, which a host may store or ignore).
    pub unchanged: Vec<ManagedTenant>,
    /// Known tenants absent from a complete listing, now with status `not_listed`.
    pub not_listed: Vec<ManagedTenant>,
    pub warnings: Vec<Warning>,
}

fn same_domains(a: &[String], b: &[String]) -> bool {
    let set = |list: &[String]| -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|d| d.trim().to_ascii_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    set(a) == set(b)
}

/// The stored record after a listing: values the provider reports replace stored ones, values
/// it does not report (a provider that does not count users) keep what was stored.
fn merged(known: &ManagedTenant, listed: &ManagedTenant) -> ManagedTenant {
    let mut next = known.clone();
    if listed.display_name.is_some() {
        next.display_name.clone_from(&listed.display_name);
    }
    if listed.primary_domain.is_some() {
        next.primary_domain.clone_from(&listed.primary_domain);
    }
    if !listed.domains.is_empty() && !same_domains(&known.domains, &listed.domains) {
        next.domains.clone_from(&listed.domains);
    }
    if listed.source_user_count.is_some() {
        next.source_user_count = listed.source_user_count;
    }
    next.health_note.clone_from(&listed.health_note);
    if listed.domain_source.is_some() {
        next.domain_source = listed.domain_source;
    }
    next.status = TenantStatus::Active;
    next
}

/// Whether a known tenant must be written: its name or its domains changed, or it comes back
/// from `not_listed`. Counters such as `sourceUserCount` are refreshed in the returned record but
/// alone do not make a tenant an update.
fn needs_update(stored: &ManagedTenant, next: &ManagedTenant) -> bool {
    let name = |t: &ManagedTenant| t.display_name.as_deref().map(str::trim).map(str::to_owned);
    let primary = |t: &ManagedTenant| {
        t.primary_domain
            .as_deref()
            .map(|d| d.trim().to_ascii_lowercase())
    };
    name(stored) != name(next)
        || primary(stored) != primary(next)
        || !same_domains(&stored.domains, &next.domains)
        || stored.status != next.status
}

fn check_ids(list: &[ManagedTenant], field: &str) -> Result<(), CoreError> {
    for (i, t) in list.iter().enumerate() {
        if t.entra_tenant_id.trim().is_empty() {
            return Err(CoreError::invalid_input(format!(
                "field `{field}[{i}].entraTenantId` must not be empty"
            )));
        }
    }
    Ok(())
}

/// Splits a listing into the writes the host must make. Pure and deterministic.
pub fn merge_discovery(input: &MergeDiscoveryInput) -> Result<MergeDiscoveryOutput, CoreError> {
    check_ids(&input.known, "known")?;
    check_ids(&input.listed, "listed")?;
    let mut out = MergeDiscoveryOutput::default();

    let mut known: HashMap<String, &ManagedTenant> = HashMap::new();
    let mut known_order: Vec<&ManagedTenant> = Vec::new();
    for t in &input.known {
        let key = tenant_key(&t.entra_tenant_id);
        if known.contains_key(&key) {
            out.warnings.push(Warning::new(
                "duplicate_tenant",
                format!(
                    "tenant {} is stored twice; the first record is used",
                    echo(&t.entra_tenant_id)
                ),
            ));
            continue;
        }
        known.insert(key, t);
        known_order.push(t);
    }

    if input.listed.is_empty() {
        out.warnings.push(Warning::new(
            "empty_listing",
            "the provider listed no tenants; nothing was changed",
        ));
        out.unchanged = known_order.into_iter().cloned().collect();
        sort_all(&mut out);
        return Ok(out);
    }
    if !input.listing_complete {
        // A listing that failed half-way may carry stale or partial records: nothing is written
        // from it, and the next complete listing applies every change at once.
        out.warnings.push(Warning::new(
            "listing_incomplete",
            format!(
                "the tenant listing did not finish ({} tenants listed); nothing was changed",
                input.listed.len()
            ),
        ));
        out.unchanged = known_order.into_iter().cloned().collect();
        sort_all(&mut out);
        return Ok(out);
    }

    let mut listed_keys: HashSet<String> = HashSet::new();
    for t in &input.listed {
        let key = tenant_key(&t.entra_tenant_id);
        if !listed_keys.insert(key.clone()) {
            out.warnings.push(Warning::new(
                "duplicate_tenant",
                format!(
                    "tenant {} is listed twice; the first entry is used",
                    echo(&t.entra_tenant_id)
                ),
            ));
            continue;
        }
        match known.get(&key) {
            None => {
                let mut fresh = t.clone();
                fresh.status = TenantStatus::Active;
                out.insert.push(fresh);
            }
            Some(stored) => {
                let next = merged(stored, t);
                if !needs_update(stored, &next) {
                    out.unchanged.push(next);
                } else {
                    out.update.push(next);
                }
            }
        }
    }

    for stored in known_order {
        if listed_keys.contains(&tenant_key(&stored.entra_tenant_id)) {
            continue;
        }
        if stored.status != TenantStatus::NotListed {
            let mut gone = stored.clone();
            gone.status = TenantStatus::NotListed;
            out.not_listed.push(gone);
        } else {
            out.unchanged.push(stored.clone());
        }
    }
    sort_all(&mut out);
    Ok(out)
}

fn sort_all(out: &mut MergeDiscoveryOutput) {
    for list in [
        &mut out.insert,
        &mut out.update,
        &mut out.unchanged,
        &mut out.not_listed,
    ] {
        list.sort_by(|a, b| {
            tenant_key(&a.entra_tenant_id)
                .cmp(&tenant_key(&b.entra_tenant_id))
                .then_with(|| a.entra_tenant_id.cmp(&b.entra_tenant_id))
        });
    }
}
