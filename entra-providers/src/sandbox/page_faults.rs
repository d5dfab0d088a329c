//! Faults on one page of a tenant's user listing (Graph `/users` and `/users/delta`): what breaks
//! a paging loop half-way rather than at its first request — a connection cut mid-answer, a page
//! that never arrives in time, a body that is not JSON, a `nextLink` leaving Graph or going back
//! to the same page, a token expiring between pages, a row without `accountEnabled`.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::state::Shared;

/// One page fault of one tenant's listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageFault {
    /// Zero-based page of the listing (and of every delta round) the fault hits.
    pub page: usize,
    /// What goes wrong there.
    pub kind: PageFaultKind,
    /// How many times it strikes before the page is served normally; 0 means every time (a
    /// persistent fault, which retries cannot get past).
    #[serde(default)]
    pub times: u32,
}

/// What goes wrong on a faulted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageFaultKind {
    /// The answer starts (a 200 with part of its body) and the connection is cut before it is
    /// complete, as a reset connection or a dying proxy leaves it; depending on timing the
    /// client sees the cut while reading the head or the body.
    ConnectionReset,
    /// The page is answered only after `Faults::page_stall`: a client whose timeout is shorter
    /// times out mid-listing.
    Stall,
    /// A 200 whose `application/json` body is cut off half-way through.
    MalformedJson,
    /// The page's `@odata.nextLink` points at another host (`https://graph.contoso-proxy.example`),
    /// where a token must never be sent.
    ForeignNextLink,
    /// The page's `@odata.nextLink` is the link of the page itself, so a naive client loops.
    RepeatedNextLink,
    /// Every access token issued so far expires just as this page is asked for: 401
    /// `InvalidAuthenticationToken` ("Lifetime validation failed, the token is expired."); a new
    /// token works.
    TokenExpired,
    /// The first user row of the page comes without `accountEnabled`.
    MissingAccountEnabled,
}

/// The host a [`PageFaultKind::ForeignNextLink`] points at.
pub const FOREIGN_HOST: &str = "https://graph.contoso-proxy.example";

/// The fault striking this page of this tenant's listing now, if any; counts the strike.
pub fn strike(shared: &Shared, tenant: &str, page: usize) -> Option<(PageFaultKind, Duration)> {
    let mut state = shared.lock();
    let stall = state.faults.page_stall;
    let fault = state.faults.page_faults.get_mut(tenant)?;
    if fault.page != page {
        return None;
    }
    let kind = fault.kind;
    match fault.times {
        0 => {}
        1 => {
            state.faults.page_faults.remove(tenant);
        }
        _ => fault.times -= 1,
    }
    if kind == PageFaultKind::TokenExpired {
        state.token_generation += 1;
    }
    Some((kind, stall))
}

/// The answer of a page hit by a fault that replaces the whole answer, or `None` when the page is
/// served (perhaps after a stall, or with its body altered by [`alter_body`]).
pub async fn replace(
    kind: PageFaultKind,
    stall: Duration,
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Option<Response> {
    match kind {
        PageFaultKind::Stall => {
            tokio::time::sleep(stall).await;
            None
        }
        PageFaultKind::ConnectionReset => {
            let head = Bytes::from(first_half(body));
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(head),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by the sandbox",
                )),
            ];
            let stream = futures::stream::iter(chunks);
            let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
            json_content_type(&mut response);
            Some(response)
        }
        PageFaultKind::MalformedJson => {
            let text = Value::Object(body.clone()).to_string();
            let mut response = (StatusCode::OK, text[..text.len() / 2].to_string()).into_response();
            json_content_type(&mut response);
            Some(response)
        }
        PageFaultKind::TokenExpired => Some(super::graph::token_expired(headers)),
        PageFaultKind::ForeignNextLink
        | PageFaultKind::RepeatedNextLink
        | PageFaultKind::MissingAccountEnabled => None,
    }
}

/// Applies the faults that alter a served page: its `nextLink` (`own_link` is the link of the
/// page itself) or its first row.
pub fn alter_body(kind: PageFaultKind, body: &mut Map<String, Value>, own_link: &str) {
    match kind {
        PageFaultKind::ForeignNextLink => {
            let path = own_link
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
                .unwrap_or_default();
            body.insert(
                "@odata.nextLink".into(),
                Value::String(format!("{FOREIGN_HOST}{path}")),
            );
            body.remove("@odata.deltaLink");
        }
        PageFaultKind::RepeatedNextLink => {
            body.insert(
                "@odata.nextLink".into(),
                Value::String(own_link.to_string()),
            );
            body.remove("@odata.deltaLink");
        }
        PageFaultKind::MissingAccountEnabled => {
            if let Some(Value::Array(rows)) = body.get_mut("value")
                && let Some(Value::Object(row)) =
                    rows.iter_mut().find(|r| r.get("accountEnabled").is_some())
            {
                row.remove("accountEnabled");
            }
        }
        _ => {}
    }
}

/// The first half of the page's JSON text, cut at a character boundary (names carry diacritics).
fn first_half(body: &Map<String, Value>) -> String {
    let text = Value::Object(body.clone()).to_string();
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_string()
}

fn json_content_type(response: &mut Response) {
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal"),
    );
}
