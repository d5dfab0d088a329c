//! Local edits a PSA makes between syncs and the upstream changes that keep a sync busy, applied
//! the same way by every fault scenario and by the soak.

use std::collections::{BTreeMap, BTreeSet};

use entra_core::model::{Contact, InactiveSource, PhoneNumber, PhoneType};
use entra_core::store::SyncStore;
use entra_providers::sandbox::{Mutation, NewUser, Sandbox, SandboxUser, UserKind};

use super::AnyResult;

/// Every mapped tenant with its client id.
pub async fn mapped_clients<S: SyncStore>(store: &S) -> AnyResult<BTreeMap<String, String>> {
    Ok(store
        .load_mapped_tenants()
        .await?
        .into_iter()
        .filter_map(|m| m.client_id.map(|c| (m.entra_tenant_id, c)))
        .collect())
}

/// The enabled people of a tenant whose contact is actively linked, in estate order.
pub async fn linked_people<S: SyncStore>(
    sandbox: &Sandbox,
    store: &S,
    tenant: &str,
) -> AnyResult<Vec<(SandboxUser, String)>> {
    let snapshot = store.snapshot().await?;
    let linked: BTreeMap<&str, &str> = snapshot
        .links
        .iter()
        .filter(|l| l.active && l.entra_tenant_id == tenant)
        .map(|l| (l.entra_object_id.as_str(), l.contact_id.as_str()))
        .collect();
    Ok(sandbox
        .users(tenant)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person && u.account_enabled)
        .filter_map(|u| {
            let contact = linked.get(u.id.as_str())?.to_string();
            Some((u, contact))
        })
        .collect())
}

/// What the PSA's users did locally after the first sync, in every mapped client: a title, a
/// phone and a UPN of their own on every contact (fields whose toggles are off), one contact
/// locked (and its user then disabled upstream) and one inactivated by hand (its user stays
/// enabled). Returns the users the later mutations must leave alone.
pub async fn edit_locally<S: SyncStore>(
    sandbox: &Sandbox,
    store: &S,
) -> AnyResult<BTreeSet<String>> {
    let clients = mapped_clients(store).await?;
    let client_ids: BTreeSet<&String> = clients.values().collect();
    let mut reserved = BTreeSet::new();
    let mut lock = BTreeSet::new();
    let mut by_hand = BTreeSet::new();
    for tenant in clients.keys() {
        let people = linked_people(sandbox, store, tenant).await?;
        if let [(locked_user, locked), (kept_user, inactive), ..] = people.as_slice() {
            sandbox.mutate(Mutation::Disable {
                user_id: locked_user.id.clone(),
            })?;
            lock.insert(locked.clone());
            by_hand.insert(inactive.clone());
            reserved.insert(locked_user.id.clone());
            reserved.insert(kept_user.id.clone());
        }
    }
    let edited: Vec<Contact> = store
        .snapshot()
        .await?
        .contacts
        .into_iter()
        .filter(|c| {
            c.client_id
                .as_ref()
                .is_some_and(|id| client_ids.contains(id))
        })
        .map(|mut c| {
            c.role = Some(format!("Local title of {}", c.contact_id));
            c.phone_numbers = vec![PhoneNumber {
                number: "+1 555 0100".into(),
                kind: PhoneType::Other,
            }];
            c.user_principal_name = Some("kept.locally@crm.example".into());
            c.locked = lock.contains(&c.contact_id);
            if by_hand.contains(&c.contact_id) {
                c.is_inactive = true;
                c.inactive_source = Some(InactiveSource::Other);
            }
            c
        })
        .collect();
    store.upsert_contacts(&edited).await?;
    Ok(reserved)
}

/// The upstream changes every fault scenario starts from, in each mapped tenant: a person
/// disabled, one hard-deleted, one soft-deleted, one renamed with a new address, and a newcomer.
pub async fn mutate_upstream<S: SyncStore>(
    sandbox: &Sandbox,
    store: &S,
    reserved: &BTreeSet<String>,
) -> AnyResult<()> {
    for (tenant, _) in mapped_clients(store).await? {
        let people: Vec<SandboxUser> = linked_people(sandbox, store, &tenant)
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .filter(|u| !reserved.contains(&u.id))
            .collect();
        let [disabled, hard, soft, renamed, ..] = people.as_slice() else {
            return Err(format!("tenant {tenant} has too few linked people").into());
        };
        let domain = sandbox
            .tenants()
            .into_iter()
            .find(|t| t.tenant_id == tenant)
            .ok_or("tenant")?
            .default_domain;
        sandbox.mutate(Mutation::Disable {
            user_id: disabled.id.clone(),
        })?;
        sandbox.mutate(Mutation::HardDelete {
            user_id: hard.id.clone(),
        })?;
        sandbox.mutate(Mutation::SoftDelete {
            user_id: soft.id.clone(),
        })?;
        sandbox.mutate(Mutation::Rename {
            user_id: renamed.id.clone(),
            display_name: "Renamed Person".into(),
            given_name: Some("Renamed".into()),
            surname: Some("Person".into()),
        })?;
        sandbox.mutate(Mutation::ChangeEmail {
            user_id: renamed.id.clone(),
            email: format!("renamed.person@{domain}"),
        })?;
        sandbox.mutate(Mutation::AddUser {
            tenant_id: tenant.clone(),
            user: NewUser {
                display_name: "Nora Newcomer".into(),
                given_name: Some("Nora".into()),
                surname: Some("Newcomer".into()),
                email: format!("nora.newcomer@{domain}"),
                job_title: Some("Analyst".into()),
                account_enabled: true,
            },
        })?;
    }
    Ok(())
}
