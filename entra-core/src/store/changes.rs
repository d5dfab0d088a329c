//! Turning a plan into the writes a store performs. The reference applier
//! ([`crate::reconcile::apply_plan`]) decides the resulting contacts and links; this module only
//! extracts what differs, so every store persists exactly the reference outcome, and records the
//! version of each contact the plan saw so a store can leave one changed since planning alone.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::error::CoreError;
use crate::model::{Contact, ContactLink, EntraUser};
use crate::reconcile::{Action, ActionKind, PlanInput, SyncPlan, apply_plan, contact_version};

use super::records::{
    AppliedChanges, ContactExpectation, QueueItemKind, QueueObservation, TenantChanges,
};

/// The form addresses are compared and indexed in: trimmed and lowercased.
pub fn normalize_address(address: &str) -> Option<String> {
    let trimmed = address.trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_lowercase())
    }
}

/// Every address of a user that could match a contact: mail, UPN, SMTP proxy addresses and other
/// mails, normalized, sorted and without duplicates.
pub fn user_addresses(user: &EntraUser) -> Vec<String> {
    let mut out = BTreeSet::new();
    let proxies = user.proxy_addresses.iter().filter_map(|p| {
        let (scheme, rest) = p.split_once(':')?;
        scheme.eq_ignore_ascii_case("smtp").then_some(rest)
    });
    for address in user
        .email
        .iter()
        .chain(user.user_principal_name.iter())
        .map(String::as_str)
        .chain(proxies)
        .chain(user.other_mails.iter().map(String::as_str))
    {
        if let Some(a) = normalize_address(address) {
            out.insert(a);
        }
    }
    out.into_iter().collect()
}

/// Every normalized address of a contact (email and additional emails).
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
pub fn contact_addresses(contact: &Contact) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for address in contact.email.iter().chain(contact.additional_emails.iter()) {
        if let Some(a) = normalize_address(address) {
            out.insert(a);
        }
    }
    out.into_iter().collect()
}

/// The writes that applying `plan` to `input` implies: changed or new contacts, changed or new
/// links, identities to queue and identities settled by a link or a create.
pub fn changes_from_plan(input: &PlanInput, plan: &SyncPlan) -> Result<TenantChanges, CoreError> {
    let after = apply_plan(input, plan)?;

    let before_contacts: BTreeMap<&str, &Contact> = input
        .contacts
        .iter()
        .map(|c| (c.contact_id.as_str(), c))
        .collect();
    let mut contacts: BTreeMap<String, Contact> = BTreeMap::new();
    for contact in &after.contacts {
        if before_contacts.get(contact.contact_id.as_str()) != Some(&contact) {
            contacts.insert(contact.contact_id.clone(), contact.clone());
        }
    }

    let link_key = |l: &ContactLink| (l.entra_object_id.clone(), l.contact_id.clone());
    let before_links: BTreeMap<(String, String), &ContactLink> =
        input.links.iter().map(|l| (link_key(l), l)).collect();
    let mut links: BTreeMap<(String, String), ContactLink> = BTreeMap::new();
    for link in &after.links {
        if before_links.get(&link_key(link)) != Some(&link) {
            links.insert(link_key(link), link.clone());
        }
    }

    let mut queued = Vec::new();
    let mut settled = BTreeSet::new();
    for action in &plan.actions {
        match action.kind {
            ActionKind::QueueAmbiguous => {
                queued.push(observation(action, QueueItemKind::Ambiguous))
            }
            ActionKind::Conflict => queued.push(observation(action, QueueItemKind::Conflict)),
            ActionKind::Link | ActionKind::Create => {
                settled.insert(action.entra_object_id.clone());
            }
            _ => {}
        }
    }

    // The version the plan saw of every contact written or linked: the input's contacts, or none
    // for a contact the plan creates. A link to a contact missing from the input is not checked.
    let created: BTreeSet<&str> = after
        .contacts
        .iter()
        .map(|c| c.contact_id.as_str())
        .filter(|id| !before_contacts.contains_key(id))
        .collect();
    let mut expected: BTreeMap<&str, Option<String>> = BTreeMap::new();
    // A link whose only difference is its sync metadata (a `lastSeenAt` touch) checks nothing:
    // it is written as it is, whatever happened to its contact.
    let same_content = |a: &ContactLink, b: &ContactLink| {
        a.entra_tenant_id == b.entra_tenant_id && a.client_id == b.client_id && a.active == b.active
    };
    let touched = contacts.keys().map(String::as_str).chain(
        links
            .iter()
            .filter(|(key, l)| {
                before_links
                    .get(*key)
                    .is_none_or(|before| !same_content(before, l))
            })
            .map(|(_, l)| l.contact_id.as_str()),
    );
    for id in touched {
        if let Some(contact) = before_contacts.get(id) {
            expected.insert(id, Some(contact_version(contact)));
        } else if created.contains(id) {
            expected.insert(id, None);
        }
    }
    let expected = expected
        .into_iter()
        .map(|(contact_id, version)| ContactExpectation {
            contact_id: contact_id.to_string(),
            version,
        })
        .collect();

    Ok(TenantChanges {
        entra_tenant_id: input.entra_tenant_id.clone(),
        contacts: contacts.into_values().collect(),
        links: links.into_values().collect(),
        queued,
        settled: settled.into_iter().collect(),
        expected,
    })
}

/// The part of `changes` a store may still write, given `stored_version` (the
/// [`contact_version`] of a stored contact, `None` when there is none), and the contacts left out.
///
/// A contact of `changes.expected` whose stored version is not the planned one was changed (or,
/// for a create, inserted) by someone else since planning: its write, every link on it and the
/// settling of the identities of those links are left out, so nothing overwrites the other
/// writer and the next run plans the contact again from what is stored. Both stores call this
/// inside their atomic write, so they leave out exactly the same changes.
pub fn current_part<'c, E>(
    changes: &'c TenantChanges,
    mut stored_version: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<(Cow<'c, TenantChanges>, AppliedChanges), E> {
    let mut skipped: BTreeSet<&str> = BTreeSet::new();
    for expectation in &changes.expected {
        if stored_version(&expectation.contact_id)? != expectation.version {
            skipped.insert(expectation.contact_id.as_str());
        }
    }
    if skipped.is_empty() {
        return Ok((Cow::Borrowed(changes), AppliedChanges::default()));
    }
    let unsettled: BTreeSet<&str> = changes
        .links
        .iter()
        .filter(|l| skipped.contains(l.contact_id.as_str()))
        .map(|l| l.entra_object_id.as_str())
        .collect();
    let kept = TenantChanges {
        entra_tenant_id: changes.entra_tenant_id.clone(),
        contacts: changes
            .contacts
            .iter()
            .filter(|c| !skipped.contains(c.contact_id.as_str()))
            .cloned()
            .collect(),
        links: changes
            .links
            .iter()
            .filter(|l| !skipped.contains(l.contact_id.as_str()))
            .cloned()
            .collect(),
        queued: changes.queued.clone(),
        settled: changes
            .settled
            .iter()
            .filter(|id| !unsettled.contains(id.as_str()))
            .cloned()
            .collect(),
        expected: Vec::new(),
    };
    let applied = AppliedChanges {
        skipped_contact_ids: skipped.into_iter().map(str::to_string).collect(),
    };
    Ok((Cow::Owned(kept), applied))
}

fn observation(action: &Action, kind: QueueItemKind) -> QueueObservation {
    let reason = serde_json::to_value(action.reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    let mut candidates = action.candidate_contact_ids.clone();
    candidates.extend(action.contact_ids.iter().cloned());
    candidates.sort();
    candidates.dedup();
    QueueObservation {
        entra_object_id: action.entra_object_id.clone(),
        kind,
        reason,
        candidate_contact_ids: candidates,
        display_name: action.display_name.clone(),
        user_principal_name: action.user_principal_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_addresses_cover_every_source_once() {
        let mut user = EntraUser::new("t", "u");
        user.email = Some(" Jane@Contoso.com ".into());
        user.user_principal_name = Some("jane@contoso.com".into());
        user.proxy_addresses = vec![
            "SMTP:jane@contoso.com".into(),
            "smtp:j.doe@contoso.com".into(),
            "X500:/o=whatever".into(),
        ];
        user.other_mails = vec!["jane@gmail.com".into(), "  ".into()];
        assert_eq!(
            user_addresses(&user),
            vec!["j.doe@contoso.com", "jane@contoso.com", "jane@gmail.com"]
        );
    }
}
