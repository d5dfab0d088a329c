//! The Graph payload shapes the direct provider reads.

use serde::Deserialize;
use serde_json::Value;

/// One page of a Graph collection.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
}

/// `delegatedAdminCustomer`. Its `id` is the customer's tenant id too, so a row without
/// `tenantId` still names its tenant.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdminCustomer {
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl AdminCustomer {
    /// The customer's tenant id, lower-cased; `None` when the row names none.
    pub fn tenant(&self) -> Option<String> {
        [&self.tenant_id, &self.id]
            .into_iter()
            .flatten()
            .map(|t| t.trim().to_ascii_lowercase())
            .find(|t| !t.is_empty())
    }
}

/// `delegatedAdminRelationship` (the fields discovery uses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdminRelationship {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub customer: Option<RelationshipCustomer>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RelationshipCustomer {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// Lighthouse `managedTenants.tenant`; the domain is under `contract`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LighthouseTenant {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub contract: Option<LighthouseContract>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LighthouseContract {
    #[serde(default)]
    pub default_domain_name: Option<String>,
    /// The customer's name as the contract recorded it; a fallback when the tenant row has none.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `contract` (legacy DAP): the customer as the partnership recorded it when it began.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DapContract {
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub default_domain_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `tenantInformation`, the answer of `findTenantInformationByTenantId` (partner side).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TenantInformation {
    #[serde(default)]
    pub default_domain_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `domain`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Domain {
    pub id: String,
    #[serde(default)]
    pub is_default: Option<bool>,
    #[serde(default)]
    pub is_verified: Option<bool>,
}

/// `user`, as selected by [`USER_SELECT`]. `accountEnabled` is required: a user whose state is
/// unknown must never count as enabled.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphUser {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub other_mails: Option<Vec<String>>,
    #[serde(default)]
    pub proxy_addresses: Option<Vec<String>>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    pub account_enabled: bool,
    #[serde(default)]
    pub user_type: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub business_phones: Option<Vec<String>>,
    #[serde(default)]
    pub assigned_licenses: Option<Vec<AssignedLicense>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssignedLicense {
    #[serde(default)]
    pub sku_id: Option<String>,
}

/// Every user property the contract needs (Graph returns only 11 without `$select`, and never
/// `accountEnabled`).
pub(crate) const USER_SELECT: &str = "id,userPrincipalName,mail,otherMails,proxyAddresses,displayName,givenName,surname,accountEnabled,userType,jobTitle,mobilePhone,businessPhones,department,companyName,onPremisesSyncEnabled,assignedLicenses,createdDateTime";

/// A delta row is either a user or `{"id", "@removed": {"reason"}}`.
pub(crate) fn removed_reason(row: &Value) -> Option<&str> {
    let removed = row.get("@removed")?;
    Some(removed.get("reason").and_then(Value::as_str).unwrap_or(""))
}
