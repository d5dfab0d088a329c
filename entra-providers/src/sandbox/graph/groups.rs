//! `/groups`, `/groups/{id}/transitiveMembers/microsoft.graph.user` (paged, `$select`, `$top`,
//! `$skiptoken`) and `/subscribedSkus`, served for whichever tenant the token was minted for.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{DirectoryCaller, error, ok};
use crate::sandbox::groups;
use crate::sandbox::query::{Params, decode_token, enc, encode_token, top};
use crate::sandbox::state::Shared;

/// Where the next member page starts; bound to the tenant and the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MemberCursor {
    t: String,
    g: String,
    o: usize,
    p: usize,
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    DirectoryCaller { tenant }: DirectoryCaller,
) -> Response {
    let value = groups::groups(&shared.lock().estate, &tenant);
    ok(
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#groups", shared.graph_base),
            "value": value,
        }),
        &headers,
    )
}

pub async fn subscribed_skus(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    DirectoryCaller { tenant }: DirectoryCaller,
) -> Response {
    let value = groups::subscribed_skus(&shared.lock().estate, &tenant);
    ok(
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#subscribedSkus", shared.graph_base),
            "value": value,
        }),
        &headers,
    )
}

pub async fn transitive_users(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(group): Path<String>,
    RawQuery(query): RawQuery,
    DirectoryCaller { tenant }: DirectoryCaller,
) -> Response {
    let params = Params::parse(query.as_deref());
    match member_page(&shared, &tenant, &group, &params) {
        Ok(body) => ok(body, &headers),
        Err((status, code, message)) => error(status, code, &message, &headers),
    }
}

/// One page of a group's transitive user members, as Graph's body, or the error Graph answers.
/// Shared with CIPP's `ListGraphRequest`.
pub(crate) fn member_page(
    shared: &Shared,
    tenant: &str,
    group: &str,
    params: &Params,
) -> Result<Value, (StatusCode, &'static str, String)> {
    let size = match top(params, 999) {
        Ok(n) => n.unwrap_or(100),
        Err(raw) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive."
                ),
            ));
        }
    };
    let selected: Vec<String> = params
        .get("$select")
        .map(|s| s.split(',').map(|p| p.trim().to_string()).collect())
        .unwrap_or_default();
    let cursor = match params.get("$skiptoken") {
        None => None,
        Some(raw) => match decode_token::<MemberCursor>(raw) {
            Some(c) if c.t == tenant && c.g.eq_ignore_ascii_case(group) => Some(c),
            _ => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    "Directory_InvalidSkipToken",
                    "The specified page token value has expired or is invalid.".into(),
                ));
            }
        },
    };
    let (offset, index) = cursor.as_ref().map(|c| (c.o, c.p)).unwrap_or((0, 0));
    let state = shared.lock();
    if state
        .faults
        .failing_group_page
        .iter()
        .any(|(g, page)| g.eq_ignore_ascii_case(group) && *page == index)
    {
        return Err((
            StatusCode::from_u16(match state.faults.failing_page_status {
                0 => 500,
                s => s,
            })
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "UnknownError",
            "An internal server error occurred.".into(),
        ));
    }
    let Some(members) = groups::transitive_members(&state.estate, tenant, group) else {
        return Err((
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{group}' does not exist or one of its queried reference-property objects are not present."
            ),
        ));
    };
    let total = members.len();
    let value: Vec<Value> = members
        .iter()
        .skip(offset)
        .take(size.max(1))
        .map(|u| {
            let mut row = serde_json::Map::new();
            row.insert("@odata.type".into(), json!("#microsoft.graph.user"));
            row.insert("id".into(), json!(u.id));
            let all = selected.is_empty();
            if all || selected.iter().any(|s| s == "displayName") {
                row.insert("displayName".into(), json!(u.display_name));
            }
            if all || selected.iter().any(|s| s == "userPrincipalName") {
                row.insert("userPrincipalName".into(), json!(u.user_principal_name));
            }
            Value::Object(row)
        })
        .collect();
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#users({})",
            shared.graph_base,
            if selected.is_empty() {
                "*".to_string()
            } else {
                selected.join(",")
            }
        )),
    );
    if offset + size.max(1) < total {
        let next = MemberCursor {
            t: tenant.to_string(),
            g: group.to_ascii_lowercase(),
            o: offset + size.max(1),
            p: index + 1,
        };
        let mut parts: Vec<String> = params
            .pairs()
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .map(|(k, v)| format!("{}={}", enc(k).replace("%24", "$"), enc(v)))
            .collect();
        parts.push(format!("$skiptoken={}", encode_token(&next)));
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user?{}",
                shared.graph_base,
                parts.join("&")
            )),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Ok(Value::Object(body))
}
