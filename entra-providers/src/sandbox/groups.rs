//! Groups and subscribed SKUs of a sandbox tenant, derived from its users (no random draw, so
//! adding them changed no other generated data).
//!
//! Every customer tenant has four security groups, two of them nested:
//!
//! | group | direct user members (by position in the tenant's id-sorted live users) | member groups |
//! |---|---|---|
//! | `All Staff` | odd positions | `Sales` |
//! | `Sales` | positions divisible by 4 | `Sales EMEA` |
//! | `Sales EMEA` | positions with remainder 2 modulo 6 | |
//! | `Contractors` | positions with remainder 2 modulo 5, and every guest | |
//!
//! so `All Staff` reaches its users through two levels of nesting. A group's id is a GUID derived
//! from the tenant id and the group name ([`group_id`]). The subscribed SKUs count the licences
//! the live users hold; each SKU has five spare units and every tenant also subscribes to a free
//! SKU nobody holds.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::estate::{Estate, SandboxUser};
use super::names;

/// The sandbox's groups, in listing order: (name, description, member group names).
const GROUPS: &[(&str, &str, &[&str])] = &[
    ("All Staff", "Everyone employed by the company", &["Sales"]),
    ("Sales", "The sales team", &["Sales EMEA"]),
    (
        "Sales EMEA",
        "Sales in Europe, the Middle East and Africa",
        &[],
    ),
    ("Contractors", "External contractors and guests", &[]),
];

/// The part numbers of the SKUs the generated users hold ([`names::SKUS`]), and one free SKU.
const SKU_PARTS: &[(&str, &str)] = &[
    ("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB"),
    ("6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK"),
    ("4b9405b0-7788-4568-add1-99614e613b69", "EXCHANGESTANDARD"),
];
const FREE_SKU: (&str, &str) = ("a403ebcc-fae0-4ca2-8c8c-7a907fd6c235", "POWER_BI_STANDARD");

/// The id of the group `name` in `tenant_id`: a GUID from SHA-256 of both.
pub fn group_id(tenant_id: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{tenant_id}/group/{name}").as_bytes());
    let h: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Whether the user at `position` is a direct member of group `name`.
fn direct_member(name: &str, position: usize, user: &SandboxUser) -> bool {
    match name {
        "All Staff" => position % 2 == 1,
        "Sales" => position.is_multiple_of(4),
        "Sales EMEA" => position % 6 == 2,
        "Contractors" => position % 5 == 2 || user.user_type.eq_ignore_ascii_case("guest"),
        _ => false,
    }
}

/// One group of a tenant: `{id, displayName, description, securityEnabled, ...}` as Graph lists it.
pub fn group_json(tenant_id: &str, name: &str, description: &str) -> Value {
    json!({
        "id": group_id(tenant_id, name),
        "displayName": name,
        "description": description,
        "securityEnabled": true,
        "mailEnabled": false,
        "mailNickname": name.replace(' ', "").to_ascii_lowercase(),
        "groupTypes": [],
    })
}

/// The groups of a customer tenant (none for an unknown tenant).
pub fn groups(estate: &Estate, tenant_id: &str) -> Vec<Value> {
    if estate.tenant(tenant_id).is_none() {
        return Vec::new();
    }
    GROUPS
        .iter()
        .map(|(name, description, _)| group_json(tenant_id, name, description))
        .collect()
}

/// The transitive user members of a group, in the tenant's id order; `None` when the tenant has
/// no group with this id.
pub fn transitive_members<'e>(
    estate: &'e Estate,
    tenant_id: &str,
    group: &str,
) -> Option<Vec<&'e SandboxUser>> {
    let wanted = group.trim().to_ascii_lowercase();
    let (name, _, _) = GROUPS
        .iter()
        .find(|(name, _, _)| group_id(tenant_id, name) == wanted)?;
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mut pending = vec![*name];
    while let Some(next) = pending.pop() {
        if names.insert(next)
            && let Some((_, _, nested)) = GROUPS.iter().find(|(n, _, _)| *n == next)
        {
            pending.extend(nested.iter().copied());
        }
    }
    Some(
        estate
            .live_users(tenant_id)
            .into_iter()
            .enumerate()
            .filter(|(i, u)| names.iter().any(|n| direct_member(n, *i, u)))
            .map(|(_, u)| u)
            .collect(),
    )
}

/// The tenant's subscribed SKUs as Graph `GET /subscribedSkus` returns them.
pub fn subscribed_skus(estate: &Estate, tenant_id: &str) -> Vec<Value> {
    let users = estate.live_users(tenant_id);
    let sku = |sku_id: &str, part: &str, enabled: usize, consumed: usize| {
        json!({
            "accountName": tenant_id,
            "accountId": tenant_id,
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": consumed,
            "id": format!("{tenant_id}_{sku_id}"),
            "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [],
            "skuId": sku_id,
            "skuPartNumber": part,
            "subscriptionIds": [group_id(tenant_id, part)],
        })
    };
    let mut out: Vec<Value> = SKU_PARTS
        .iter()
        .filter(|(id, _)| names::SKUS.contains(id))
        .map(|(id, part)| {
            let consumed = users
                .iter()
                .filter(|u| u.assigned_licenses.iter().any(|s| s == id))
                .count();
            (id, part, consumed)
        })
        .filter(|(_, _, consumed)| *consumed > 0)
        .map(|(id, part, consumed)| sku(id, part, consumed + 5, consumed))
        .collect();
    out.push(sku(FREE_SKU.0, FREE_SKU.1, 1_000_000, 0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_are_guids_stable_per_tenant_and_name() {
        let a = group_id("t1", "Sales");
        assert_eq!(a, group_id("t1", "Sales"));
        assert_ne!(a, group_id("t2", "Sales"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
