//! Graph and login response parsing: users and delta pages, error bodies with any status and
//! `Retry-After`, token error bodies, persisted token sets, access-token tenant claims and
//! `@odata.nextLink` checks. The first byte picks the parser; none may panic.
#![no_main]

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use entra_providers::auth::token_tenant_id;
use entra_providers::graph::parse_users_page;
use entra_providers::host::token_set_from_json;
use entra_providers::http::{check_next_link, graph_error, parse_retry_after, token_error};
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderValue};

fuzz_target!(|data: &[u8]| {
    let Some((pick, text, status)) = entra_sync_fuzz::pick_text(data) else {
        return;
    };
    match pick % 6 {
        0 => {
            if let Ok(page) = parse_users_page("00000000-0000-0000-0000-000000000001", &text) {
                for user in &page.users {
                    assert!(!user.entra_object_id.is_empty(), "a user without an id");
                }
            }
        }
        1 => {
            let mut headers = HeaderMap::new();
            let (retry, body) = text.split_once('\n').unwrap_or(("", &text));
            if let Ok(value) = HeaderValue::from_str(retry) {
                headers.insert("retry-after", value);
            }
            let err = graph_error(status, &headers, body);
            assert!(!err.code().is_empty());
        }
        2 => {
            let err = token_error(status, &text);
            assert!(!err.code().is_empty());
        }
        3 => {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                let _ = token_set_from_json(&value);
            }
        }
        4 => {
            let _ = token_tenant_id(&text);
            if let Some(delay) = parse_retry_after(&text, SystemTime::UNIX_EPOCH) {
                assert!(delay <= Duration::from_secs(u64::MAX / 2) || delay > Duration::ZERO);
            }
        }
        _ => {
            let configured = url::Url::parse("https://graph.microsoft.com/v1.0/").unwrap();
            let mut seen = HashSet::new();
            if let Ok(next) = check_next_link(&configured, &text, &mut seen, 1, 10) {
                assert_eq!(next.scheme(), "https", "a nextLink off https");
                assert_eq!(next.host_str(), configured.host_str(), "a foreign nextLink");
                assert!(
                    check_next_link(&configured, next.as_str(), &mut seen, 2, 10).is_err(),
                    "a repeated nextLink"
                );
                assert!(
                    check_next_link(
                        &configured,
                        "https://graph.microsoft.com/v1.0/x",
                        &mut HashSet::new(),
                        10,
                        10
                    )
                    .is_err(),
                    "a paging loop past the page limit"
                );
            }
        }
    }
});
