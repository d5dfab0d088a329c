//! `GET /{version}/users` and `GET /{version}/users/{id}` of the token's own tenant.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{DirectoryCaller, error, failing_page_response, ok};
use crate::sandbox::filter::Filter;
use crate::sandbox::listing::{self, PageCursor};
use crate::sandbox::page_faults;
use crate::sandbox::query::{Params, decode_token, enc, encode_token, top};
use crate::sandbox::state::Shared;
use crate::sandbox::user_json::{self, SelectError};

pub async fn list_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    caller: DirectoryCaller,
) -> Response {
    list(&shared, &headers, caller, query.as_deref(), "v1.0").await
}

pub async fn list_beta(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    caller: DirectoryCaller,
) -> Response {
    list(&shared, &headers, caller, query.as_deref(), "beta").await
}

pub async fn one_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    caller: DirectoryCaller,
) -> Response {
    one(&shared, &headers, caller, &id, query.as_deref(), "v1.0")
}

pub async fn one_beta(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    caller: DirectoryCaller,
) -> Response {
    one(&shared, &headers, caller, &id, query.as_deref(), "beta")
}

/// `GET /v1.0/users/$count`: the number of live users as `text/plain`. An advanced query:
/// without `ConsistencyLevel: eventual` Graph refuses it.
pub async fn count_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    DirectoryCaller { tenant: tenant_id }: DirectoryCaller,
) -> Response {
    let eventual = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    if !eventual {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Count is only supported with the ConsistencyLevel header set to eventual.",
            &headers,
        );
    }
    let state = shared.lock();
    if state.faults.user_count_denied.contains(&tenant_id) {
        drop(state);
        return super::denied(&headers);
    }
    let count = state.estate.live_users(&tenant_id).len();
    drop(state);
    super::ok_text(count.to_string(), &headers)
}

/// The `$select` of a request, or the Graph error answer.
pub fn select(params: &Params, headers: &HeaderMap) -> Result<Vec<&'static str>, Response> {
    match params.get("$select").map(user_json::parse_select) {
        None => Ok(Vec::new()),
        Some(Ok(list)) => Ok(list),
        Some(Err(e @ SelectError::Unknown(_))) => Err(error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &e.message(),
            headers,
        )),
        Some(Err(e @ SelectError::NotOnCollection(_))) => Err(error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            &e.message(),
            headers,
        )),
    }
}

/// `@odata.context` for a user collection.
pub fn context(shared: &Shared, version: &str, props: &[&str], suffix: &str) -> String {
    if props.is_empty() {
        format!("{}/{version}/$metadata#users{suffix}", shared.graph_base)
    } else {
        format!(
            "{}/{version}/$metadata#users({}){suffix}",
            shared.graph_base,
            props.join(",")
        )
    }
}

async fn list(
    shared: &Shared,
    headers: &HeaderMap,
    caller: DirectoryCaller,
    query: Option<&str>,
    version: &str,
) -> Response {
    let DirectoryCaller { tenant } = caller;
    let params = Params::parse(query);
    let props = match select(&params, headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let size = match top(&params, 999) {
        Ok(n) => n.unwrap_or(shared.default_page_size),
        Err(raw) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!(
                    "Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive."
                ),
                headers,
            );
        }
    };
    let advanced = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
        && params.flag("$count");
    if params.flag("$count") && !advanced {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "$count is not currently supported.",
            headers,
        );
    }
    let filter = match params.get("$filter").map(|f| Filter::parse(f, advanced)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => return error(StatusCode::BAD_REQUEST, e.code, &e.message, headers),
    };
    if params.get("$orderby").is_some() && !advanced {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Sorting not supported for current query.",
            headers,
        );
    }
    let cursor = match params.get("$skiptoken") {
        None => None,
        Some(raw) => match decode_token::<PageCursor>(raw) {
            Some(c) if c.t == tenant => Some(c),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Directory_InvalidSkipToken",
                    "The specified page token value has expired or is invalid.",
                    headers,
                );
            }
        },
    };
    let (page, failing, failing_status) = {
        let state = shared.lock();
        (
            listing::page(&state, &tenant, filter.as_ref(), size, cursor.as_ref()),
            listing::failing_page(&state, &tenant),
            state.faults.failing_page_status,
        )
    };
    let fault = page_faults::strike(shared, &tenant, page.index);
    if failing == Some(page.index) {
        return failing_page_response(failing_status, headers);
    }
    let shown = user_json::effective(&props, version == "beta");
    let value: Vec<Value> = page
        .users
        .iter()
        .map(|u| Value::Object(user_json::render(u, shown)))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".into(),
        json!(context(shared, version, &props, "")),
    );
    if advanced {
        body.insert("@odata.count".into(), json!(page.total));
    }
    if let Some(next) = page.next {
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(shared, version, query, &next)),
        );
    }
    body.insert("value".into(), Value::Array(value));
    if let Some((kind, stall)) = fault {
        if let Some(response) = page_faults::replace(kind, stall, headers, &body).await {
            return response;
        }
        let own = match &cursor {
            Some(c) => next_link(shared, version, query, c),
            None => format!(
                "{}/{version}/users?{}",
                shared.graph_base,
                query.unwrap_or_default()
            ),
        };
        page_faults::alter_body(kind, &mut body, &own);
    }
    ok(Value::Object(body), headers)
}

/// The request's own link with a new `$skiptoken`, as Graph builds `@odata.nextLink`.
fn next_link(shared: &Shared, version: &str, query: Option<&str>, next: &PageCursor) -> String {
    let mut parts: Vec<String> = Params::parse(query)
        .pairs()
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
        .map(|(k, v)| format!("{}={}", enc(k).replace("%24", "$"), enc(v)))
        .collect();
    parts.push(format!("$skiptoken={}", encode_token(next)));
    format!("{}/{version}/users?{}", shared.graph_base, parts.join("&"))
}

fn one(
    shared: &Shared,
    headers: &HeaderMap,
    caller: DirectoryCaller,
    id: &str,
    query: Option<&str>,
    version: &str,
) -> Response {
    let DirectoryCaller { tenant } = caller;
    let params = Params::parse(query);
    if id == "$count" {
        return count(shared, headers, &params, &tenant);
    }
    let props = match select(&params, headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let user = {
        let state = shared.lock();
        state
            .estate
            .live_users(&tenant)
            .into_iter()
            .find(|u| u.id == id || u.user_principal_name.eq_ignore_ascii_case(id))
            .cloned()
    };
    let Some(user) = user else {
        return error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
            headers,
        );
    };
    let shown = user_json::effective(&props, version == "beta");
    let mut body = user_json::render(&user, shown);
    body.insert(
        "@odata.context".into(),
        json!(context(shared, version, &props, "/$entity")),
    );
    ok(Value::Object(body), headers)
}

/// `GET /users/$count`: plain text, and only as an advanced query.
fn count(shared: &Shared, headers: &HeaderMap, params: &Params, tenant: &str) -> Response {
    let eventual = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    if !eventual {
        return error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Count is not currently supported.",
            headers,
        );
    }
    let filter = match params.get("$filter").map(|f| Filter::parse(f, true)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => return error(StatusCode::BAD_REQUEST, e.code, &e.message, headers),
    };
    let n = shared
        .lock()
        .estate
        .live_users(tenant)
        .into_iter()
        .filter(|u| filter.as_ref().is_none_or(|f| f.matches(u)))
        .count();
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "text/plain")],
        n.to_string(),
    )
        .into_response()
}
