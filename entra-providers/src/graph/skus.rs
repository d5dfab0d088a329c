//! A tenant's subscribed SKUs (`/v1.0/subscribedSkus`), for the licence summary, with the users'
//! paging, throttling and error rules: an error on the first page is an error, a later one keeps
//! what arrived as incomplete.

use entra_core::model::SubscribedSku;
use entra_core::provider::{ProviderError, SkuListing};

use super::request::{Caller, GraphClient};

/// The properties the summary reads.
pub(crate) const SKU_SELECT: &str = "skuId,skuPartNumber,prepaidUnits,consumedUnits";

pub(crate) async fn list_subscribed_skus(
    client: &GraphClient,
    tenant: &str,
) -> Result<SkuListing, ProviderError> {
    let first = client.url(&format!("v1.0/subscribedSkus?$select={SKU_SELECT}"))?;
    let paged = client
        .get_all::<SubscribedSku>(Caller::Customer(tenant), first)
        .await;
    match paged.error {
        Some(err) if paged.pages <= 1 && paged.items.is_empty() => Err(err),
        error => Ok(SkuListing {
            complete: error.is_none(),
            skus: paged.items,
            error,
        }),
    }
}
