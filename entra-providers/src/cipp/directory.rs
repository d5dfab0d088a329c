//! Group members and subscribed SKUs through CIPP's `ListGraphRequest`, with the users' paging
//! (`manualPagination`, `Metadata.nextLink` passed back verbatim), deadline and error rules.

use std::collections::HashSet;

use entra_core::filter::{GroupListingStatus, GroupMembership};
use entra_core::model::SubscribedSku;
use entra_core::provider::{ProviderError, ProviderErrorCode, SkuListing};
use serde::Deserialize;
use serde_json::Value;

use super::client::{CippApi, invalid_argument};
use crate::http::{ListingDeadline, PageGuard, check_next_link};

#[derive(Deserialize)]
struct PageBody {
    #[serde(rename = "Results")]
    results: Vec<Value>,
    #[serde(rename = "Metadata", default)]
    metadata: Option<PageMetadata>,
}

#[derive(Deserialize)]
struct PageMetadata {
    #[serde(rename = "nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "Queued", default)]
    queued: Option<bool>,
}

/// Every row that arrived, and why the rest did not; `pages` counts the pages read.
struct Rows {
    rows: Vec<Value>,
    error: Option<ProviderError>,
    pages: usize,
}

fn check_tenant(tenant: &str) -> Result<&str, ProviderError> {
    let tenant = tenant.trim();
    if tenant.is_empty() || tenant.eq_ignore_ascii_case("AllTenants") {
        return Err(invalid_argument(
            "a customer tenant id is required (not `AllTenants`)",
        ));
    }
    crate::tenant_id::check_tenant_id(tenant, "tenant id")
        .map_err(|e| invalid_argument(e.message))?;
    Ok(tenant)
}

async fn page(
    api: &CippApi,
    tenant: &str,
    endpoint: &str,
    select: &str,
    next_link: Option<&str>,
) -> Result<(Vec<Value>, Option<String>), ProviderError> {
    let top = api.config().page_size.to_string();
    let mut query: Vec<(&str, &str)> = vec![
        ("Endpoint", endpoint),
        ("tenantFilter", tenant),
        ("$select", select),
        ("$top", top.as_str()),
        ("manualPagination", "true"),
        ("Version", "v1.0"),
    ];
    if let Some(link) = next_link {
        let origin = api.config().graph_origin()?;
        check_next_link(&origin, link, &mut HashSet::new(), 0, 1)?;
        query.push(("nextLink", link));
    }
    let answer = api.get_json("ListGraphRequest", &query).await?;
    let body: PageBody = entra_core::json::from_value(&answer).map_err(|e| {
        ProviderError::new(
            ProviderErrorCode::UnexpectedResponse,
            format!("CIPP's ListGraphRequest answer for `{endpoint}` changed shape: {e}"),
        )
    })?;
    if body.metadata.as_ref().and_then(|m| m.queued) == Some(true) {
        return Err(ProviderError::new(
            ProviderErrorCode::UnexpectedResponse,
            format!("CIPP queued `{endpoint}` instead of answering it"),
        ));
    }
    let next = body
        .metadata
        .and_then(|m| m.next_link)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    Ok((body.results, next))
}

/// Reads every page of `endpoint` under the paging guard and the listing deadline.
async fn all_rows(api: &CippApi, tenant: &str, endpoint: &str, select: &str) -> Rows {
    let config = api.config();
    let mut guard = match config.graph_origin() {
        Ok(origin) => PageGuard::for_origin(&origin, config.policy.max_pages),
        Err(error) => {
            return Rows {
                rows: Vec::new(),
                error: Some(error),
                pages: 0,
            };
        }
    };
    let deadline = ListingDeadline::start(&config.policy);
    let mut rows = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0usize;
    loop {
        match deadline
            .run(page(api, tenant, endpoint, select, next.as_deref()))
            .await
        {
            Ok((page_rows, link)) => {
                pages += 1;
                rows.extend(page_rows);
                let Some(link) = link else {
                    return Rows {
                        rows,
                        error: None,
                        pages,
                    };
                };
                if let Err(error) = guard.next(&link) {
                    return Rows {
                        rows,
                        error: Some(error),
                        pages,
                    };
                }
                next = Some(link);
            }
            Err(error) => {
                return Rows {
                    rows,
                    error: Some(error),
                    pages,
                };
            }
        }
    }
}

/// The transitive user members of a group: `not_found` for a group CIPP's Graph call says does
/// not exist, `incomplete` when a later page fails, an error when the first page fails.
pub(crate) async fn list_group_members(
    api: &CippApi,
    tenant: &str,
    group_id: &str,
) -> Result<GroupMembership, ProviderError> {
    let tenant = check_tenant(tenant)?;
    let id = crate::graph::check_group_id(group_id)?;
    let endpoint = format!("groups/{id}/transitiveMembers/microsoft.graph.user");
    let read = all_rows(api, tenant, &endpoint, "id").await;
    let status = match &read.error {
        None => GroupListingStatus::Complete,
        Some(error) if read.pages == 0 => {
            if error.code == ProviderErrorCode::NotFound {
                GroupListingStatus::NotFound
            } else {
                return Err(error.clone());
            }
        }
        Some(error) => {
            tracing::warn!(
                code = error.code(),
                arrived = read.rows.len(),
                "CIPP group member listing stopped half-way"
            );
            GroupListingStatus::Incomplete
        }
    };
    let member_ids = read
        .rows
        .iter()
        .filter_map(|row| row.get("id").and_then(Value::as_str))
        .map(|id| id.trim().to_ascii_lowercase())
        .collect();
    Ok(GroupMembership {
        group_id: id.to_ascii_lowercase(),
        member_ids,
        status,
    })
}

/// The tenant's subscribed SKUs; a row that does not fit makes the listing incomplete.
pub(crate) async fn list_subscribed_skus(
    api: &CippApi,
    tenant: &str,
) -> Result<SkuListing, ProviderError> {
    let tenant = check_tenant(tenant)?;
    let read = all_rows(api, tenant, "subscribedSkus", crate::graph::SKU_SELECT).await;
    let mut error = read.error;
    if read.pages == 0
        && let Some(error) = error
    {
        return Err(error);
    }
    let mut skus = Vec::with_capacity(read.rows.len());
    for (i, row) in read.rows.iter().enumerate() {
        match entra_core::json::from_value::<SubscribedSku>(row) {
            Ok(sku) => skus.push(sku),
            Err(e) => {
                error.get_or_insert_with(|| {
                    ProviderError::new(
                        ProviderErrorCode::UnexpectedResponse,
                        format!("subscribed SKU row {i} could not be read: {e}"),
                    )
                });
            }
        }
    }
    Ok(SkuListing {
        complete: error.is_none(),
        skus,
        error,
    })
}
