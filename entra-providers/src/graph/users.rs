use entra_core::provider::{ProviderError, UserListing};

use super::config::GraphOptions;
use super::normalize::parse_users_page;
use super::request::{Caller, GraphClient};
use super::wire::USER_SELECT;
use crate::http::{ListingDeadline, PageGuard};
use crate::user_rows::UserCollector;

/// Every user of one customer tenant, read with that tenant's token. A failure on the first
/// page is an error; a failure after it yields what arrived with `complete: false`, so nobody
/// is inactivated for being absent from a listing that broke off. A row that cannot be read is
/// left out with a warning (and `complete: false`); a user repeated across pages keeps its last
/// copy. The whole listing runs under the policy's listing deadline.
pub(crate) async fn list_users(
    client: &GraphClient,
    options: &GraphOptions,
    tenant: &str,
) -> Result<UserListing, ProviderError> {
    let top = options.users_page_size.clamp(1, 999);
    let first = client.url(&format!("v1.0/users?$select={USER_SELECT}&$top={top}"))?;
    let mut guard = PageGuard::new(&first, client.http.policy().max_pages);
    let deadline = ListingDeadline::start(client.http.policy());
    let mut users = UserCollector::new();
    let mut url = first;
    let mut page_number = 0usize;
    loop {
        let page = deadline
            .run(client.get_parsed(Caller::Customer(tenant), &url, |body| {
                parse_users_page(tenant, body)
            }))
            .await;
        let next = match page {
            Ok(page) => {
                users.add_page(page.users, page.skipped);
                page.next_link
            }
            Err(err) if page_number == 0 => return Err(err),
            Err(err) => return Ok(incomplete(users, err)),
        };
        page_number += 1;
        match next {
            None => return Ok(users.finish(None)),
            Some(link) => match guard.next(&link) {
                Ok(next) => url = next,
                Err(err) => return Ok(incomplete(users, err)),
            },
        }
    }
}

fn incomplete(users: UserCollector, err: ProviderError) -> UserListing {
    tracing::warn!(
        code = err.code(),
        arrived = users.len(),
        "user listing stopped early"
    );
    users.finish(Some(err))
}
