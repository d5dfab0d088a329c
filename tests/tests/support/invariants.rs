//! The invariants a sync must keep whatever the upstream does, checked on the store's state
//! before and after one run against the sandbox's ground truth.
//!
//! - no contact is deleted;
//! - a contact is inactivated only when its user is disabled or gone upstream, never when it is
//!   locked, and a contact someone else inactivated stays inactive;
//! - no field whose toggle is off (`role`, phones, UPN under [`super::names_and_addresses`])
//!   changes on an existing contact, and a locked contact does not change at all;
//! - no duplicate: one active link per user, one active link per contact, and no created contact
//!   shares its client and address with another contact;
//! - each tenant is either applied or untouched: a tenant that failed has its links and its
//!   client's contacts exactly as before.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use entra_core::engine::RunReport;
use entra_core::model::{Contact, InactiveSource};
use entra_core::reconcile::Counters;
use entra_core::store::{StoreSnapshot, TenantOutcome};
use entra_providers::sandbox::Sandbox;

/// Whether each mapped tenant's users are, upstream, enabled (`true`), disabled (`false`) or gone
/// (absent), keyed by `(tenant, object id)`.
pub fn upstream_truth(sandbox: &Sandbox, tenants: &[String]) -> HashMap<(String, String), bool> {
    tenants
        .iter()
        .flat_map(|t| {
            sandbox
                .users(t)
                .into_iter()
                .map(move |u| ((t.clone(), u.id), u.account_enabled))
        })
        .collect()
}

/// Contact-changing actions counted in `c` (queued and excluded users are not changes).
pub fn changes(c: &Counters) -> u64 {
    c.created + c.linked + c.updated + c.inactivated + c.reactivated
}

/// Contacts this run inactivated for a tenant although none of their users there is listed upstream
/// as disabled: only gone (unlisted) users are behind them. Must be empty for a tenant whose
/// listing was incomplete, where absence proves nothing.
pub fn inactivated_for_absence(
    truth: &HashMap<(String, String), bool>,
    tenant: &str,
    before: &StoreSnapshot,
    after: &StoreSnapshot,
) -> Vec<String> {
    let was_active: BTreeSet<&str> = before
        .contacts
        .iter()
        .filter(|c| !c.is_inactive)
        .map(|c| c.contact_id.as_str())
        .collect();
    after
        .contacts
        .iter()
        .filter(|c| c.is_inactive && was_active.contains(c.contact_id.as_str()))
        .filter(|c| {
            let users: Vec<_> = after
                .links
                .iter()
                .filter(|l| l.contact_id == c.contact_id && l.entra_tenant_id == tenant)
                .collect();
            !users.is_empty()
                && users.iter().all(|l| {
                    !truth.contains_key(&(l.entra_tenant_id.clone(), l.entra_object_id.clone()))
                })
        })
        .map(|c| c.contact_id.clone())
        .collect()
}

/// Every invariant of one run; `Err` lists each violation found.
pub fn check_run(
    truth: &HashMap<(String, String), bool>,
    clients: &BTreeMap<String, String>,
    before: &StoreSnapshot,
    after: &StoreSnapshot,
    report: &RunReport,
) -> Result<(), String> {
    let mut violations = Vec::new();
    let after_contacts: HashMap<&str, &Contact> = after
        .contacts
        .iter()
        .map(|c| (c.contact_id.as_str(), c))
        .collect();
    let before_ids: BTreeSet<&str> = before
        .contacts
        .iter()
        .map(|c| c.contact_id.as_str())
        .collect();

    for old in &before.contacts {
        let Some(new) = after_contacts.get(old.contact_id.as_str()) else {
            violations.push(format!("contact {} was deleted", old.contact_id));
            continue;
        };
        if old.locked && *new != old {
            violations.push(format!("locked contact {} changed", old.contact_id));
        }
        if (&old.role, &old.phone_numbers, &old.user_principal_name)
            != (&new.role, &new.phone_numbers, &new.user_principal_name)
        {
            violations.push(format!(
                "contact {}: a field whose toggle is off changed: {:?} -> {:?}",
                old.contact_id,
                (&old.role, &old.phone_numbers, &old.user_principal_name),
                (&new.role, &new.phone_numbers, &new.user_principal_name)
            ));
        }
        if old.is_inactive && old.inactive_source == Some(InactiveSource::Other) && !new.is_inactive
        {
            violations.push(format!(
                "contact {} inactivated by someone else was reactivated",
                old.contact_id
            ));
        }
        if !old.is_inactive && new.is_inactive {
            let gone_or_disabled = after
                .links
                .iter()
                .filter(|l| l.contact_id == old.contact_id)
                .any(|l| {
                    truth
                        .get(&(l.entra_tenant_id.clone(), l.entra_object_id.clone()))
                        .is_none_or(|enabled| !enabled)
                });
            if old.locked || !gone_or_disabled {
                violations.push(format!(
                    "contact {} was inactivated though its user is enabled upstream (or it is locked)",
                    old.contact_id
                ));
            }
        }
    }

    let mut per_user: HashMap<(&str, &str), usize> = HashMap::new();
    let mut per_contact: HashMap<&str, usize> = HashMap::new();
    for link in after.links.iter().filter(|l| l.active) {
        *per_user
            .entry((&link.entra_tenant_id, &link.entra_object_id))
            .or_default() += 1;
        *per_contact.entry(&link.contact_id).or_default() += 1;
    }
    for ((tenant, object), n) in per_user.into_iter().filter(|(_, n)| *n > 1) {
        violations.push(format!("user {tenant}/{object} has {n} active links"));
    }
    for (contact, n) in per_contact.into_iter().filter(|(_, n)| *n > 1) {
        violations.push(format!("contact {contact} has {n} active links"));
    }
    for created in after
        .contacts
        .iter()
        .filter(|c| !before_ids.contains(c.contact_id.as_str()))
    {
        let Some(email) = created.email.as_deref().map(str::to_lowercase) else {
            continue;
        };
        if let Some(twin) = after.contacts.iter().find(|c| {
            c.contact_id != created.contact_id
                && c.client_id == created.client_id
                && c.email.as_deref().map(str::to_lowercase).as_deref() == Some(email.as_str())
        }) {
            violations.push(format!(
                "created contact {} duplicates {} ({email})",
                created.contact_id, twin.contact_id
            ));
        }
    }

    for (tenant, client) in clients {
        let succeeded = report
            .results
            .iter()
            .any(|r| &r.entra_tenant_id == tenant && r.outcome == TenantOutcome::Succeeded);
        let applied = succeeded && !report.dry_run;
        if applied {
            continue;
        }
        let of_client = |s: &StoreSnapshot| -> Vec<Contact> {
            s.contacts
                .iter()
                .filter(|c| c.client_id.as_deref() == Some(client.as_str()))
                .cloned()
                .collect()
        };
        let of_tenant = |s: &StoreSnapshot| {
            s.links
                .iter()
                .filter(|l| &l.entra_tenant_id == tenant)
                .cloned()
                .collect::<Vec<_>>()
        };
        if of_client(before) != of_client(after) || of_tenant(before) != of_tenant(after) {
            violations.push(format!(
                "tenant {tenant} was not applied, yet its contacts or links changed"
            ));
        }
    }

    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations.join("\n"))
    }
}
