//! A user object rendered as Graph renders it: only the selected properties, or the default set of
//! the API version when nothing is selected (v1.0 returns just eleven).

use serde_json::{Map, Value, json};

use super::estate::SandboxUser;

/// The properties v1.0 returns without `$select`.
pub const V1_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// Every property the sandbox knows; beta returns all of them without `$select`.
pub const ALL: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "otherMails",
    "proxyAddresses",
    "displayName",
    "givenName",
    "surname",
    "accountEnabled",
    "userType",
    "jobTitle",
    "mobilePhone",
    "businessPhones",
    "department",
    "companyName",
    "officeLocation",
    "preferredLanguage",
    "onPremisesSyncEnabled",
    "assignedLicenses",
    "createdDateTime",
    "creationType",
    "externalUserState",
    "identityParentId",
    "employeeId",
    "city",
    "country",
    "usageLocation",
];

/// Properties that exist but cannot be selected on the collection (Graph answers 501).
pub const NOT_ON_COLLECTION: &[&str] = &["mailboxSettings", "aboutMe", "skills", "interests"];

/// What is wrong with a `$select`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// Graph: 400 `BadRequest` "Could not find a property named 'x' on type 'microsoft.graph.user'."
    Unknown(String),
    /// Graph: 501 `NotImplemented`.
    NotOnCollection(String),
}

impl SelectError {
    pub fn message(&self) -> String {
        match self {
            Self::Unknown(p) => {
                format!("Could not find a property named '{p}' on type 'microsoft.graph.user'.")
            }
            Self::NotOnCollection(_) => "This operation target is not yet supported.".into(),
        }
    }
}

/// The canonical names of a `$select` list (case-insensitive, as Graph reads it; dotted
/// sub-properties cut to their root, duplicates dropped).
pub fn parse_select(raw: &str) -> Result<Vec<&'static str>, SelectError> {
    let mut out: Vec<&'static str> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let root = item.split(['.', '/']).next().unwrap_or(item);
        if let Some(p) = NOT_ON_COLLECTION
            .iter()
            .find(|p| p.eq_ignore_ascii_case(root))
        {
            return Err(SelectError::NotOnCollection((*p).to_string()));
        }
        let Some(name) = ALL.iter().find(|p| p.eq_ignore_ascii_case(root)) else {
            return Err(SelectError::Unknown(root.to_string()));
        };
        if !out.contains(name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// One property's value.
pub fn property(user: &SandboxUser, name: &str) -> Value {
    match name {
        "id" => json!(user.id),
        "userPrincipalName" => json!(user.user_principal_name),
        "mail" => json!(user.mail),
        "otherMails" => json!(user.other_mails),
        "proxyAddresses" => json!(user.proxy_addresses),
        "displayName" => json!(user.display_name),
        "givenName" => json!(user.given_name),
        "surname" => json!(user.surname),
        "accountEnabled" => json!(user.account_enabled),
        "userType" => json!(user.user_type),
        "jobTitle" => json!(user.job_title),
        "mobilePhone" => json!(user.mobile_phone),
        "businessPhones" => json!(user.business_phones),
        "department" => json!(user.department),
        "companyName" => json!(user.company_name),
        "officeLocation" => json!(user.office_location),
        "preferredLanguage" => json!(user.preferred_language),
        "onPremisesSyncEnabled" => json!(user.on_premises_sync_enabled),
        "assignedLicenses" => Value::Array(
            user.assigned_licenses
                .iter()
                .map(|sku| json!({"disabledPlans": [], "skuId": sku}))
                .collect(),
        ),
        "createdDateTime" => json!(user.created_date_time),
        "creationType" => json!(user.creation_type),
        "externalUserState" => json!(user.external_user_state),
        "usageLocation" => json!(user.mail.as_ref().map(|_| "US")),
        _ => Value::Null,
    }
}

/// The user with the given properties, in the given order.
pub fn render(user: &SandboxUser, props: &[&str]) -> Map<String, Value> {
    props
        .iter()
        .map(|p| ((*p).to_string(), property(user, p)))
        .collect()
}

/// The property list a request gets: its `$select`, or the version's default set.
pub fn effective<'a>(select: &'a [&'static str], beta: bool) -> &'a [&'static str] {
    if !select.is_empty() {
        select
    } else if beta {
        ALL
    } else {
        V1_DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_is_case_insensitive_deduplicated_and_checked() {
        assert_eq!(
            parse_select("ID,mail,assignedLicenses/skuId,mail"),
            Ok(vec!["id", "mail", "assignedLicenses"])
        );
        assert_eq!(
            parse_select("id,foo"),
            Err(SelectError::Unknown("foo".into()))
        );
        assert_eq!(
            parse_select("mailboxSettings"),
            Err(SelectError::NotOnCollection("mailboxSettings".into()))
        );
    }
}
