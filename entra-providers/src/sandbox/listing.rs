//! Paging through a tenant's users: the one listing both Graph `/users` and CIPP's
//! `ListGraphRequest` serve, with an opaque `$skiptoken` bound to the tenant.

use serde::{Deserialize, Serialize};

use super::estate::SandboxUser;
use super::filter::Filter;
use super::state::State;

/// Where the next page starts; serialized into `$skiptoken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    /// The tenant the listing belongs to: a skiptoken is refused in any other tenant.
    pub t: String,
    /// Offset of the next user.
    pub o: usize,
    /// Zero-based index of the next page.
    pub p: usize,
}

/// One page of users.
#[derive(Debug, Clone)]
pub struct Page {
    pub users: Vec<SandboxUser>,
    /// Zero-based index of this page.
    pub index: usize,
    /// The cursor of the next page, when there is one.
    pub next: Option<PageCursor>,
    /// How many users match the filter in all.
    pub total: usize,
}

/// The page at `cursor` (or the first page) of the tenant's live users matching `filter`.
pub fn page(
    state: &State,
    tenant_id: &str,
    filter: Option<&Filter>,
    size: usize,
    cursor: Option<&PageCursor>,
) -> Page {
    let size = size.max(1);
    let (offset, index) = cursor.map(|c| (c.o, c.p)).unwrap_or((0, 0));
    let matching: Vec<&SandboxUser> = state
        .estate
        .live_users(tenant_id)
        .into_iter()
        .filter(|u| filter.is_none_or(|f| f.matches(u)))
        .collect();
    let total = matching.len();
    let users: Vec<SandboxUser> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|u| (*u).clone())
        .collect();
    let next = (offset + size < total).then(|| PageCursor {
        t: tenant_id.to_string(),
        o: offset + size,
        p: index + 1,
    });
    Page {
        users,
        index,
        next,
        total,
    }
}

/// The zero-based page of this tenant that is set to fail, if any.
pub fn failing_page(state: &State, tenant_id: &str) -> Option<usize> {
    state.faults.failing_page.get(tenant_id).copied()
}
