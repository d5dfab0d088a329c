use serde::{Deserialize, Serialize};

use super::nullable::or_default;

/// A user of a customer tenant, as every provider normalizes it.
///
/// `accountEnabled` is required: a user whose enabled state is unknown must never be treated as
/// enabled (Graph omits the property unless it is selected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntraUser {
    #[serde(default, deserialize_with = "or_default")]
    pub entra_tenant_id: String,
    pub entra_object_id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Graph `mail`: the primary SMTP address, absent when the user has no mailbox.
    #[serde(default, alias = "mail")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub other_mails: Vec<String>,
    /// Graph form: `SMTP:primary@x` for the primary address, `smtp:alias@x` for aliases.
    #[serde(default, deserialize_with = "or_default")]
    pub proxy_addresses: Vec<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    pub account_enabled: bool,
    /// `Member`, `Guest`, or absent.
    #[serde(default)]
    pub user_type: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub business_phones: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub assigned_license_sku_ids: Vec<String>,
}

impl EntraUser {
    /// A minimal enabled member with only an identity; handy for hosts building records by hand.
    pub fn new(entra_tenant_id: impl Into<String>, entra_object_id: impl Into<String>) -> Self {
        Self {
            entra_tenant_id: entra_tenant_id.into(),
            entra_object_id: entra_object_id.into(),
            user_principal_name: None,
            email: None,
            other_mails: Vec::new(),
            proxy_addresses: Vec::new(),
            display_name: None,
            given_name: None,
            surname: None,
            account_enabled: true,
            user_type: None,
            job_title: None,
            mobile_phone: None,
            business_phones: Vec::new(),
            assigned_license_sku_ids: Vec::new(),
        }
    }
}
