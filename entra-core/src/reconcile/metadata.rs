//! Sync metadata: what a plan stamps on the contacts and links it touches (who synced, when, the
//! user's upstream enabled state, the contact's sync status and the link's status), and the
//! identities it merely saw.
//!
//! Metadata never drives a decision and is not part of a contact's version, an input's digest or
//! an action's idempotency key. Times are the input's `now` (the core reads no clock), so a plan
//! stays a pure function of its input. Only actions carry `lastSyncedAt`; a listing that shows a
//! linked identity again only moves its link's `lastSeenAt` through [`SyncPlan::seen`], which
//! is a touch, not a change: a re-run with no upstream change plans zero actions.

use serde::{Deserialize, Serialize};

use crate::model::{Contact, ContactLink, LinkStatus, SyncState, SyncStatus};

use super::action::{Action, ActionKind, ActionReason};
use super::hashing::FastMap;
use super::input::{DEFAULT_SYNCED_BY, PlanInput};
use super::plan::{SeenIdentity, SyncPlan};
use super::snapshot::Snapshot;

/// Metadata an action writes on its contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactSyncMetadata {
    /// The input's `syncedBy` (default `entra-sync`).
    pub last_synced_by: String,
    /// The input's `now`; absent when the input has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<String>,
    /// The user's `accountEnabled`; absent for an identity that is not listed (deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_enabled: Option<bool>,
    /// The contact's new sync status; absent for an `update`, which leaves it as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<SyncStatus>,
}

/// Metadata an action writes on the identity's link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkSyncMetadata {
    /// `closed` for a `deleted_upstream` inactivation, otherwise `active`.
    pub status: LinkStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<String>,
    /// The input's `now` when the identity is listed; absent for a deleted identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
}

/// Adds the metadata to the actions that change a contact or a link. Built once per plan (it
/// indexes the listed users' `accountEnabled`), then applied to the actions batch by batch.
pub(crate) struct Stamper<'s, 'a> {
    snap: &'s Snapshot<'a>,
    enabled: FastMap<&'a str, bool>,
}

impl<'s, 'a> Stamper<'s, 'a> {
    pub(crate) fn new(snap: &'s Snapshot<'a>) -> Self {
        let input = snap.input;
        let enabled = input
            .users
            .iter()
            .enumerate()
            .filter(|(u, _)| !snap.is_removed(*u))
            .map(|(_, user)| (user.entra_object_id.as_str(), user.account_enabled))
            .collect();
        Self { snap, enabled }
    }

    /// Adds the metadata to every action of `actions` that changes a contact or a link.
    pub(crate) fn stamp(&self, actions: &mut [Action]) {
        let Self { snap, enabled } = self;
        let input = snap.input;
        let by = input.synced_by.as_deref().unwrap_or(DEFAULT_SYNCED_BY);
        let now = input.now.as_ref();
        for action in actions {
            if !action.kind.changes_contacts() {
                continue;
            }
            let upstream_enabled = enabled.get(action.entra_object_id.as_str()).copied();
            let listed = upstream_enabled.is_some();
            let status = |state| {
                Some(SyncStatus {
                    status: state,
                    reason: action.reason,
                })
            };
            let sync_status = match action.kind {
                ActionKind::Inactivate => status(SyncState::Inactivated),
                ActionKind::Update => None,
                _ => status(SyncState::Active),
            };
            let closes = action.kind == ActionKind::Inactivate
                && action.reason == Some(ActionReason::DeletedUpstream);
            let locked = action
                .contact_id
                .as_deref()
                .and_then(|id| snap.contact(id))
                .is_some_and(|(_, c)| c.locked);
            action.contact_sync = (!locked).then(|| ContactSyncMetadata {
                last_synced_by: by.to_string(),
                last_synced_at: now.cloned(),
                upstream_enabled,
                sync_status,
            });
            action.link_sync = Some(LinkSyncMetadata {
                status: if closes {
                    LinkStatus::Closed
                } else {
                    LinkStatus::Active
                },
                last_synced_at: now.cloned(),
                last_seen_at: if listed { now.cloned() } else { None },
            });
        }
    }
}

/// The listed identities of this tenant with an active link, in user order.
pub(crate) fn seen(snap: &Snapshot<'_>) -> Vec<SeenIdentity> {
    let input = snap.input;
    let mut out = Vec::new();
    for (u, user) in input.users.iter().enumerate() {
        if snap.is_removed(u) {
            continue;
        }
        if let Some((li, _)) = snap.link_of_user(u)
            && let Some(link) = input.links.get(li)
        {
            out.push(SeenIdentity {
                entra_object_id: user.entra_object_id.clone(),
                contact_id: link.contact_id.clone(),
                upstream_enabled: user.account_enabled,
            });
        }
    }
    out
}

/// Writes an action's contact metadata on `contact` (never on a locked one).
pub(crate) fn write_contact(contact: &mut Contact, meta: Option<&ContactSyncMetadata>) {
    let Some(meta) = meta else { return };
    if contact.locked {
        return;
    }
    contact.last_synced_by = Some(meta.last_synced_by.clone());
    if meta.last_synced_at.is_some() {
        contact.last_synced_at.clone_from(&meta.last_synced_at);
    }
    if meta.upstream_enabled.is_some() {
        contact.upstream_enabled = meta.upstream_enabled;
    }
    if meta.sync_status.is_some() {
        contact.sync_status = meta.sync_status;
    }
}

/// Writes an action's link metadata on `link`; `status` follows the link's `active` flag, which
/// the action itself set.
pub(crate) fn write_link(link: &mut ContactLink, meta: Option<&LinkSyncMetadata>) {
    link.status = Some(if link.active {
        LinkStatus::Active
    } else {
        LinkStatus::Closed
    });
    let Some(meta) = meta else { return };
    if meta.last_synced_at.is_some() {
        link.last_synced_at.clone_from(&meta.last_synced_at);
    }
    if meta.last_seen_at.is_some() {
        link.last_seen_at.clone_from(&meta.last_seen_at);
    }
}

/// Applies `plan.seen` to `out`: the active link of each identity gets `lastSeenAt` (and
/// `status: active` if it had none), its
/// contact (in the mapped client, unlocked) `upstreamEnabled`. Entries naming no active link of
/// this tenant are ignored: they are touches, never changes.
pub(crate) fn apply_seen(out: &mut PlanInput, plan: &SyncPlan) {
    if plan.seen.is_empty() {
        return;
    }
    let seen: FastMap<(&str, &str), bool> = plan
        .seen
        .iter()
        .map(|s| {
            (
                (s.entra_object_id.as_str(), s.contact_id.as_str()),
                s.upstream_enabled,
            )
        })
        .collect();
    let mut enabled: FastMap<String, bool> = FastMap::default();
    for link in &mut out.links {
        if !link.active || link.entra_tenant_id != out.entra_tenant_id {
            continue;
        }
        let key = (link.entra_object_id.as_str(), link.contact_id.as_str());
        if let Some(&on) = seen.get(&key) {
            enabled.insert(link.contact_id.clone(), on);
            link.status = Some(LinkStatus::Active);
            if plan.seen_at.is_some() {
                link.last_seen_at.clone_from(&plan.seen_at);
            }
        }
    }
    for contact in &mut out.contacts {
        if let Some(&on) = enabled.get(&contact.contact_id)
            && !contact.locked
            && contact.client_id.as_deref() == Some(out.client_id.as_str())
        {
            contact.upstream_enabled = Some(on);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::reconcile::{PlanInput, plan_tenant_sync};

    /// A tenant with one linked user `u1` (contact `k1`, enabled unless said otherwise).
    fn input(user: Value, contact: Value, extra: Value) -> PlanInput {
        let mut v = json!({
            "entraTenantId": "t", "clientId": "c", "listingComplete": true,
            "users": [user],
            "contacts": [contact],
            "links": [{"entraTenantId": "t", "entraObjectId": "u1", "contactId": "k1", "clientId": "c"}],
            "settings": {"fieldSync": {"displayName": true}},
        });
        if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn actions_carry_the_metadata_their_kind_calls_for() {
        let enabled = json!({"entraObjectId": "u1", "accountEnabled": true, "mail": "a@x.com", "displayName": "New"});
        let disabled = json!({"entraObjectId": "u1", "accountEnabled": false, "mail": "a@x.com"});
        let other = json!({"entraObjectId": "u9", "accountEnabled": true, "mail": "z@x.com"});
        let contact =
            json!({"contactId": "k1", "clientId": "c", "email": "a@x.com", "fullName": "Old"});
        let locked =
            json!({"contactId": "k1", "clientId": "c", "email": "a@x.com", "locked": true});
        let now = json!({"now": "2026-12-03T15:00:00Z", "syncedBy": "entra-sync:cipp"});
        // (case, user, contact, input extras, expected kind, expected contactSync, expected linkSync)
        let cases: Vec<(&str, Value, Value, Value, &str, Value, Value)> = vec![
            (
                "an update stamps who and when but leaves the sync status",
                enabled.clone(),
                contact.clone(),
                now.clone(),
                "update",
                json!({"lastSyncedBy": "entra-sync:cipp", "lastSyncedAt": "2026-12-03T15:00:00Z", "upstreamEnabled": true}),
                json!({"status": "active", "lastSyncedAt": "2026-12-03T15:00:00Z", "lastSeenAt": "2026-12-03T15:00:00Z"}),
            ),
            (
                "without now or syncedBy the times stay unset and the default author is used",
                enabled.clone(),
                contact.clone(),
                json!({}),
                "update",
                json!({"lastSyncedBy": "entra-sync", "upstreamEnabled": true}),
                json!({"status": "active"}),
            ),
            (
                "disabled upstream inactivates with its reason and keeps the link active",
                disabled,
                contact.clone(),
                now.clone(),
                "inactivate",
                json!({"lastSyncedBy": "entra-sync:cipp", "lastSyncedAt": "2026-12-03T15:00:00Z", "upstreamEnabled": false,
                       "syncStatus": {"status": "inactivated", "reason": "disabled_upstream"}}),
                json!({"status": "active", "lastSyncedAt": "2026-12-03T15:00:00Z", "lastSeenAt": "2026-12-03T15:00:00Z"}),
            ),
            (
                "deleted upstream closes the link and is not seen",
                other,
                contact,
                now.clone(),
                "inactivate",
                json!({"lastSyncedBy": "entra-sync:cipp", "lastSyncedAt": "2026-12-03T15:00:00Z",
                       "syncStatus": {"status": "inactivated", "reason": "deleted_upstream"}}),
                json!({"status": "closed", "lastSyncedAt": "2026-12-03T15:00:00Z"}),
            ),
        ];
        for (case, user, contact, extra, kind, contact_sync, link_sync) in cases {
            let plan = plan_tenant_sync(&input(user, contact, extra)).unwrap();
            let plan = serde_json::to_value(&plan).unwrap();
            let action = plan["actions"]
                .as_array()
                .and_then(|a| a.iter().find(|a| a["entraObjectId"] == "u1"))
                .unwrap_or_else(|| panic!("{case}: no action for u1 in {plan}"));
            assert_eq!(action["kind"], kind, "{case}");
            assert_eq!(action["contactSync"], contact_sync, "{case}");
            assert_eq!(action["linkSync"], link_sync, "{case}");
        }
        // A locked contact is seen through its link, but sync writes nothing on it.
        let input = input(enabled, locked, now);
        let plan = plan_tenant_sync(&input).unwrap();
        assert_eq!(plan.seen.len(), 1, "the linked identity is still seen");
        let after = crate::reconcile::apply_plan(&input, &plan).unwrap();
        assert_eq!(after.contacts[0].upstream_enabled, None);
        assert_eq!(after.contacts[0].last_synced_at, None);
        assert_eq!(
            after.links[0].last_seen_at.as_deref(),
            Some("2026-12-03T15:00:00Z")
        );
    }
}
