//! `GET /api/ListGraphRequest?Endpoint=users`: Graph results wrapped as `{Results, Metadata}`, one
//! page at a time with `manualPagination=true`; `Metadata.nextLink` is a graph.microsoft.com link
//! the caller passes back verbatim as `nextLink`. Failures are 400 `Graph Error: ... - Endpoint: x`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{normalized_token_error, resolve, text};
use crate::sandbox::filter::Filter;
use crate::sandbox::listing::{self, PageCursor};
use crate::sandbox::query::{Params, decode_token, enc, encode_token, top};
use crate::sandbox::state::{Shared, request_id};
use crate::sandbox::user_json;

/// The host CIPP's `nextLink` guard accepts.
const GRAPH_HOST: &str = "graph.microsoft.com";

fn graph_error(message: &str, endpoint: &str) -> Response {
    text(
        StatusCode::BAD_REQUEST,
        format!("Graph Error: {message} - Endpoint: {endpoint}"),
    )
}

/// With `IgnoreErrors=true`, CIPP answers its errors with 200 instead of 400 (same body).
pub fn list_graph_request(shared: &Shared, params: &Params) -> Response {
    let mut response = answer(shared, params);
    if params.flag("IgnoreErrors") && response.status() == StatusCode::BAD_REQUEST {
        *response.status_mut() = StatusCode::OK;
    }
    response
}

fn answer(shared: &Shared, params: &Params) -> Response {
    let endpoint = params.get("Endpoint").unwrap_or("").trim().to_string();
    let version = params.get("Version").unwrap_or("beta").to_string();
    if version != "beta" && version != "v1.0" {
        return text(
            StatusCode::BAD_REQUEST,
            format!(
                "Cannot validate argument on parameter 'Version'. The argument \"{version}\" does not belong to the set \"beta,v1.0\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again."
            ),
        );
    }
    if let Some(kind) = directory_endpoint(&endpoint) {
        return directory_answer(shared, params, &endpoint, &version, kind);
    }
    if !endpoint
        .trim_start_matches('/')
        .eq_ignore_ascii_case("users")
    {
        let segment = endpoint
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        return graph_error(
            &format!("Resource not found for the segment '{segment}'."),
            &endpoint,
        );
    }
    let tenant_filter = params.get("tenantFilter").unwrap_or("").trim().to_string();
    if tenant_filter.eq_ignore_ascii_case("AllTenants") {
        return axum::Json(json!({
            "Results": [],
            "Metadata": {
                "Queued": true,
                "QueueMessage": "Loading data for all tenants. Please check back in a few minutes",
                "QueueId": request_id(),
            }
        }))
        .into_response();
    }
    let Some(tenant) = resolve(shared, params) else {
        return graph_error(
            &format!(
                "Exception at C:\\home\\site\\wwwroot\\Modules\\CIPPCore\\Public\\GraphRequests\\Get-GraphRequestList.ps1:212 - Graph request denied for '{tenant_filter}': the tenant is not in CIPP's tenant list."
            ),
            &endpoint,
        );
    };
    // A continuation: CIPP calls the nextLink as given, after checking its host.
    let continuation = match params.get("nextLink") {
        None => None,
        Some(link) => {
            let Ok(url) = url::Url::parse(link) else {
                return graph_error("Invalid nextLink.", &endpoint);
            };
            if url.scheme() != "https" || url.host_str() != Some(GRAPH_HOST) {
                return graph_error(
                    "Invalid nextLink: only https://graph.microsoft.com links are followed.",
                    &endpoint,
                );
            }
            Some(Params::parse(url.query()))
        }
    };
    let query = continuation.as_ref().unwrap_or(params);
    let props = match query.get("$select").map(user_json::parse_select) {
        None => Vec::new(),
        Some(Ok(mut list)) => {
            list.sort_unstable();
            list
        }
        Some(Err(e)) => return graph_error(&e.message(), &endpoint),
    };
    let size = match top(query, 999) {
        Ok(n) => n.unwrap_or(shared.default_page_size),
        Err(raw) => {
            return graph_error(
                &format!(
                    "Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive."
                ),
                &endpoint,
            );
        }
    };
    let filter_text = query.get("$filter").or_else(|| query.get("graphFilter"));
    let filter = match filter_text.map(|f| Filter::parse(f, true)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => return graph_error(&e.message, &endpoint),
    };
    let mut cursor = match query.get("$skiptoken") {
        None => None,
        Some(raw) => match decode_token::<PageCursor>(raw) {
            Some(c) if c.t == tenant.tenant_id => Some(c),
            _ => {
                return graph_error(
                    "The specified page token value has expired or is invalid.",
                    &endpoint,
                );
            }
        },
    };
    let manual = params.flag("manualPagination");
    let first_only = params.flag("NoPagination");
    let state = shared.lock();
    if let Some(fault) = state.faults.token_errors.get(&tenant.tenant_id).copied() {
        return graph_error(normalized_token_error(fault), &endpoint);
    }
    if tenant.tenant_id != state.estate.partner.tenant_id
        && state.faults.gdap_role_missing.contains(&tenant.tenant_id)
    {
        return graph_error(
            "Insufficient privileges to complete the operation.",
            &endpoint,
        );
    }
    let failing = listing::failing_page(&state, &tenant.tenant_id);
    let shown = user_json::effective(&props, version == "beta");
    let mut results: Vec<Value> = Vec::new();
    let next = loop {
        let page = listing::page(
            &state,
            &tenant.tenant_id,
            filter.as_ref(),
            size,
            cursor.as_ref(),
        );
        if failing == Some(page.index) {
            return graph_error(
                "The service is currently unavailable. Please try again later.",
                &endpoint,
            );
        }
        results.extend(page.users.iter().map(|u| {
            let mut row = user_json::render(u, shown);
            row.insert("Tenant".into(), json!(tenant_filter));
            row.insert("CippStatus".into(), json!("Good"));
            Value::Object(row)
        }));
        match page.next {
            Some(next) if !manual && !first_only => cursor = Some(next),
            other => break other,
        }
    };
    drop(state);
    let mut parameters = Map::new();
    if !props.is_empty() {
        parameters.insert("$select".into(), json!(props.join(",")));
    }
    parameters.insert("$top".into(), json!(size.to_string()));
    let mut metadata = Map::new();
    metadata.insert("Endpoint".into(), json!(endpoint));
    metadata.insert("Parameters".into(), Value::Object(parameters));
    metadata.insert("CippLink".into(), Value::Null);
    metadata.insert("TenantFilter".into(), json!(tenant_filter));
    metadata.insert("Version".into(), json!(version));
    metadata.insert("ManualPagination".into(), json!(manual));
    metadata.insert(
        "GraphHeaders".into(),
        json!({"request-id": [request_id()], "content-type": ["application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"]}),
    );
    if manual && let Some(next) = next {
        let mut link = format!("https://{GRAPH_HOST}/{version}/users?");
        if !props.is_empty() {
            link.push_str(&format!("$select={}&", enc(&props.join(","))));
        }
        link.push_str(&format!("$top={size}&"));
        if let Some(f) = filter_text {
            link.push_str(&format!("$filter={}&", enc(f)));
        }
        link.push_str(&format!("$skiptoken={}", encode_token(&next)));
        metadata.insert("nextLink".into(), json!(link));
    }
    axum::Json(json!({"Results": results, "Metadata": metadata})).into_response()
}

/// The directory reads besides users that group-scoped sync and the licence summary need.
enum Directory {
    SubscribedSkus,
    /// `groups/{id}/transitiveMembers/microsoft.graph.user`, with the group id.
    TransitiveUsers(String),
}

fn directory_endpoint(endpoint: &str) -> Option<Directory> {
    let path = endpoint.trim().trim_matches('/');
    if path.eq_ignore_ascii_case("subscribedSkus") {
        return Some(Directory::SubscribedSkus);
    }
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [groups, id, members, cast]
            if groups.eq_ignore_ascii_case("groups")
                && members.eq_ignore_ascii_case("transitiveMembers")
                && cast.eq_ignore_ascii_case("microsoft.graph.user") =>
        {
            Some(Directory::TransitiveUsers(id.to_string()))
        }
        _ => None,
    }
}

/// `subscribedSkus` (one page) and a group's transitive user members (Graph's pages relayed one
/// at a time, `Metadata.nextLink` on graph.microsoft.com), with the users' tenant and fault
/// rules and CIPP's 400 `Graph Error` on failure.
fn directory_answer(
    shared: &Shared,
    params: &Params,
    endpoint: &str,
    version: &str,
    kind: Directory,
) -> Response {
    let tenant_filter = params.get("tenantFilter").unwrap_or("").trim().to_string();
    let Some(tenant) = resolve(shared, params) else {
        return graph_error(
            &format!(
                "Exception at C:\\home\\site\\wwwroot\\Modules\\CIPPCore\\Public\\GraphRequests\\Get-GraphRequestList.ps1:212 - Graph request denied for '{tenant_filter}': the tenant is not in CIPP's tenant list."
            ),
            endpoint,
        );
    };
    {
        let state = shared.lock();
        if let Some(fault) = state.faults.token_errors.get(&tenant.tenant_id).copied() {
            return graph_error(normalized_token_error(fault), endpoint);
        }
        if tenant.tenant_id != state.estate.partner.tenant_id
            && state.faults.gdap_role_missing.contains(&tenant.tenant_id)
        {
            return graph_error(
                "Insufficient privileges to complete the operation.",
                endpoint,
            );
        }
    }
    let tag = |mut row: Value| {
        if let Value::Object(map) = &mut row {
            map.insert("Tenant".into(), json!(tenant_filter));
            map.insert("CippStatus".into(), json!("Good"));
        }
        row
    };
    let (rows, next_link) = match kind {
        Directory::SubscribedSkus => {
            let skus =
                crate::sandbox::groups::subscribed_skus(&shared.lock().estate, &tenant.tenant_id);
            (skus.into_iter().map(tag).collect::<Vec<_>>(), None)
        }
        Directory::TransitiveUsers(group) => {
            let query = match params.get("nextLink") {
                None => params.clone(),
                Some(link) => {
                    let Ok(url) = url::Url::parse(link) else {
                        return graph_error("Invalid nextLink.", endpoint);
                    };
                    if url.scheme() != "https" || url.host_str() != Some(GRAPH_HOST) {
                        return graph_error(
                            "Invalid nextLink: only https://graph.microsoft.com links are followed.",
                            endpoint,
                        );
                    }
                    Params::parse(url.query())
                }
            };
            let page = crate::sandbox::graph::groups::member_page(
                shared,
                &tenant.tenant_id,
                &group,
                &query,
            );
            let body = match page {
                Ok(body) => body,
                Err((_, _, message)) => return graph_error(&message, endpoint),
            };
            let rows = body["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(tag)
                .collect();
            let next = body["@odata.nextLink"].as_str().map(|link| {
                link.replacen(
                    shared.graph_base.as_str(),
                    &format!("https://{GRAPH_HOST}"),
                    1,
                )
            });
            (rows, next)
        }
    };
    let mut metadata = Map::new();
    metadata.insert("Endpoint".into(), json!(endpoint));
    metadata.insert("Parameters".into(), json!({}));
    metadata.insert("CippLink".into(), Value::Null);
    metadata.insert("TenantFilter".into(), json!(tenant_filter));
    metadata.insert("Version".into(), json!(version));
    metadata.insert(
        "ManualPagination".into(),
        json!(params.flag("manualPagination")),
    );
    if let Some(link) = next_link {
        metadata.insert("nextLink".into(), json!(link));
    }
    axum::Json(json!({"Results": rows, "Metadata": metadata})).into_response()
}
