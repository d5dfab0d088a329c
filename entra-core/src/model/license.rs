use serde::{Deserialize, Serialize};

use super::nullable::or_default;

/// One of a tenant's subscribed SKUs, as Graph `GET /subscribedSkus` returns it (CIPP passes the
/// same objects through `ListGraphRequest`). Only the fields the licence summary reads are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    /// The SKU's GUID, the value users carry in `assignedLicenses[].skuId`.
    pub sku_id: String,
    /// The stable product code, e.g. `SPB` or `ENTERPRISEPACK`.
    #[serde(default)]
    pub sku_part_number: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub prepaid_units: PrepaidUnits,
    /// Licences assigned in the tenant, as Graph counts them.
    #[serde(default, deserialize_with = "or_default")]
    pub consumed_units: u64,
}

/// Graph `licenseUnitsDetail`: `enabled` is what the tenant paid for and may assign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrepaidUnits {
    #[serde(deserialize_with = "or_default")]
    pub enabled: u64,
    #[serde(deserialize_with = "or_default")]
    pub suspended: u64,
    #[serde(deserialize_with = "or_default")]
    pub warning: u64,
    #[serde(deserialize_with = "or_default")]
    pub locked_out: u64,
}
