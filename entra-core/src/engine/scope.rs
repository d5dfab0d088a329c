//! The provider reads a tenant's sync adds around the user listing: the members of the groups
//! its settings name (one listing per group and run), and the subscribed SKUs its licence summary
//! is made from. Neither ever fails the tenant's sync: a group that cannot be read is an
//! incomplete listing (nobody is inactivated or unlinked for it), a summary that cannot be made
//! is a warning.

use std::collections::BTreeSet;

use tracing::warn;

use crate::filter::{GroupListingStatus, GroupMembership};
use crate::licenses::{LicenseInput, LicenseSummary, summarize_licenses};
use crate::model::{EntraUser, SyncSettings, Warning};
use crate::provider::{EntraProvider, ProviderErrorCode};
use crate::store::SyncStore;

use super::SyncEngine;

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    /// The transitive members of every group the tenant's settings include or exclude, each
    /// group read once. A group whose listing fails is passed on as incomplete, with a warning.
    pub(super) async fn read_group_memberships(
        &self,
        tenant: &str,
        settings: &SyncSettings,
    ) -> (Vec<GroupMembership>, Vec<Warning>) {
        let filter = &settings.filter;
        let groups: BTreeSet<String> = filter
            .include_group_ids
            .iter()
            .chain(&filter.exclude_group_ids)
            .map(|g| g.trim().to_ascii_lowercase())
            .filter(|g| !g.is_empty())
            .collect();
        let mut memberships = Vec::with_capacity(groups.len());
        let mut warnings = Vec::new();
        for group in groups {
            match self.provider.list_group_members(tenant, &group).await {
                Ok(listing) => memberships.push(listing),
                Err(err) => {
                    warn!(tenant, group = %group, code = err.code(), "group listing failed");
                    warnings.push(Warning::new(
                        "group_listing_failed",
                        format!(
                            "the members of group `{group}` could not be read ({}: {}); its scope is treated as unknown",
                            err.code(),
                            err.message
                        ),
                    ));
                    memberships.push(GroupMembership {
                        group_id: group,
                        member_ids: Vec::new(),
                        status: GroupListingStatus::Incomplete,
                    });
                }
            }
        }
        (memberships, warnings)
    }

    /// The tenant's licence summary from a complete, full user listing and its subscribed SKUs;
    /// `None` (with a warning saying why, unless the provider does not read SKUs at all) when
    /// either is not whole.
    pub(super) async fn read_license_summary(
        &self,
        tenant: &str,
        users: &[EntraUser],
        full_and_complete: bool,
    ) -> (Option<LicenseSummary>, Option<Warning>) {
        let unavailable = |why: String| {
            Some(Warning::new(
                "license_summary_unavailable",
                format!("no licence summary this run: {why}"),
            ))
        };
        if !full_and_complete {
            return (
                None,
                unavailable("the user listing was not a complete, full listing".into()),
            );
        }
        let skus = match self.provider.list_subscribed_skus(tenant).await {
            Ok(skus) => skus,
            Err(err) if err.code == ProviderErrorCode::Unsupported => return (None, None),
            Err(err) => {
                return (
                    None,
                    unavailable(format!(
                        "the subscribed SKUs could not be read ({}: {})",
                        err.code(),
                        err.message
                    )),
                );
            }
        };
        if !skus.complete {
            return (
                None,
                unavailable("the subscribed SKU listing did not finish".into()),
            );
        }
        let input = LicenseInput {
            entra_tenant_id: tenant.to_string(),
            users: users.to_vec(),
            subscribed_skus: skus.skus,
        };
        match summarize_licenses(&input) {
            Ok(summary) => (Some(summary), None),
            Err(err) => (None, unavailable(err.to_string())),
        }
    }
}
