use entra_core::model::EntraUser;
use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde_json::Value;

use super::wire::{GraphUser, Page};
use crate::http::parse_json;
use crate::user_rows::SkippedUserRow;

/// Turns one Graph user row into the canonical record; `entraTenantId` is the tenant the
/// listing was read from. A row that does not fit (e.g. without `accountEnabled`) is an
/// `unexpected_response` error naming `value[index].field`.
pub(crate) fn user_from_row(
    tenant: &str,
    row: &Value,
    index: usize,
) -> Result<EntraUser, ProviderError> {
    user_at(tenant, row, &format!("value[{index}]"))
}

/// Turns one Graph user object (as `/v1.0/users` with every contract property selected returns
/// it) into the canonical record, for hosts that read Graph themselves (webhooks, batches).
/// A user without `accountEnabled` is an `unexpected_response` error naming the field.
pub fn user_from_graph(tenant: &str, user: &Value) -> Result<EntraUser, ProviderError> {
    user_at(tenant, user, "")
}

fn user_at(tenant: &str, row: &Value, at: &str) -> Result<EntraUser, ProviderError> {
    let user: GraphUser = serde_path_to_error::deserialize(row).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        let field = match inner.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                if path == "." || path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            }
            None => path,
        };
        let field = match (at.is_empty(), field == "." || field.is_empty()) {
            (true, true) => "user".to_string(),
            (true, false) => field,
            (false, true) => at.to_string(),
            (false, false) => format!("{at}.{field}"),
        };
        ProviderError::new(
            ProviderErrorCode::UnexpectedResponse,
            format!(
                "a Graph user row does not fit at `{field}`: {}",
                short(&inner)
            ),
        )
    })?;
    Ok(to_entra_user(tenant, user))
}

/// One page of `/v1.0/users`, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersPage {
    pub users: Vec<EntraUser>,
    /// `@odata.nextLink`, unchecked: pass it through the paging guard before following it.
    pub next_link: Option<String>,
    /// Rows that did not fit (e.g. without `accountEnabled`), left out of `users`. A listing
    /// with any is incomplete: the users they stand for must not count as absent.
    pub skipped: Vec<SkippedUserRow>,
}

/// Parses a `/v1.0/users` page body straight into canonical users (no intermediate JSON tree
/// when every row fits). A row that does not fit is left out and reported in
/// [`UsersPage::skipped`] with its `id` and the field (`value[i].field`); only a page that is
/// not JSON or has no `value` array is an `unexpected_response` error.
pub fn parse_users_page(tenant: &str, body: &str) -> Result<UsersPage, ProviderError> {
    let page: Page<GraphUser> = match parse_json(body) {
        Ok(page) => page,
        Err(first) => return parse_row_by_row(tenant, body, first),
    };
    Ok(UsersPage {
        users: page
            .value
            .into_iter()
            .map(|u| to_entra_user(tenant, u))
            .collect(),
        next_link: page.next_link,
        skipped: Vec::new(),
    })
}

/// The slow path of [`parse_users_page`]: the page as a JSON tree, each row on its own.
fn parse_row_by_row(
    tenant: &str,
    body: &str,
    page_error: ProviderError,
) -> Result<UsersPage, ProviderError> {
    let page: Page<Value> = parse_json(body).map_err(|_| page_error)?;
    let mut users = Vec::with_capacity(page.value.len());
    let mut skipped = Vec::new();
    for (index, row) in page.value.iter().enumerate() {
        match user_from_row(tenant, row, index) {
            Ok(user) => users.push(user),
            Err(err) => skipped.push(SkippedUserRow::from_error(row, index, &err)),
        }
    }
    Ok(UsersPage {
        users,
        next_link: page.next_link,
        skipped,
    })
}

fn to_entra_user(tenant: &str, user: GraphUser) -> EntraUser {
    EntraUser {
        entra_tenant_id: tenant.to_string(),
        entra_object_id: user.id,
        user_principal_name: user.user_principal_name,
        email: user.mail,
        other_mails: user.other_mails.unwrap_or_default(),
        proxy_addresses: user.proxy_addresses.unwrap_or_default(),
        display_name: user.display_name,
        given_name: user.given_name,
        surname: user.surname,
        account_enabled: user.account_enabled,
        user_type: user.user_type,
        job_title: user.job_title,
        mobile_phone: user.mobile_phone,
        business_phones: user.business_phones.unwrap_or_default(),
        assigned_license_sku_ids: user
            .assigned_licenses
            .unwrap_or_default()
            .into_iter()
            .filter_map(|l| l.sku_id)
            .collect(),
    }
}

fn short(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn graph_fields_map_onto_the_contract() {
        let row = json!({"id": "u1", "userPrincipalName": "adele@contoso.com", "mail": "Adele@contoso.com",
            "otherMails": null, "proxyAddresses": ["SMTP:Adele@contoso.com"], "accountEnabled": false,
            "userType": "Member", "businessPhones": [],
            "assignedLicenses": [{"disabledPlans": [], "skuId": "sku-1"}]});
        let user = user_from_row("t1", &row, 0).unwrap();
        assert_eq!(user.entra_tenant_id, "t1");
        assert_eq!(user.email.as_deref(), Some("Adele@contoso.com"));
        assert!(!user.account_enabled);
        assert_eq!(user.assigned_license_sku_ids, vec!["sku-1"]);
        assert!(user.other_mails.is_empty());
    }

    #[test]
    fn a_row_without_account_enabled_is_refused_by_name() {
        let err = user_from_graph("t1", &json!({"id": "u1"})).unwrap_err();
        assert!(err.message.contains("`accountEnabled`"), "{}", err.message);
        let err = user_from_row("t1", &json!({"id": "u1"}), 7).unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        assert!(
            err.message.contains("value[7].accountEnabled"),
            "{}",
            err.message
        );
        let err =
            user_from_row("t1", &json!({"id": "u1", "accountEnabled": "yes"}), 2).unwrap_err();
        assert!(
            err.message.contains("value[2].accountEnabled"),
            "{}",
            err.message
        );
    }
}
