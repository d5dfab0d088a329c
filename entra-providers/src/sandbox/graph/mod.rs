//! The Microsoft Graph service: the partner (GDAP, Lighthouse, DAP) endpoints read with a
//! partner-tenant token, and the directory endpoints (`/users`, `/users/delta`, `/domains`,
//! `/organization`, `/groups` with transitive members, `/subscribedSkus`) that serve whichever
//! tenant the token was minted for.

mod delta;
mod directory;
pub(crate) mod groups;
mod partner;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::Rng;
use serde_json::{Value, json};

use super::clock::{graph_error_date, unix_now};
use super::state::{Shared, request_id};
use super::tokens::{Claims, Rejection, bearer};

/// The Graph router, served at the root of its listener.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1.0/users", get(users::list_v1))
        .route("/beta/users", get(users::list_beta))
        .route("/v1.0/users/delta", get(delta::delta))
        .route("/v1.0/users/$count", get(users::count_v1))
        .route("/v1.0/users/{id}", get(users::one_v1))
        .route("/beta/users/{id}", get(users::one_beta))
        .route(
            "/v1.0/users/{id}/mailboxSettings",
            get(directory::mailbox_settings),
        )
        .route("/v1.0/groups", get(groups::list))
        .route(
            "/v1.0/groups/{id}/transitiveMembers/microsoft.graph.user",
            get(groups::transitive_users),
        )
        .route("/v1.0/subscribedSkus", get(groups::subscribed_skus))
        .route("/v1.0/domains", get(directory::domains))
        .route("/beta/domains", get(directory::domains))
        .route("/v1.0/organization", get(directory::organization))
        .route("/v1.0/contracts", get(partner::contracts))
        .route(
            "/v1.0/tenantRelationships/delegatedAdminCustomers",
            get(partner::customers),
        )
        .route(
            "/v1.0/tenantRelationships/delegatedAdminRelationships",
            get(partner::relationships),
        )
        .route(
            "/beta/tenantRelationships/managedTenants/tenants",
            get(partner::lighthouse_tenants),
        )
        .route(
            "/v1.0/tenantRelationships/{function}",
            get(partner::tenant_information),
        )
        .fallback(unknown_segment)
        .layer(from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// A Graph error answer: `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}`.
pub fn error(status: StatusCode, code: &str, message: &str, headers: &HeaderMap) -> Response {
    let rid = request_id();
    let client_rid = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| rid.clone());
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": graph_error_date(unix_now()),
                "request-id": rid,
                "client-request-id": client_rid,
            }
        }
    });
    let mut response = (status, axum::Json(body)).into_response();
    set_ids(response.headers_mut(), &rid, &client_rid);
    response
}

/// A successful `text/plain` answer (`$count`) carrying Graph's request-id headers.
pub fn ok_text(body: String, headers: &HeaderMap) -> Response {
    let rid = request_id();
    let client_rid = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| rid.clone());
    let mut response = (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "text/plain")],
        body,
    )
        .into_response();
    set_ids(response.headers_mut(), &rid, &client_rid);
    response
}

/// A successful JSON answer carrying Graph's request-id headers.
pub fn ok(body: Value, headers: &HeaderMap) -> Response {
    let rid = request_id();
    let client_rid = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| rid.clone());
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    set_ids(response.headers_mut(), &rid, &client_rid);
    response
}

fn set_ids(headers: &mut HeaderMap, rid: &str, client_rid: &str) {
    if let Ok(v) = HeaderValue::from_str(rid) {
        headers.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(client_rid) {
        headers.insert("client-request-id", v);
    }
}

/// The caller of a Graph endpoint: the claims of the access token it presented. Extracting it
/// answers Graph's 401 for a missing, foreign, expired or revoked token (see [`authenticate`]).
pub struct Caller(pub Claims);

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        authenticate(shared, &parts.headers).map(Caller)
    }
}

/// The caller of a directory endpoint: the tenant its token lets it read (see
/// [`directory_tenant`]), or Graph's 401/403 answer.
pub struct DirectoryCaller {
    pub tenant: String,
}

impl FromRequestParts<Arc<Shared>> for DirectoryCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let claims = authenticate(shared, &parts.headers)?;
        let tenant = directory_tenant(shared, &claims, &parts.headers)?;
        Ok(Self { tenant })
    }
}

/// The claims of the request's Graph token, or the 401 Graph answers.
pub fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Claims, Response> {
    let raw = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let result = match bearer(raw) {
        None => Err(Rejection::Missing),
        Some(token) => shared.signer.verify(token, unix_now()).and_then(|claims| {
            if claims.aud != shared.graph_audience {
                Err(Rejection::WrongAudience)
            } else if claims.generation < shared.lock().token_generation {
                Err(Rejection::Revoked)
            } else {
                Ok(claims)
            }
        }),
    };
    result.map_err(|rejection| unauthorized(rejection, headers))
}

/// Graph's 401 for a token it refuses.
fn unauthorized(rejection: Rejection, headers: &HeaderMap) -> Response {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        rejection.graph_message(),
        headers,
    );
    response.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"",
        ),
    );
    response
}

/// The 401 of a token that expired while a listing was under way.
pub fn token_expired(headers: &HeaderMap) -> Response {
    unauthorized(Rejection::Expired, headers)
}

/// The tenant whose directory the token may read, or 403 when the partner user's GDAP
/// relationship grants no directory role there.
pub fn directory_tenant(
    shared: &Shared,
    claims: &Claims,
    headers: &HeaderMap,
) -> Result<String, Response> {
    let state = shared.lock();
    let partner = state.estate.partner.tenant_id.clone();
    if claims.delegated()
        && claims.tid != partner
        && (state.faults.gdap_role_missing.contains(&claims.tid)
            || state.faults.dap_only.contains(&claims.tid))
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            headers,
        ));
    }
    if state.estate.tenant(&claims.tid).is_none() {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            Rejection::BadSignature.graph_message(),
            headers,
        ));
    }
    Ok(claims.tid.clone())
}

/// What Graph answers for an API the sandbox's cloud does not offer: the same 400 as for an
/// unknown segment.
pub fn not_in_this_cloud(segment: &str, headers: &HeaderMap) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!("Resource not found for the segment '{segment}'."),
        headers,
    )
}

/// 403 `Authorization_RequestDenied`, as Graph answers a caller without the permission.
pub fn denied(headers: &HeaderMap) -> Response {
    error(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        headers,
    )
}

/// Graph answers unknown paths with 400 naming the segment it could not resolve.
async fn unknown_segment(headers: HeaderMap, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let version = segments.first().copied().unwrap_or("");
    if version != "v1.0" && version != "beta" {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Invalid version: {version}"),
            &headers,
        );
    }
    let segment = if version == "v1.0" && segments.contains(&"managedTenants") {
        "managedTenants"
    } else {
        segments.last().copied().unwrap_or("")
    };
    error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!("Resource not found for the segment '{segment}'."),
        &headers,
    )
}

/// What the fault gate decided for one request.
enum Verdict {
    Pass,
    Throttle { retry_after: Option<u64> },
    Unavailable { retry_after: Option<u64> },
}

/// Counts the request, waits the configured latency and injects throttling and outages.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let (latency, verdict) = {
        let mut state = shared.lock();
        *state.counters.entry(path).or_default() += 1;
        let faults = &state.faults;
        let (throttle_rate, unavailable_rate) =
            (faults.graph_throttle_rate, faults.graph_unavailable_rate);
        let retry_after = (!faults.omit_retry_after).then_some(faults.retry_after_secs);
        let unavailable_retry_after = faults.unavailable_retry_after_secs;
        let verdict = if state.faults.graph_throttle_next > 0 {
            state.faults.graph_throttle_next -= 1;
            Verdict::Throttle { retry_after }
        } else if state.faults.graph_unavailable_next > 0 {
            state.faults.graph_unavailable_next -= 1;
            Verdict::Unavailable {
                retry_after: unavailable_retry_after,
            }
        } else if throttle_rate > 0.0 && state.rng.random_bool(throttle_rate.clamp(0.0, 1.0)) {
            Verdict::Throttle { retry_after }
        } else if unavailable_rate > 0.0 && state.rng.random_bool(unavailable_rate.clamp(0.0, 1.0))
        {
            Verdict::Unavailable {
                retry_after: unavailable_retry_after,
            }
        } else {
            Verdict::Pass
        };
        (state.latency(), verdict)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let headers = request.headers().clone();
    match verdict {
        Verdict::Pass => next.run(request).await,
        Verdict::Throttle { retry_after } => {
            let claims = bearer(
                headers
                    .get(axum::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
            )
            .and_then(|t| shared.signer.verify(t, unix_now()).ok());
            let (app, tenant) = claims
                .map(|c| (c.appid, c.tid))
                .unwrap_or_else(|| ("unknown".into(), "unknown".into()));
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                &format!(
                    "Too many requests from Identifier:{app}+{tenant} under category:throttle.aad.ags.appId.large. Please try again later."
                ),
                &headers,
            );
            let h = response.headers_mut();
            if let Some(secs) = retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                h.insert(axum::http::header::RETRY_AFTER, v);
            }
            if let Ok(v) =
                HeaderValue::from_str(&format!("Tenant_Application/ReadWrite/{app}/{tenant}"))
            {
                h.insert("x-ms-throttle-scope", v);
            }
            h.insert(
                "x-ms-throttle-information",
                HeaderValue::from_static("ResourceUnitLimitExceeded"),
            );
            response
        }
        Verdict::Unavailable { retry_after } => {
            let mut response = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is currently unavailable. Please try again later.",
                &headers,
            );
            if let Some(secs) = retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
            response
        }
    }
}

/// The failing-page answer for a tenant's listing.
pub fn failing_page_response(status: u16, headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(if status == 0 { 500 } else { status })
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (code, message) = match status.as_u16() {
        503 => (
            "serviceNotAvailable",
            "The service is currently unavailable. Please try again later.",
        ),
        504 => (
            "GatewayTimeout",
            "The gateway did not receive a response in time.",
        ),
        _ => (
            "generalException",
            "An internal server error occurred while processing the request.",
        ),
    };
    error(status, code, message, headers)
}
