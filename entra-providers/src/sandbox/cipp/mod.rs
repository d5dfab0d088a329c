//! The CIPP API (`/api/{Endpoint}`): EasyAuth in front (a bearer minted for `api://{clientId}`,
//! else 401 with an empty body), plain-text errors, and the three endpoints a sync needs.

mod graph_request;
mod tenants;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rand::Rng;
use serde_json::json;

use super::clock::unix_now;
use super::config::{CippDenial, TokenFault};
use super::estate::SandboxTenant;
use super::query::Params;
use super::state::Shared;
use super::tokens::bearer;

/// The CIPP router, served at the root of its listener.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/{endpoint}", any(endpoint))
        .fallback(|| async { text(StatusCode::NOT_FOUND, "Endpoint not found") })
        .layer(from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// A plain-text answer, as CIPP's PowerShell handlers produce.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        body.into(),
    )
        .into_response()
}

/// Counts the request, waits the configured latency and injects gateway errors.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (latency, gateway) = {
        let mut state = shared.lock();
        *state
            .counters
            .entry(request.uri().path().to_string())
            .or_default() += 1;
        let rate = state.faults.cipp_gateway_error_rate;
        let status = state.faults.cipp_gateway_status;
        let fail = if state.faults.cipp_gateway_error_next > 0 {
            state.faults.cipp_gateway_error_next -= 1;
            true
        } else {
            rate > 0.0 && state.rng.random_bool(rate.clamp(0.0, 1.0))
        };
        (state.latency(), fail.then_some(status))
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match gateway {
        None => next.run(request).await,
        Some(502) => text(
            StatusCode::BAD_GATEWAY,
            "502 - Web server received an invalid response while acting as a gateway or proxy server.",
        ),
        Some(504) => text(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout"),
        Some(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is unavailable.",
        ),
    }
}

/// The endpoints CIPP knows (matched case-insensitively, as PowerShell command lookup does).
const ENDPOINTS: &[&str] = &["me", "ListTenants", "ListUsers", "ListGraphRequest"];

async fn endpoint(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    // EasyAuth runs before any CIPP code: a bad token never reaches the endpoint lookup.
    if let Err(r) = authenticate(&shared, &headers) {
        return r;
    }
    let Some(name) = ENDPOINTS.iter().find(|e| e.eq_ignore_ascii_case(&name)) else {
        return text(StatusCode::NOT_FOUND, "Endpoint not found");
    };
    let params = Params::parse(query.as_deref());
    let denial = shared.lock().faults.cipp_denial;
    if let Some(r) = denied(denial, name, &params) {
        return r;
    }
    match *name {
        "me" => me(&shared),
        "ListTenants" => tenants::list_tenants(&shared, &params),
        "ListUsers" => users::list_users(&shared, &params),
        _ => graph_request::list_graph_request(&shared, &params),
    }
}

/// EasyAuth: a valid, unexpired token whose audience is the API client. Anything else is a 401
/// with an empty body.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let unauthorized = || (StatusCode::UNAUTHORIZED, "").into_response();
    let token = bearer(
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    )
    .ok_or_else(unauthorized)?;
    let claims = shared
        .signer
        .verify(token, unix_now())
        .map_err(|_| unauthorized())?;
    let expected = format!("api://{}", shared.credentials.cipp_client_id);
    if claims.aud != expected
        || claims.appid != shared.credentials.cipp_client_id
        || claims.generation < shared.lock().token_generation
    {
        return Err(unauthorized());
    }
    Ok(())
}

/// The 403 plain text a configured denial produces for this endpoint.
fn denied(denial: Option<CippDenial>, name: &str, params: &Params) -> Option<Response> {
    let permission = if name == "ListUsers" {
        "Identity.User.Read"
    } else {
        "CIPP.Core.Read"
    };
    let body = match denial? {
        CippDenial::SubscriptionEnded => {
            "Your CIPP subscription has ended. Access to this instance is no longer available."
                .to_string()
        }
        _ if name == "me" => return None,
        CippDenial::RoleLacksPermission => format!(
            "Access to this CIPP API endpoint is not allowed, you do not have the required permission: {permission}"
        ),
        CippDenial::IpNotAllowed => "Access to this CIPP API endpoint is not allowed, the API Client does not have the required permission".to_string(),
        CippDenial::TenantNotAllowed => {
            if params.get("tenantFilter").is_none() || name == "ListTenants" {
                return None;
            }
            "Access to this tenant is not allowed".to_string()
        }
    };
    Some(text(StatusCode::FORBIDDEN, body))
}

fn me(shared: &Shared) -> Response {
    axum::Json(json!({
        "clientPrincipal": {
            "appId": shared.credentials.cipp_client_id,
            "appRole": [],
        },
        "permissions": ["CIPP.Core.Read", "Identity.User.Read", "Tenant.Administration.Read"],
    }))
    .into_response()
}

/// The tenant a `tenantFilter` names (id or any verified domain); `None` for an unknown one.
/// A missing filter means the partner's own tenant, as in CIPP.
pub fn resolve(shared: &Shared, params: &Params) -> Option<SandboxTenant> {
    let state = shared.lock();
    match params.get("tenantFilter").map(str::trim) {
        None | Some("") => Some(state.estate.partner.clone()),
        Some(key) => state.estate.tenant(key).cloned(),
    }
}

/// What CIPP's `Get-NormalizedError` makes of a token failure for a tenant.
pub fn normalized_token_error(fault: TokenFault) -> &'static str {
    match fault {
        TokenFault::ConsentMissing => {
            "We cannot access this tenant as consent has not been given, please try refreshing the CPV permissions in the application settings menu."
        }
        TokenFault::ConditionalAccess => {
            "Access has been blocked by Conditional Access policies. Please check the Conditional Access configuration documentation"
        }
        TokenFault::RefreshTokenExpired => {
            "The CIPP user access token has expired. Run the Setup Wizard to refresh your tokens."
        }
        TokenFault::UserNotInTenant => {
            "We were unable to find the user. This might be because you are a guest in this tenant, or your are using GDAP and have not added the user to the correct group. Please check your GDAP configuration."
        }
        TokenFault::MfaRequired => {
            "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource."
        }
        TokenFault::ClientSecretExpired => {
            "The CIPP application secret has expired. Run the Setup Wizard to refresh your tokens."
        }
    }
}

/// The raw token error CIPP records (`LastGraphError`, ListUsers' 500 text).
pub fn raw_token_error(fault: TokenFault) -> String {
    let code = fault.aadsts();
    let text = match fault {
        TokenFault::ConsentMissing => {
            "The user or administrator has not consented to use the application with ID 'cipp-sam' named 'CIPP-SAM'. Send an interactive authorization request for this user and resource."
        }
        TokenFault::UserNotInTenant => "User account does not exist in tenant.",
        TokenFault::MfaRequired => {
            "You must use multi-factor authentication to access the resource."
        }
        TokenFault::ConditionalAccess => "Access has been blocked by Conditional Access policies.",
        TokenFault::RefreshTokenExpired => "The refresh token has expired due to inactivity.",
        TokenFault::ClientSecretExpired => "The provided client secret keys are expired.",
    };
    format!("invalid_grant:AADSTS{code}: {text}")
}
