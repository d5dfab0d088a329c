//! `GET /v1.0/users/delta`: a full enumeration that ends in a delta link, then only what changed
//! since, with `@removed` for deleted users (`changed` = soft, `deleted` = hard).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::users::{context, select};
use super::{DirectoryCaller, error, failing_page_response, ok};
use crate::sandbox::config::DeltaFault;
use crate::sandbox::estate::{Deletion, SandboxUser};
use crate::sandbox::page_faults;
use crate::sandbox::query::{Params, decode_token, enc, encode_token};
use crate::sandbox::state::{ChangeKind, Shared, State as SharedState};
use crate::sandbox::user_json::{self, ALL};

/// A delta link's state: the tenant, the selection and the change sequence it has seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeltaToken {
    t: String,
    s: Vec<String>,
    at: u64,
    e: u64,
}

/// A round in progress: which window of changes, and which page is next.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Round {
    t: String,
    s: Vec<String>,
    /// `None` for a full enumeration.
    from: Option<u64>,
    to: u64,
    o: usize,
    p: usize,
    e: u64,
}

pub async fn delta(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    DirectoryCaller { tenant }: DirectoryCaller,
) -> Response {
    let params = Params::parse(query.as_deref());
    for option in ["$top", "$orderby", "$expand", "$filter"] {
        if params.get(option).is_some() {
            return error(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                &format!(
                    "The query option '{option}' is not supported with delta queries on users."
                ),
                &headers,
            );
        }
    }
    let round = match start_or_continue(&shared, &params, &tenant, &headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let minimal = headers
        .get("Prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("return=minimal"));
    let size = shared.delta_page_size.max(1);
    let (value, total, failing, failing_status) = {
        let state = shared.lock();
        let (value, total) = page_of_items(&state, &round, minimal, size);
        (
            value,
            total,
            state.faults.failing_page.get(&tenant).copied(),
            state.faults.failing_page_status,
        )
    };
    let fault = page_faults::strike(&shared, &tenant, round.p);
    if failing == Some(round.p) {
        return failing_page_response(failing_status, &headers);
    }
    let props: Vec<&str> = round.s.iter().map(String::as_str).collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(context(&shared, "v1.0", &props, "")),
    );
    let base = format!("{}/v1.0/users/delta", shared.graph_base);
    if round.o + size < total {
        let next = Round {
            o: round.o + size,
            p: round.p + 1,
            ..round.clone()
        };
        body.insert(
            "@odata.nextLink".into(),
            json!(format!("{base}?$skiptoken={}", encode_token(&next))),
        );
    } else {
        let token = DeltaToken {
            t: round.t.clone(),
            s: round.s.clone(),
            at: round.to,
            e: round.e,
        };
        body.insert(
            "@odata.deltaLink".into(),
            json!(format!("{base}?$deltatoken={}", encode_token(&token))),
        );
    }
    body.insert("value".into(), Value::Array(value));
    if let Some((kind, stall)) = fault {
        if let Some(response) = page_faults::replace(kind, stall, &headers, &body).await {
            return response;
        }
        let own = format!("{base}?{}", query.as_deref().unwrap_or_default());
        page_faults::alter_body(kind, &mut body, &own);
    }
    let mut response = ok(Value::Object(body), &headers);
    if minimal {
        response.headers_mut().insert(
            "Preference-Applied",
            HeaderValue::from_static("return=minimal"),
        );
    }
    response
}

fn start_or_continue(
    shared: &Shared,
    params: &Params,
    tenant: &str,
    headers: &HeaderMap,
) -> Result<Round, Response> {
    let props = select(params, headers)?;
    let state = shared.lock();
    let invalid = |message: &str| error(StatusCode::BAD_REQUEST, "BadRequest", message, headers);
    let expired = || {
        error(
            StatusCode::BAD_REQUEST,
            "syncStateNotFound",
            "The sync state is not found or has expired. Please restart the sync with an empty delta token.",
            headers,
        )
    };
    if let Some(raw) = params.get("$skiptoken") {
        let round: Round =
            decode_token(raw).ok_or_else(|| invalid("The skip token is not valid."))?;
        if round.t != tenant {
            return Err(invalid("The skip token belongs to another tenant."));
        }
        if round.e < state.delta_epoch {
            return Err(expired());
        }
        return Ok(round);
    }
    let fresh = |select: Vec<String>| Round {
        t: tenant.to_string(),
        s: select,
        from: None,
        to: state.seq,
        o: 0,
        p: 0,
        e: state.delta_epoch,
    };
    match params.get("$deltatoken") {
        Some(raw) if !raw.trim().is_empty() => {
            let token: DeltaToken =
                decode_token(raw).ok_or_else(|| invalid("The delta token is not valid."))?;
            if token.t != tenant {
                return Err(invalid("The delta token belongs to another tenant."));
            }
            match state.faults.delta {
                DeltaFault::Expired => return Err(expired()),
                DeltaFault::Gone => {
                    let mut response = error(
                        StatusCode::GONE,
                        "resyncRequired",
                        "The delta token has expired. A full resync is required.",
                        headers,
                    );
                    let location = format!(
                        "{}/v1.0/users/delta?$select={}&$deltatoken=",
                        shared.graph_base,
                        enc(&token.s.join(","))
                    );
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        response
                            .headers_mut()
                            .insert(axum::http::header::LOCATION, v);
                    }
                    return Err(response);
                }
                DeltaFault::None => {}
            }
            if token.e < state.delta_epoch {
                return Err(expired());
            }
            Ok(Round {
                from: Some(token.at),
                ..fresh(token.s)
            })
        }
        _ => Ok(fresh(props.iter().map(|p| (*p).to_string()).collect())),
    }
}

/// One entry of a delta round, rendered only when its page is served.
enum Item<'a> {
    /// The user with every tracked property.
    Whole(&'a SandboxUser),
    /// `id` plus these changed properties (`Prefer: return=minimal`).
    Changed(&'a SandboxUser, Vec<&'static str>),
    /// `{"id", "@removed": {"reason"}}`.
    Removed(&'a str, &'static str),
}

/// The page of the round starting at its offset, and how many items the round has in all.
fn page_of_items(
    state: &SharedState,
    round: &Round,
    minimal: bool,
    size: usize,
) -> (Vec<Value>, usize) {
    let selected: Vec<&'static str> = round
        .s
        .iter()
        .filter_map(|s| ALL.iter().find(|p| **p == s.as_str()).copied())
        .collect();
    let shown = user_json::effective(&selected, false);
    let items = items(state, round, minimal, shown);
    let total = items.len();
    let value = items
        .into_iter()
        .skip(round.o)
        .take(size)
        .map(|item| match item {
            Item::Whole(user) => Value::Object(user_json::render(user, shown)),
            Item::Changed(user, props) => Value::Object(user_json::render(user, &props)),
            Item::Removed(id, reason) => json!({"id": id, "@removed": {"reason": reason}}),
        })
        .collect();
    (value, total)
}

/// Every item of the round, in a stable order (object id).
fn items<'a>(
    state: &'a SharedState,
    round: &Round,
    minimal: bool,
    shown: &[&'static str],
) -> Vec<Item<'a>> {
    let Some(from) = round.from else {
        return state
            .estate
            .live_users(&round.t)
            .into_iter()
            .map(Item::Whole)
            .collect();
    };
    // What happened to each user in the window.
    #[derive(Default)]
    struct Summary {
        fields: BTreeSet<&'static str>,
        whole: bool,
    }
    let mut touched: BTreeMap<&str, Summary> = BTreeMap::new();
    for change in state
        .changes
        .iter()
        .filter(|c| c.tenant_id == round.t && c.seq > from && c.seq <= round.to)
    {
        let entry = touched.entry(change.user_id.as_str()).or_default();
        match &change.kind {
            ChangeKind::Updated(fields) => entry.fields.extend(fields.iter().copied()),
            ChangeKind::Added | ChangeKind::Restored | ChangeKind::Removed(_) => entry.whole = true,
        }
    }
    let users: BTreeMap<&str, &SandboxUser> = state
        .estate
        .users
        .get(&round.t)
        .map(|list| list.iter().map(|u| (u.id.as_str(), u)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (id, summary) in touched {
        let Some(user) = users.get(id).copied() else {
            continue;
        };
        if let Some(deletion) = user.deleted {
            let reason = match deletion {
                Deletion::Soft => "changed",
                Deletion::Hard => "deleted",
            };
            out.push(Item::Removed(user.id.as_str(), reason));
            continue;
        }
        let relevant: Vec<&'static str> = shown
            .iter()
            .filter(|p| summary.fields.contains(*p))
            .copied()
            .collect();
        if summary.whole {
            out.push(Item::Whole(user));
        } else if relevant.is_empty() {
            // Only untracked properties changed: the user does not appear.
        } else if minimal {
            let mut props = vec!["id"];
            props.extend(relevant.iter().filter(|p| **p != "id"));
            out.push(Item::Changed(user, props));
        } else {
            out.push(Item::Whole(user));
        }
    }
    out
}
