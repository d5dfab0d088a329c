use std::collections::HashSet;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use url::Url;

/// Checks one paging link before it is followed: it must parse, point at the configured origin
/// (scheme, host and port, so a bearer token never leaves it), not repeat a link already seen,
/// and `page` (the number of pages already fetched) must stay under `max_pages`.
pub fn check_next_link(
    configured: &Url,
    next: &str,
    seen: &mut HashSet<String>,
    page: usize,
    max_pages: usize,
) -> Result<Url, ProviderError> {
    let url = Url::parse(next).map_err(|_| guard("the paging link is not a valid URL"))?;
    if url.scheme() != configured.scheme()
        || url.host_str() != configured.host_str()
        || url.port_or_known_default() != configured.port_or_known_default()
    {
        return Err(guard(format!(
            "the paging link points at {} instead of the configured host {}; it was not followed",
            describe_origin(&url),
            describe_origin(configured)
        )));
    }
    if page >= max_pages {
        return Err(guard(format!(
            "the listing exceeded {max_pages} pages; stopped to avoid a paging loop"
        )));
    }
    if !seen.insert(url.as_str().to_string()) {
        return Err(guard("the upstream returned the same paging link twice"));
    }
    Ok(url)
}

/// Follows one listing's paging links under the [`check_next_link`] rules.
#[derive(Debug, Clone)]
pub struct PageGuard {
    origin: Url,
    seen: HashSet<String>,
    pages: usize,
    max_pages: usize,
}

impl PageGuard {
    /// A guard for a listing whose first page is `first` (it counts as seen and as one page).
    pub fn new(first: &Url, max_pages: usize) -> Self {
        let mut seen = HashSet::new();
        seen.insert(first.as_str().to_string());
        Self {
            origin: first.clone(),
            seen,
            pages: 1,
            max_pages: max_pages.max(1),
        }
    }

    /// A guard whose links must point at `origin`, before any page was fetched.
    pub fn for_origin(origin: &Url, max_pages: usize) -> Self {
        Self {
            origin: origin.clone(),
            seen: HashSet::new(),
            pages: 0,
            max_pages: max_pages.max(1),
        }
    }

    /// Validates the next link and counts it as a page.
    pub fn next(&mut self, link: &str) -> Result<Url, ProviderError> {
        let url = check_next_link(
            &self.origin,
            link,
            &mut self.seen,
            self.pages,
            self.max_pages,
        )?;
        self.pages += 1;
        Ok(url)
    }

    /// Pages counted so far.
    pub fn pages(&self) -> usize {
        self.pages
    }
}

fn describe_origin(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}://{}:{port}", url.scheme(), url.host_str().unwrap_or("")),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

fn guard(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorCode::PagingGuard, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://graph.microsoft.com/v1.0/users?$top=999").unwrap()
    }

    #[test]
    fn same_origin_links_are_followed_once() {
        let mut guard = PageGuard::new(&base(), 10);
        let next = "https://graph.microsoft.com/v1.0/users?$skiptoken=a";
        assert!(guard.next(next).is_ok());
        assert_eq!(guard.next(next).unwrap_err().code(), "paging_guard");
    }

    #[test]
    fn foreign_hosts_ports_and_schemes_are_refused() {
        for link in [
            "https://evil.example/v1.0/users?$skiptoken=a",
            "http://graph.microsoft.com/v1.0/users?$skiptoken=a",
            "https://graph.microsoft.com:8443/v1.0/users?$skiptoken=a",
            "not a url",
        ] {
            let mut guard = PageGuard::new(&base(), 10);
            assert_eq!(
                guard.next(link).unwrap_err().code(),
                "paging_guard",
                "{link}"
            );
        }
    }

    #[test]
    fn the_page_cap_stops_a_listing() {
        let mut guard = PageGuard::new(&base(), 3);
        assert!(
            guard
                .next("https://graph.microsoft.com/v1.0/users?p=2")
                .is_ok()
        );
        assert!(
            guard
                .next("https://graph.microsoft.com/v1.0/users?p=3")
                .is_ok()
        );
        let err = guard
            .next("https://graph.microsoft.com/v1.0/users?p=4")
            .unwrap_err();
        assert_eq!(err.code(), "paging_guard");
    }
}
