//! The Microsoft identity platform (v2) endpoints: `/{tenant}/oauth2/v2.0/token` (client
//! credentials, refresh token with rotation, authorization code with PKCE) and an authorize
//! endpoint that approves at once, answering errors in AAD's JSON shape with AADSTS codes.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::clock::{aad_timestamp, unix_now};
use super::config::TokenFault;
use super::ids::opaque;
use super::query::Params;
use super::state::{AuthCode, RefreshGrant, Shared, State as SharedState, request_id};

/// The login router, served at the root of its listener.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .layer(from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// Counts the request and waits the configured latency.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let latency = {
        let mut state = shared.lock();
        *state
            .counters
            .entry(request.uri().path().to_string())
            .or_default() += 1;
        state.latency()
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.run(request).await
}

/// An AAD token-endpoint error: `error`, `error_description` (`AADSTSnnnn: ...`), `error_codes`,
/// `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = request_id();
    let correlation = request_id();
    let timestamp = aad_timestamp(unix_now());
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (status, axum::Json(body)).into_response()
}

fn bad(error: &str, code: u32, description: &str) -> Response {
    aad_error(StatusCode::BAD_REQUEST, error, code, description)
}

/// The error a token fault produces.
fn fault_response(fault: TokenFault, tenant: &str, client_id: &str) -> Response {
    match fault {
        TokenFault::ConsentMissing => bad(
            "invalid_grant",
            65001,
            &format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named 'Partner Sync'. Send an interactive authorization request for this user and resource."
            ),
        ),
        TokenFault::UserNotInTenant => bad(
            "invalid_grant",
            50020,
            &format!(
                "User account from identity provider 'https://sts.windows.net/{tenant}/' does not exist in tenant and cannot access the application '{client_id}' in that tenant."
            ),
        ),
        TokenFault::MfaRequired => bad(
            "interaction_required",
            50076,
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
        ),
        TokenFault::ConditionalAccess => bad(
            "invalid_grant",
            53003,
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        ),
        TokenFault::RefreshTokenExpired => bad(
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued on 2026-01-01T00:00:00.0000000Z and was inactive for 90.00:00:00.",
        ),
        TokenFault::ClientSecretExpired => aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000222,
            &format!(
                "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app."
            ),
        ),
    }
}

/// Which registered app is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Partner,
    Cipp,
}

/// The tenant a path segment names: `organizations`/`common` mean the partner user's home.
fn resolve_tenant(state: &SharedState, segment: &str) -> Option<String> {
    if segment.eq_ignore_ascii_case("organizations") || segment.eq_ignore_ascii_case("common") {
        return Some(state.estate.partner.tenant_id.clone());
    }
    state.estate.tenant(segment).map(|t| t.tenant_id.clone())
}

/// The resource a scope list asks for, or an error answer.
fn resource(scope: &str, graph_audience: &str, cipp_resource: &str) -> Result<String, Response> {
    let mut found: Option<String> = None;
    for s in scope.split_whitespace() {
        if ["openid", "offline_access", "profile", "email"].contains(&s) {
            continue;
        }
        let r = match s.rfind('/') {
            Some(i) if s.contains("://") => s[..i].to_string(),
            _ => graph_audience.to_string(),
        };
        let r = if r.eq_ignore_ascii_case(graph_audience) {
            graph_audience.to_string()
        } else {
            r
        };
        match &found {
            Some(existing) if *existing != r => {
                return Err(bad(
                    "invalid_request",
                    28000,
                    &format!(
                        "Provided value for the input parameter scope '{scope}' is not valid because it contains more than one resource."
                    ),
                ));
            }
            _ => found = Some(r),
        }
    }
    let r = found.unwrap_or_else(|| graph_audience.to_string());
    if r == graph_audience || r == cipp_resource {
        Ok(r)
    } else {
        Err(bad(
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {r} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
            ),
        ))
    }
}

/// The `scope` a token response reports for delegated Graph access.
fn granted_scope(requested: &str, resource: &str) -> String {
    let mut out: Vec<String> = requested
        .split_whitespace()
        .filter(|s| !["openid", "offline_access", "profile", "email"].contains(s))
        .map(|s| {
            if s.ends_with("/.default") {
                format!("{resource}/User.Read.All {resource}/Directory.Read.All")
            } else if s.contains("://") {
                s.to_string()
            } else {
                format!("{resource}/{s}")
            }
        })
        .collect();
    if out.is_empty() {
        out.push(format!("{resource}/User.Read"));
    }
    out.join(" ")
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant_segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::parse(std::str::from_utf8(&body).ok());
    // Client authentication: form fields, or HTTP Basic.
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let client_id = form
        .get("client_id")
        .map(str::to_string)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
    let client_secret = form
        .get("client_secret")
        .map(str::to_string)
        .or_else(|| basic.as_ref().map(|(_, s)| s.clone()));
    let Some(grant_type) = form.get("grant_type").map(str::to_string) else {
        return bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    let Some(client_id) = client_id else {
        return bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let mut state = shared.lock();
    let Some(tenant_id) = resolve_tenant(&state, &tenant_segment) else {
        return bad(
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant_segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    };
    let creds = &shared.credentials;
    let cipp_resource = format!("api://{}", creds.cipp_client_id);
    let app = if client_id == creds.client_id {
        App::Partner
    } else if client_id == creds.cipp_client_id && tenant_id == creds.cipp_tenant_id {
        App::Cipp
    } else {
        return bad(
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant_segment}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
            ),
        );
    };
    let Some(secret) = client_secret else {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    };
    let expected = match app {
        App::Partner => &creds.client_secret,
        App::Cipp => &creds.cipp_client_secret,
    };
    if secret != *expected {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        );
    }
    let fault = state.faults.token_errors.get(&tenant_id).copied();
    if fault == Some(TokenFault::ClientSecretExpired) {
        return fault_response(TokenFault::ClientSecretExpired, &tenant_id, &client_id);
    }
    let scope = form.get("scope").unwrap_or("").to_string();
    let lifetime = shared.token_lifetime;
    match grant_type.as_str() {
        "client_credentials" => {
            if scope.trim().is_empty() {
                return bad(
                    "invalid_request",
                    90014,
                    "The required field 'scope' is missing from the credential. Ensure that you have all the necessary parameters for the login request.",
                );
            }
            if !scope.split_whitespace().all(|s| s.ends_with("/.default")) {
                return bad(
                    "invalid_scope",
                    1002012,
                    &format!(
                        "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                    ),
                );
            }
            let aud = match resource(&scope, &shared.graph_audience, &cipp_resource) {
                Ok(a) => a,
                Err(r) => return r,
            };
            if aud == cipp_resource && app != App::Cipp {
                return bad(
                    "unauthorized_client",
                    501051,
                    &format!(
                        "Application '{client_id}' is not assigned to a role for the application '{cipp_resource}'."
                    ),
                );
            }
            let customer = tenant_id != state.estate.partner.tenant_id;
            if customer && fault == Some(TokenFault::ConsentMissing) {
                return bad(
                    "unauthorized_client",
                    700016,
                    &format!(
                        "Application with identifier '{client_id}' was not found in the directory '{tenant_segment}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                    ),
                );
            }
            if let Some(f @ TokenFault::ConditionalAccess) = fault {
                return fault_response(f, &tenant_id, &client_id);
            }
            let access = shared.mint(&mut state, &aud, &tenant_id, &client_id, None, None);
            axum::Json(json!({
                "token_type": "Bearer",
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": access,
            }))
            .into_response()
        }
        "refresh_token" => {
            let Some(rt) = form.get("refresh_token") else {
                return bad(
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: 'refresh_token'.",
                );
            };
            let Some(grant) = state.refresh_tokens.get(rt).cloned() else {
                return bad(
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid.",
                );
            };
            if grant.revoked {
                return fault_response(TokenFault::RefreshTokenExpired, &tenant_id, &client_id);
            }
            if grant.client_id != client_id {
                return bad(
                    "invalid_grant",
                    70000,
                    "Provided grant is invalid or malformed.",
                );
            }
            if grant.redeemed && state.faults.one_time_refresh_tokens {
                return bad(
                    "invalid_grant",
                    50173,
                    "The provided grant has expired due to it being revoked, a fresh auth token is needed. The refresh token was already redeemed.",
                );
            }
            if let Some(f) = fault {
                return fault_response(f, &tenant_id, &client_id);
            }
            // Without a scope, the grant's original scopes apply.
            let scope = if scope.trim().is_empty() {
                grant.scope.clone()
            } else {
                scope
            };
            let answer = delegated_tokens(
                &shared,
                &mut state,
                &tenant_id,
                &client_id,
                &grant,
                &scope,
                &cipp_resource,
                true,
            );
            if answer.status().is_success()
                && let Some(redeemed) = state.refresh_tokens.get_mut(rt)
            {
                redeemed.redeemed = true;
            }
            answer
        }
        "authorization_code" => {
            let Some(code) = form.get("code") else {
                return bad(
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: 'code'.",
                );
            };
            let Some(issued) = state.codes.get(code).cloned() else {
                return bad(
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid.",
                );
            };
            if issued.redeemed {
                return bad(
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                );
            }
            if unix_now() > issued.expires {
                return bad(
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                );
            }
            if issued.client_id != client_id {
                return bad(
                    "invalid_grant",
                    70000,
                    "Provided grant is invalid or malformed.",
                );
            }
            if issued.tenant_id != tenant_id {
                return bad(
                    "invalid_grant",
                    700005,
                    "Provided Authorization Code is intended to use against other tenant, thus rejected.",
                );
            }
            let redirect_uri = form.get("redirect_uri").unwrap_or("");
            if redirect_uri != issued.redirect_uri {
                return bad(
                    "invalid_grant",
                    500112,
                    &format!(
                        "The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.",
                        issued.redirect_uri
                    ),
                );
            }
            if let Some(challenge) = &issued.code_challenge {
                let verifier = form.get("code_verifier").unwrap_or("");
                let computed = match issued.code_challenge_method.as_deref() {
                    Some(m) if m.eq_ignore_ascii_case("S256") => {
                        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                    }
                    _ => verifier.to_string(),
                };
                if verifier.is_empty() || computed != *challenge {
                    return bad(
                        "invalid_grant",
                        501481,
                        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                    );
                }
            }
            if let Some(f) = fault.filter(|f| *f != TokenFault::RefreshTokenExpired) {
                return fault_response(f, &tenant_id, &client_id);
            }
            if let Some(c) = state.codes.get_mut(code) {
                c.redeemed = true;
            }
            let grant = RefreshGrant {
                client_id: client_id.clone(),
                user_id: state.estate.partner_user_id.clone(),
                upn: state.estate.partner_user_upn.clone(),
                scope: issued.scope.clone(),
                revoked: false,
                redeemed: false,
            };
            let with_rt = issued
                .scope
                .split_whitespace()
                .any(|s| s == "offline_access");
            let scope = if scope.trim().is_empty() {
                issued.scope.clone()
            } else {
                scope
            };
            delegated_tokens(
                &shared,
                &mut state,
                &tenant_id,
                &client_id,
                &grant,
                &scope,
                &cipp_resource,
                with_rt,
            )
        }
        other => bad(
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

/// The token response of a delegated grant: access token, rotated refresh token, id token.
#[allow(clippy::too_many_arguments)]
fn delegated_tokens(
    shared: &Shared,
    state: &mut SharedState,
    tenant_id: &str,
    client_id: &str,
    grant: &RefreshGrant,
    scope: &str,
    cipp_resource: &str,
    with_refresh_token: bool,
) -> Response {
    let aud = match resource(scope, &shared.graph_audience, cipp_resource) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if aud == cipp_resource {
        return bad(
            "invalid_grant",
            65001,
            &format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named 'Partner Sync'. Send an interactive authorization request for this user and resource."
            ),
        );
    }
    let granted = granted_scope(scope, &aud);
    let access = shared.mint(
        state,
        &aud,
        tenant_id,
        client_id,
        Some((&grant.user_id, &grant.upn)),
        Some(granted.clone()),
    );
    let lifetime = shared.token_lifetime;
    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("scope".into(), json!(granted));
    body.insert("expires_in".into(), json!(lifetime));
    body.insert("ext_expires_in".into(), json!(lifetime));
    body.insert("access_token".into(), json!(access));
    if with_refresh_token {
        let rt = state.issue_refresh_token(RefreshGrant {
            revoked: false,
            redeemed: false,
            ..grant.clone()
        });
        body.insert("refresh_token".into(), json!(rt));
    }
    if scope.split_whitespace().any(|s| s == "openid") {
        let id_token = shared.mint(
            state,
            client_id,
            tenant_id,
            client_id,
            Some((&grant.user_id, &grant.upn)),
            None,
        );
        body.insert("id_token".into(), json!(id_token));
    }
    axum::Json(Value::Object(body)).into_response()
}

/// An error page (the authorize endpoint shows these instead of redirecting when it cannot trust
/// the redirect URI).
fn error_page(code: u32, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<html><body><h1>Sign in</h1><p>AADSTS{code}: {message}</p></body></html>"),
    )
        .into_response()
}

async fn authorize(
    State(shared): State<Arc<Shared>>,
    Path(tenant_segment): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let client_id = params.get("client_id").unwrap_or("").to_string();
    if client_id != shared.credentials.client_id {
        return error_page(
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory."),
        );
    }
    let Some(redirect_uri) = params.get("redirect_uri").map(str::to_string) else {
        return error_page(
            900144,
            "The request body must contain the following parameter: 'redirect_uri'.",
        );
    };
    if !shared.redirect_uris.is_empty() && !shared.redirect_uris.contains(&redirect_uri) {
        return error_page(
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        );
    }
    let Ok(mut target) = url::Url::parse(&redirect_uri) else {
        return error_page(50011, "The redirect URI is not a valid URL.");
    };
    let state_param = params.get("state").map(str::to_string);
    let redirect_error = |mut target: url::Url, error: &str, description: &str| {
        {
            let mut q = target.query_pairs_mut();
            q.append_pair("error", error);
            q.append_pair("error_description", description);
            if let Some(s) = &state_param {
                q.append_pair("state", s);
            }
        }
        redirect(target.as_str())
    };
    if !params
        .get("response_type")
        .is_some_and(|r| r.split_whitespace().any(|t| t == "code"))
    {
        return redirect_error(
            target,
            "unsupported_response_type",
            "AADSTS700054: response_type 'code' is required for this flow.",
        );
    }
    let code_challenge = params.get("code_challenge").map(str::to_string);
    let method = params.get("code_challenge_method").map(str::to_string);
    if code_challenge.is_some()
        && method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case("S256") && !m.eq_ignore_ascii_case("plain"))
    {
        return redirect_error(
            target,
            "invalid_request",
            "AADSTS501491: Invalid size of Code_Challenge parameter or unsupported code_challenge_method.",
        );
    }
    let mut state = shared.lock();
    let Some(tenant_id) = resolve_tenant(&state, &tenant_segment) else {
        return error_page(90002, &format!("Tenant '{tenant_segment}' not found."));
    };
    if tenant_id != state.estate.partner.tenant_id {
        return redirect_error(
            target,
            "access_denied",
            "AADSTS50020: User account from identity provider does not exist in tenant and cannot access the application in that tenant.",
        );
    }
    if state.faults.authorize_denied {
        return redirect_error(
            target,
            "access_denied",
            "AADSTS65004: User declined to consent to access the app.",
        );
    }
    let code = format!("1.AXsA{}", opaque(&mut state.estate_rng, 96));
    state.codes.insert(
        code.clone(),
        AuthCode {
            client_id,
            redirect_uri,
            tenant_id,
            scope: params.get("scope").unwrap_or("").to_string(),
            code_challenge,
            code_challenge_method: method,
            expires: unix_now() + 600,
            redeemed: false,
        },
    );
    drop(state);
    {
        let mut q = target.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &state_param {
            q.append_pair("state", s);
        }
        q.append_pair("session_state", &request_id());
    }
    redirect(target.as_str())
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, v);
    }
    response
}
