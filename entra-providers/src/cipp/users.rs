//! Reading one page of CIPP's `GET /api/ListGraphRequest?Endpoint=users…` answer.
//!
//! With `manualPagination=true` CIPP returns one Graph page as `{"Results":[…],"Metadata":{…}}`,
//! and `Metadata.nextLink` (absent on the last page) is the Graph link to pass back for the next
//! one. Rows are Graph v1.0 user objects plus CIPP's `Tenant` and `CippStatus`, which are ignored.

use entra_core::model::EntraUser;
use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde::Deserialize;
use serde_json::Value;

use crate::user_rows::SkippedUserRow;

/// The Graph properties every listing selects: everything the canonical user needs
/// (`accountEnabled` is never returned unless selected).
pub const USER_SELECT: &str = "id,userPrincipalName,mail,otherMails,proxyAddresses,displayName,\
givenName,surname,accountEnabled,userType,jobTitle,mobilePhone,businessPhones,department,\
companyName,onPremisesSyncEnabled,assignedLicenses,createdDateTime";

/// One page of users and the link to the next page, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    pub users: Vec<EntraUser>,
    /// `Metadata.nextLink`: a Graph URL to pass back verbatim as the `nextLink` parameter.
    pub next_link: Option<String>,
    /// Rows that did not fit (e.g. without `accountEnabled`), left out of `users`; a listing
    /// with any is incomplete.
    pub skipped: Vec<SkippedUserRow>,
}

#[derive(Deserialize)]
struct PageBody {
    /// Each row is read on its own, so one that does not fit is left out, not fatal.
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
    #[serde(rename = "QueueMessage", default)]
    queue_message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRow {
    id: String,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    other_mails: Option<Vec<String>>,
    #[serde(default)]
    proxy_addresses: Option<Vec<String>>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    surname: Option<String>,
    /// Required: a user whose enabled state is unknown must never be taken as enabled.
    account_enabled: bool,
    #[serde(default)]
    user_type: Option<String>,
    #[serde(default)]
    job_title: Option<String>,
    #[serde(default)]
    mobile_phone: Option<String>,
    #[serde(default)]
    business_phones: Option<Vec<String>>,
    #[serde(default)]
    assigned_licenses: Option<Vec<AssignedLicense>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignedLicense {
    #[serde(default)]
    sku_id: Option<String>,
}

/// Parses one ListGraphRequest answer for `tenant_id`. A queued answer (CIPP deferring a large
/// request to a background job) carries no users and is an error, never an empty page. A row
/// that does not fit is left out and reported in [`UserPage::skipped`] naming
/// `Results[i].field`; a `null` row (a PowerShell empty slot) carries no user and is dropped.
pub fn parse_user_page(answer: &Value, tenant_id: &str) -> Result<UserPage, ProviderError> {
    let body: PageBody = entra_core::json::from_value(answer).map_err(|e| {
        ProviderError::new(
            ProviderErrorCode::UnexpectedResponse,
            format!("CIPP's ListGraphRequest answer changed shape: {e}"),
        )
    })?;
    if let Some(meta) = &body.metadata
        && meta.queued == Some(true)
    {
        let detail = meta
            .queue_message
            .as_deref()
            .map(crate::http::scrub)
            .unwrap_or_default();
        return Err(ProviderError::new(
            ProviderErrorCode::UnexpectedResponse,
            format!("CIPP queued the user listing instead of answering it {detail}")
                .trim_end()
                .to_string(),
        ));
    }
    let next_link = body
        .metadata
        .and_then(|m| m.next_link)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    let mut users = Vec::with_capacity(body.results.len());
    let mut skipped = Vec::new();
    for (index, row) in body.results.iter().enumerate() {
        if row.is_null() {
            continue;
        }
        match read_row(row, index) {
            Ok(parsed) => users.push(user_from_row(parsed, tenant_id)),
            Err(err) => skipped.push(SkippedUserRow::from_error(row, index, &err)),
        }
    }
    Ok(UserPage {
        users,
        next_link,
        skipped,
    })
}

/// Reads one row; a row that does not fit is an `unexpected_response` naming
/// `Results[index].field` (never a value).
fn read_row(row: &Value, index: usize) -> Result<UserRow, ProviderError> {
    serde_path_to_error::deserialize::<_, UserRow>(row).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        let (field, detail) = match inner.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                let field = if path == "." || path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                };
                (field, "missing".to_string())
            }
            None => (path, inner),
        };
        let at = if field == "." || field.is_empty() {
            format!("Results[{index}]")
        } else {
            format!("Results[{index}].{field}")
        };
        let detail = detail.split(" at line ").next().unwrap_or_default();
        ProviderError::new(
            ProviderErrorCode::UnexpectedResponse,
            format!("a CIPP user row does not fit at `{at}`: {detail}"),
        )
    })
}

fn user_from_row(row: UserRow, tenant_id: &str) -> EntraUser {
    let mut user = EntraUser::new(tenant_id, row.id);
    user.user_principal_name = row.user_principal_name;
    user.email = row.mail;
    user.other_mails = row.other_mails.unwrap_or_default();
    user.proxy_addresses = row.proxy_addresses.unwrap_or_default();
    user.display_name = row.display_name;
    user.given_name = row.given_name;
    user.surname = row.surname;
    user.account_enabled = row.account_enabled;
    user.user_type = row.user_type;
    user.job_title = row.job_title;
    user.mobile_phone = row.mobile_phone;
    user.business_phones = row.business_phones.unwrap_or_default();
    user.assigned_license_sku_ids = row
        .assigned_licenses
        .unwrap_or_default()
        .into_iter()
        .filter_map(|l| l.sku_id)
        .collect();
    user
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TENANT: &str = "52eaad04-13a2-4a2f-9ce8-93a294fadf36";

    #[test]
    fn a_documented_page_maps_to_users_and_a_next_link() {
        let answer = json!({
            "Results": [{
                "id": "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e",
                "userPrincipalName": "AdeleV@contoso.com",
                "mail": "AdeleV@contoso.com",
                "otherMails": ["adele@gmail.com"],
                "proxyAddresses": ["SMTP:AdeleV@contoso.com", "smtp:adele@contoso.onmicrosoft.com"],
                "accountEnabled": true,
                "userType": "Member",
                "displayName": "Adele Vance",
                "givenName": "Adele",
                "surname": "Vance",
                "businessPhones": ["+1 425 555 0109"],
                "mobilePhone": null,
                "assignedLicenses": [{"disabledPlans": [], "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
                "Tenant": "contoso.onmicrosoft.com",
                "CippStatus": "Good"
            }],
            "Metadata": {
                "Endpoint": "users",
                "TenantFilter": TENANT,
                "Version": "v1.0",
                "ManualPagination": true,
                "nextLink": "https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAD8"
            }
        });
        let page = parse_user_page(&answer, TENANT).unwrap();
        assert_eq!(
            page.next_link.as_deref(),
            Some("https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAD8")
        );
        let u = &page.users[0];
        assert_eq!(u.entra_tenant_id, TENANT);
        assert_eq!(u.entra_object_id, "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e");
        assert_eq!(u.email.as_deref(), Some("AdeleV@contoso.com"));
        assert_eq!(u.other_mails, vec!["adele@gmail.com"]);
        assert_eq!(u.proxy_addresses.len(), 2);
        assert!(u.account_enabled);
        assert_eq!(u.user_type.as_deref(), Some("Member"));
        assert_eq!(u.given_name.as_deref(), Some("Adele"));
        assert_eq!(u.business_phones, vec!["+1 425 555 0109"]);
        assert_eq!(u.mobile_phone, None);
        assert_eq!(
            u.assigned_license_sku_ids,
            vec!["c7df2760-2c81-4ef7-b578-5b5392b571df"]
        );
    }

    #[test]
    fn the_last_page_has_no_next_link() {
        let answer = json!({"Results": [{"id": "u1", "accountEnabled": false}], "Metadata": {"Endpoint": "users"}});
        let page = parse_user_page(&answer, TENANT).unwrap();
        assert_eq!(page.next_link, None);
        assert!(!page.users[0].account_enabled);
        let answer = json!({"Results": [], "Metadata": {"nextLink": null}});
        assert_eq!(parse_user_page(&answer, TENANT).unwrap().next_link, None);
    }

    #[test]
    fn a_row_without_account_enabled_is_left_out_naming_the_field() {
        let answer = json!({"Results": [{"id": "u1", "accountEnabled": true}, {"id": "u2", "displayName": "X"}]});
        let page = parse_user_page(&answer, TENANT).unwrap();
        assert_eq!(page.users.len(), 1);
        assert_eq!(page.users[0].entra_object_id, "u1");
        assert_eq!(page.skipped.len(), 1);
        let row = &page.skipped[0];
        assert_eq!(row.object_id.as_deref(), Some("u2"));
        assert_eq!(row.index, 1);
        assert!(
            row.reason.contains("Results[1].accountEnabled"),
            "{}",
            row.reason
        );
    }

    #[test]
    fn null_rows_are_skipped_and_null_lists_are_empty() {
        let answer = json!({"Results": [null, {"id": "u1", "accountEnabled": true,
            "otherMails": null, "proxyAddresses": null, "businessPhones": null,
            "assignedLicenses": null, "mail": null}, null], "Metadata": {"Endpoint": "users"}});
        let page = parse_user_page(&answer, TENANT).unwrap();
        assert_eq!(page.users.len(), 1);
        let u = &page.users[0];
        assert_eq!(u.entra_object_id, "u1");
        assert!(u.other_mails.is_empty() && u.proxy_addresses.is_empty());
        assert!(u.business_phones.is_empty() && u.assigned_license_sku_ids.is_empty());
        assert_eq!(u.email, None);
    }

    #[test]
    fn a_null_account_enabled_is_refused() {
        let answer = json!({"Results": [{"id": "u1", "accountEnabled": null}, "not a row"]});
        let page = parse_user_page(&answer, TENANT).unwrap();
        assert!(page.users.is_empty());
        assert_eq!(page.skipped.len(), 2);
        assert!(
            page.skipped[0].reason.contains("Results[0].accountEnabled"),
            "{}",
            page.skipped[0].reason
        );
        assert_eq!(page.skipped[1].object_id, None);
        assert!(
            page.skipped[1].reason.contains("`Results[1]`"),
            "{}",
            page.skipped[1].reason
        );
    }

    #[test]
    fn a_queued_answer_is_an_error() {
        let answer = json!({"Results": [], "Metadata": {"Queued": true, "QueueMessage": "Loading data for all tenants", "QueueId": "x"}});
        let err = parse_user_page(&answer, TENANT).unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        assert!(err.message.contains("queued"));
    }

    #[test]
    fn a_bare_array_is_an_unexpected_shape() {
        let err =
            parse_user_page(&json!([{"id": "u1", "accountEnabled": true}]), TENANT).unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
    }
}
