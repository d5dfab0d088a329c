//! Group membership for group-scoped sync: one transitive listing per group and run
//! (`/groups/{id}/transitiveMembers/microsoft.graph.user`, ids only), never one request per user.

use entra_core::filter::{GroupListingStatus, GroupMembership};
use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde::Deserialize;

use super::request::{Caller, GraphClient};

/// A member row: only `id` is selected.
#[derive(Debug, Deserialize)]
pub(crate) struct MemberRow {
    pub id: String,
}

/// Whether `group_id` may go into a URL path: a GUID-like id of hex digits and dashes.
pub(crate) fn check_group_id(group_id: &str) -> Result<&str, ProviderError> {
    let id = group_id.trim();
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        let shown: String = id.chars().take(64).collect();
        return Err(ProviderError::new(
            ProviderErrorCode::Configuration,
            format!("a group id is a directory object id (a GUID), got `{shown}`"),
        ));
    }
    Ok(id)
}

/// The transitive user members of `group_id` in `tenant`. A 404 on the first page is
/// `not_found`; another error on the first page is an error; a later failure is `incomplete`
/// with the ids that arrived.
pub(crate) async fn list_group_members(
    client: &GraphClient,
    page_size: u32,
    tenant: &str,
    group_id: &str,
) -> Result<GroupMembership, ProviderError> {
    let id = check_group_id(group_id)?;
    let top = page_size.clamp(1, 999);
    let first = client.url(&format!(
        "v1.0/groups/{id}/transitiveMembers/microsoft.graph.user?$select=id&$top={top}"
    ))?;
    let paged = client
        .get_all::<MemberRow>(Caller::Customer(tenant), first)
        .await;
    let status = match &paged.error {
        None => GroupListingStatus::Complete,
        Some(err) if paged.pages <= 1 && paged.items.is_empty() => {
            if err.code == ProviderErrorCode::NotFound {
                GroupListingStatus::NotFound
            } else {
                return Err(err.clone());
            }
        }
        Some(err) => {
            tracing::warn!(
                code = err.code(),
                arrived = paged.items.len(),
                "group member listing stopped early"
            );
            GroupListingStatus::Incomplete
        }
    };
    Ok(GroupMembership {
        group_id: id.to_ascii_lowercase(),
        member_ids: paged
            .items
            .into_iter()
            .map(|m| m.id.trim().to_ascii_lowercase())
            .collect(),
        status,
    })
}
