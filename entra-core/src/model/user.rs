use serde::{Deserialize, Serialize};

use super::nullable::or_default;

/// A user of a customer tenant, as every provider normalizes it.
///
/// `accountEnabled` is required: a user whose enabled state is unknown must never be treated as
/// enabled (Graph omits the property unless it is selected).
///
/// The fields the user filter reads (UPN, mail, display name, type, licenses, enabled) are laid
/// out side by side (`repr(C)`, in this order), so classifying a large listing loads two or three
/// cache lines of each record instead of five: over a million users the filter waits on memory
/// more than it computes. The JSON keeps the contract's order (a private view of the record
/// writes its fields in that order).
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[repr(C)]
pub struct EntraUser {
    pub entra_object_id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Graph `mail`: the primary SMTP address, absent when the user has no mailbox.
    #[serde(default, alias = "mail")]
    pub email: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Member`, `Guest`, or absent.
    #[serde(default)]
    pub user_type: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub assigned_license_sku_ids: Vec<String>,
    pub account_enabled: bool,
    #[serde(default, deserialize_with = "or_default")]
    pub entra_tenant_id: String,
    #[serde(default, deserialize_with = "or_default")]
    pub other_mails: Vec<String>,
    /// Graph form: `SMTP:primary@x` for the primary address, `smtp:alias@x` for aliases.
    #[serde(default, deserialize_with = "or_default")]
    pub proxy_addresses: Vec<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub business_phones: Vec<String>,
}

/// An [`EntraUser`] as the contract writes it: its keys in the contract's order (the record's
/// own order serves the filter), under the record's name.
#[derive(Serialize)]
#[serde(rename = "EntraUser", rename_all = "camelCase")]
struct ContractOrder<'a> {
    entra_tenant_id: &'a String,
    entra_object_id: &'a String,
    user_principal_name: &'a Option<String>,
    email: &'a Option<String>,
    other_mails: &'a Vec<String>,
    proxy_addresses: &'a Vec<String>,
    display_name: &'a Option<String>,
    given_name: &'a Option<String>,
    surname: &'a Option<String>,
    account_enabled: bool,
    user_type: &'a Option<String>,
    job_title: &'a Option<String>,
    mobile_phone: &'a Option<String>,
    business_phones: &'a Vec<String>,
    assigned_license_sku_ids: &'a Vec<String>,
}

/// Copies the fields in the contract's order, the order a listing read from JSON allocated its
/// strings in: a copy then reads each user's strings front to back, as the memory's own
/// look-ahead expects (in the record's order a large copy ran about a quarter slower).
impl Clone for EntraUser {
    fn clone(&self) -> Self {
        let entra_tenant_id = self.entra_tenant_id.clone();
        let entra_object_id = self.entra_object_id.clone();
        let user_principal_name = self.user_principal_name.clone();
        let email = self.email.clone();
        let other_mails = self.other_mails.clone();
        let proxy_addresses = self.proxy_addresses.clone();
        let display_name = self.display_name.clone();
        let given_name = self.given_name.clone();
        let surname = self.surname.clone();
        let user_type = self.user_type.clone();
        let job_title = self.job_title.clone();
        let mobile_phone = self.mobile_phone.clone();
        let business_phones = self.business_phones.clone();
        let assigned_license_sku_ids = self.assigned_license_sku_ids.clone();
        Self {
            entra_object_id,
            user_principal_name,
            email,
            display_name,
            user_type,
            assigned_license_sku_ids,
            account_enabled: self.account_enabled,
            entra_tenant_id,
            other_mails,
            proxy_addresses,
            given_name,
            surname,
            job_title,
            mobile_phone,
            business_phones,
        }
    }
}

impl Serialize for EntraUser {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ContractOrder {
            entra_tenant_id: &self.entra_tenant_id,
            entra_object_id: &self.entra_object_id,
            user_principal_name: &self.user_principal_name,
            email: &self.email,
            other_mails: &self.other_mails,
            proxy_addresses: &self.proxy_addresses,
            display_name: &self.display_name,
            given_name: &self.given_name,
            surname: &self.surname,
            account_enabled: self.account_enabled,
            user_type: &self.user_type,
            job_title: &self.job_title,
            mobile_phone: &self.mobile_phone,
            business_phones: &self.business_phones,
            assigned_license_sku_ids: &self.assigned_license_sku_ids,
        }
        .serialize(serializer)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON keeps the contract's key order whatever the record's layout (the text written is
    /// the contract-ordered text read), and a copy equals its original field by field (every
    /// field distinct, so a crossed field shows).
    #[test]
    fn json_keeps_the_contract_order_and_a_copy_every_field() {
        let text = r#"{"entraTenantId":"t","entraObjectId":"o","userPrincipalName":"u",
            "email":"e","otherMails":["om"],"proxyAddresses":["p"],"displayName":"d",
            "givenName":"g","surname":"s","accountEnabled":false,"userType":"ty",
            "jobTitle":"j","mobilePhone":"m","businessPhones":["b"],
            "assignedLicenseSkuIds":["l"]}"#;
        let user: EntraUser = serde_json::from_str(text).unwrap();
        let compact: String = text.split_whitespace().collect();
        assert_eq!(serde_json::to_string(&user).unwrap(), compact);
        let copy = user.clone();
        assert_eq!(copy, user);
        assert_eq!(serde_json::to_string(&copy).unwrap(), compact);
        assert_eq!(serde_json::from_str::<EntraUser>(&compact).unwrap(), copy);
    }

    /// Of two missing required keys, the object id is named first, as the contract lists it.
    #[test]
    fn a_missing_identity_is_reported_before_a_missing_enabled_state() {
        let err = serde_json::from_str::<EntraUser>("{}").unwrap_err();
        assert!(err.to_string().contains("entraObjectId"), "{err}");
        let err = serde_json::from_str::<EntraUser>(r#"{"entraObjectId":"o"}"#).unwrap_err();
        assert!(err.to_string().contains("accountEnabled"), "{err}");
    }
}
