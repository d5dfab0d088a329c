//! `summarize_licenses`: what a tenant pays for and who holds it, from the user listing and the
//! tenant's subscribed SKUs. Pure: the providers read `/subscribedSkus`, this only counts.
//!
//! Every assigned licence falls in exactly one bucket: held by an enabled member, by a disabled
//! user (member or guest), or by an enabled guest. The last two are the licences an MSP usually
//! reclaims.

mod names;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::filter::is_guest;
use crate::model::nullable::or_default;
use crate::model::{EntraUser, SubscribedSku};
use crate::reconcile::hashing::{FastMap, FastSet};

pub use names::product_name;

/// Input of [`summarize_licenses`]: one tenant's user listing and its subscribed SKUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseInput {
    #[serde(default, deserialize_with = "or_default")]
    pub entra_tenant_id: String,
    #[serde(default, deserialize_with = "or_default")]
    pub users: Vec<EntraUser>,
    #[serde(default, deserialize_with = "or_default")]
    pub subscribed_skus: Vec<SubscribedSku>,
}

/// A tenant's licence summary: one row per SKU (subscribed SKUs in input order, then SKUs only
/// seen on users), and the licensed users in listing order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseSummary {
    #[serde(default)]
    pub entra_tenant_id: String,
    pub skus: Vec<SkuSummary>,
    pub users: Vec<UserLicenses>,
    pub totals: LicenseTotals,
}

/// One SKU's counts. `assigned` counts the listed users holding it and is the sum of the three
/// buckets that follow; `consumed` is Graph's own count (it includes users the listing did not
/// return, so the two may differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuSummary {
    pub sku_id: String,
    /// The part number; the SKU id when the SKU is not among the subscribed SKUs.
    pub sku_part_number: String,
    /// The common product name, or the part number when the table does not know it.
    pub product_name: String,
    /// Whether the tenant subscribes to this SKU (false: only seen on a user).
    pub subscribed: bool,
    /// `prepaidUnits.enabled`.
    pub purchased: u64,
    /// `consumedUnits`.
    pub consumed: u64,
    /// `purchased - consumed`, never below zero.
    pub available: u64,
    pub assigned: u64,
    pub assigned_to_enabled_members: u64,
    pub assigned_to_disabled_users: u64,
    /// Enabled guests only (a disabled guest counts as disabled).
    pub assigned_to_guests: u64,
    /// `assignedToDisabledUsers + assignedToGuests`.
    pub reclaimable: u64,
}

/// One licensed user and the part numbers of the SKUs it holds (in SKU row order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserLicenses {
    pub entra_object_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub account_enabled: bool,
    pub guest: bool,
    pub sku_part_numbers: Vec<String>,
}

/// Tenant-wide sums over the SKU rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseTotals {
    pub purchased: u64,
    pub assigned: u64,
    pub reclaimable: u64,
    pub licensed_users: u64,
}

/// Which bucket a licence holder falls in.
#[derive(Clone, Copy)]
enum Holder {
    EnabledMember,
    Disabled,
    EnabledGuest,
}

/// Summarizes one tenant's licences. A subscribed SKU without `skuId`, or listed twice, is an
/// `invalid_input` error naming it; a user holding the same SKU twice counts once.
pub fn summarize_licenses(input: &LicenseInput) -> Result<LicenseSummary, CoreError> {
    let mut rows: Vec<SkuSummary> = Vec::with_capacity(input.subscribed_skus.len());
    let mut row_of: FastMap<String, usize> = FastMap::default();
    for (i, sku) in input.subscribed_skus.iter().enumerate() {
        let id = normalize_id(&sku.sku_id);
        if id.is_empty() {
            return Err(CoreError::invalid_input(format!(
                "`subscribedSkus[{i}].skuId` must not be empty"
            )));
        }
        if row_of.insert(id.clone(), rows.len()).is_some() {
            return Err(CoreError::invalid_input(format!(
                "`subscribedSkus[{i}].skuId` `{}` is listed twice",
                sku.sku_id.trim()
            )));
        }
        let part = sku
            .sku_part_number
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .unwrap_or(sku.sku_id.trim())
            .to_string();
        let purchased = sku.prepaid_units.enabled;
        rows.push(SkuSummary {
            sku_id: sku.sku_id.trim().to_string(),
            product_name: product_name(&part).unwrap_or(&part).to_string(),
            sku_part_number: part,
            subscribed: true,
            purchased,
            consumed: sku.consumed_units,
            available: purchased.saturating_sub(sku.consumed_units),
            assigned: 0,
            assigned_to_enabled_members: 0,
            assigned_to_disabled_users: 0,
            assigned_to_guests: 0,
            reclaimable: 0,
        });
    }

    let mut users = Vec::new();
    let mut held: Vec<usize> = Vec::new();
    let mut seen: FastSet<usize> = FastSet::default();
    for user in &input.users {
        if user.assigned_license_sku_ids.is_empty() {
            continue;
        }
        let guest = is_guest(user);
        let holder = match (user.account_enabled, guest) {
            (false, _) => Holder::Disabled,
            (true, true) => Holder::EnabledGuest,
            (true, false) => Holder::EnabledMember,
        };
        held.clear();
        seen.clear();
        for raw in &user.assigned_license_sku_ids {
            let id = normalize_id(raw);
            if id.is_empty() {
                continue;
            }
            let row = match row_of.get(&id) {
                Some(&row) => row,
                None => {
                    let sku_id = raw.trim().to_string();
                    row_of.insert(id, rows.len());
                    rows.push(unsubscribed(sku_id));
                    rows.len() - 1
                }
            };
            if seen.insert(row) {
                held.push(row);
            }
        }
        if held.is_empty() {
            continue;
        }
        held.sort_unstable();
        let mut parts = Vec::with_capacity(held.len());
        for &row in &held {
            let Some(sku) = rows.get_mut(row) else {
                continue;
            };
            sku.assigned += 1;
            match holder {
                Holder::EnabledMember => sku.assigned_to_enabled_members += 1,
                Holder::Disabled => sku.assigned_to_disabled_users += 1,
                Holder::EnabledGuest => sku.assigned_to_guests += 1,
            }
            parts.push(sku.sku_part_number.clone());
        }
        users.push(UserLicenses {
            entra_object_id: user.entra_object_id.clone(),
            user_principal_name: user.user_principal_name.clone(),
            display_name: user.display_name.clone(),
            account_enabled: user.account_enabled,
            guest,
            sku_part_numbers: parts,
        });
    }

    let mut totals = LicenseTotals {
        licensed_users: users.len() as u64,
        ..LicenseTotals::default()
    };
    for sku in &mut rows {
        sku.reclaimable = sku.assigned_to_disabled_users + sku.assigned_to_guests;
        totals.purchased += sku.purchased;
        totals.assigned += sku.assigned;
        totals.reclaimable += sku.reclaimable;
    }
    Ok(LicenseSummary {
        entra_tenant_id: input.entra_tenant_id.clone(),
        skus: rows,
        users,
        totals,
    })
}

/// SKU ids are GUIDs: compared trimmed and lowercased.
fn normalize_id(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

/// A row for a SKU a user holds that the tenant's subscribed SKUs do not list (a listing read at
/// another moment, or a SKU the tenant no longer subscribes to): shown by its id.
fn unsubscribed(sku_id: String) -> SkuSummary {
    SkuSummary {
        sku_part_number: sku_id.clone(),
        product_name: sku_id.clone(),
        sku_id,
        subscribed: false,
        purchased: 0,
        consumed: 0,
        available: 0,
        assigned: 0,
        assigned_to_enabled_members: 0,
        assigned_to_disabled_users: 0,
        assigned_to_guests: 0,
        reclaimable: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PrepaidUnits;

    const SPB: &str = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46";
    const EXO: &str = "4b9405b0-7788-4568-add1-99614e613b69";

    fn sku(id: &str, part: &str, enabled: u64, consumed: u64) -> SubscribedSku {
        SubscribedSku {
            sku_id: id.into(),
            sku_part_number: Some(part.into()),
            prepaid_units: PrepaidUnits {
                enabled,
                ..PrepaidUnits::default()
            },
            consumed_units: consumed,
        }
    }

    /// (object id, enabled, user type, skus)
    fn user(id: &str, enabled: bool, kind: &str, skus: &[&str]) -> EntraUser {
        let mut u = EntraUser::new("t", id);
        u.account_enabled = enabled;
        u.user_type = Some(kind.into());
        u.assigned_license_sku_ids = skus.iter().map(|s| s.to_string()).collect();
        u
    }

    #[test]
    fn each_assigned_licence_falls_in_exactly_one_bucket() {
        let input = LicenseInput {
            entra_tenant_id: "t".into(),
            subscribed_skus: vec![sku(SPB, "SPB", 10, 4), sku(EXO, "EXCHANGESTANDARD", 5, 1)],
            users: vec![
                user("a", true, "Member", &[SPB, EXO]),
                user("b", false, "Member", &[SPB]),
                user("c", true, "Guest", &[SPB]),
                user("d", false, "Guest", &[SPB]),
                user("e", true, "Member", &[]),
            ],
        };
        let out = summarize_licenses(&input).unwrap();
        let spb = &out.skus[0];
        assert_eq!(spb.product_name, "Microsoft 365 Business Premium");
        assert_eq!(
            (
                spb.assigned,
                spb.assigned_to_enabled_members,
                spb.assigned_to_disabled_users,
                spb.assigned_to_guests,
                spb.reclaimable,
                spb.available
            ),
            (4, 1, 2, 1, 3, 6)
        );
        assert_eq!(out.users.len(), 4);
        assert_eq!(out.users[0].sku_part_numbers, ["SPB", "EXCHANGESTANDARD"]);
        assert_eq!(out.totals.licensed_users, 4);
        assert_eq!(out.totals.reclaimable, 3);
    }

    #[test]
    fn bad_subscribed_sku_lists_are_invalid_input_naming_the_entry() {
        let cases: [(Vec<SubscribedSku>, &str); 2] = [
            (vec![sku(" ", "X", 1, 0)], "subscribedSkus[0].skuId"),
            (
                vec![sku(SPB, "SPB", 1, 0), sku(&SPB.to_uppercase(), "SPB", 1, 0)],
                "subscribedSkus[1].skuId",
            ),
        ];
        for (skus, field) in cases {
            let input = LicenseInput {
                entra_tenant_id: "t".into(),
                users: vec![],
                subscribed_skus: skus,
            };
            let err = summarize_licenses(&input).unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert!(err.to_string().contains(field), "{err}");
        }
    }
}
