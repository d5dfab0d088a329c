use entra_core::model::EntraUser;
use entra_core::provider::{ProviderError, UserListing};

use super::config::GraphOptions;
use super::normalize::parse_users_page;
use super::request::{Caller, GraphClient};
use super::wire::USER_SELECT;
use crate::http::PageGuard;

/// Every user of one customer tenant, read with that tenant's token. A failure on the first
/// page is an error; a failure after it yields what arrived with `complete: false`, so nobody
/// is inactivated for being absent from a listing that broke off.
pub(crate) async fn list_users(
    client: &GraphClient,
    options: &GraphOptions,
    tenant: &str,
) -> Result<UserListing, ProviderError> {
    let top = options.users_page_size.clamp(1, 999);
    let first = client.url(&format!("v1.0/users?$select={USER_SELECT}&$top={top}"))?;
    let mut guard = PageGuard::new(&first, client.http.policy().max_pages);
    let mut users: Vec<EntraUser> = Vec::new();
    let mut url = first;
    let mut page_number = 0usize;
    loop {
        let page = match client.get(Caller::Customer(tenant), &url).await {
            Ok(body) => parse_users_page(tenant, &body),
            Err(err) => Err(err),
        };
        let next = match page {
            Ok(page) => {
                users.extend(page.users);
                page.next_link
            }
            Err(err) if page_number == 0 => return Err(err),
            Err(err) => return Ok(incomplete(users, err)),
        };
        page_number += 1;
        match next {
            None => {
                return Ok(UserListing {
                    users,
                    complete: true,
                    error: None,
                });
            }
            Some(link) => match guard.next(&link) {
                Ok(next) => url = next,
                Err(err) => return Ok(incomplete(users, err)),
            },
        }
    }
}

fn incomplete(users: Vec<EntraUser>, err: ProviderError) -> UserListing {
    tracing::warn!(
        code = err.code(),
        arrived = users.len(),
        "user listing stopped early"
    );
    UserListing {
        users,
        complete: false,
        error: Some(err),
    }
}
