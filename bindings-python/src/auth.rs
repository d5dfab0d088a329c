//! The partner sign-in: the authorize URL (PKCE S256 and a signed state), state verification in
//! the callback, the code exchange and refresh-token redemption. Token sets are returned to the
//! host, which persists them (refresh tokens rotate on every use).

use std::time::Duration;

use entra_providers::auth::{
    SignInConfig, StateExpectation, StateSigner, TokenClient, TokenSet, begin_authorization,
};
use entra_providers::http::HttpClient;
use entra_providers::secrets::Secret;
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::convert::{self, JsonOut};
use crate::errors;
use crate::providers::to_json;
use crate::settings::AuthInput;
use crate::{pure, runtime};

fn read_auth(py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<AuthInput> {
    let value = pure::json_arg(py, settings, "settings")?;
    entra_core::json::from_value(&value).map_err(|e| errors::core_error(py, &e))
}

fn signer(py: Python<'_>, key: String, ttl: Option<f64>) -> PyResult<StateSigner> {
    let signer = StateSigner::new(Secret::new(key)).map_err(|e| errors::error(py, &e))?;
    Ok(match ttl {
        Some(seconds) => signer.with_ttl(Duration::try_from_secs_f64(seconds).map_err(|_| {
            errors::invalid_input(py, "`ttl` must be a non-negative number of seconds")
        })?),
        None => signer,
    })
}

/// The token set as the host persists it. It holds the tokens themselves: store it in a vault,
/// never in logs.
pub fn token_set_json(tokens: &TokenSet) -> Value {
    json!({
        "accessToken": tokens.access_token.expose(),
        "refreshToken": tokens.refresh_token.as_ref().map(|t| t.expose()),
        "expiresAt": tokens.expires_at,
        "scope": tokens.scope,
    })
}

/// Starts a partner sign-in for `host_tenant`/`host_user`: returns `{url, state, claims,
/// codeVerifier}`. Send the browser to `url`; keep `codeVerifier` server-side for the exchange.
/// `signing_key` (at least 32 bytes) signs the state.
#[pyfunction]
#[pyo3(signature = (settings, signing_key, host_tenant, host_user))]
pub fn authorize_url(
    py: Python<'_>,
    settings: &Bound<'_, PyAny>,
    signing_key: String,
    host_tenant: &str,
    host_user: &str,
) -> PyResult<Py<PyAny>> {
    errors::guard(|| {
        let input = read_auth(py, settings)?;
        let provider = |e: entra_core::provider::ProviderError| errors::provider_error(py, &e);
        let endpoints = input.endpoints().map_err(provider)?;
        let config = SignInConfig {
            client_id: input.client_id.clone(),
            authority: input.authority(),
            redirect_uri: input.redirect_uri().map_err(provider)?,
            scopes: input.scopes.clone(),
            prompt: input.prompt.clone(),
        };
        let signer = signer(py, signing_key, None)?;
        let start = begin_authorization(&endpoints, &signer, &config, host_tenant, host_user)
            .map_err(provider)?;
        let value = json!({
            "url": start.url.as_str(),
            "state": start.state,
            "claims": to_json(&start.claims)?,
            "codeVerifier": start.code_verifier.expose(),
        });
        Ok(convert::to_py(py, &value)?.unbind())
    })
}

/// Checks the `state` a callback received: signature, age (`ttl` seconds, 10 minutes by
/// default), then tenant, user and redirect URI. Returns the claims, or raises `AuthError`
/// with a `state_*` code.
#[pyfunction]
#[pyo3(signature = (state, signing_key, expected_tenant, expected_user, redirect_uri, ttl = None))]
pub fn verify_state(
    py: Python<'_>,
    state: &str,
    signing_key: String,
    expected_tenant: String,
    expected_user: String,
    redirect_uri: String,
    ttl: Option<f64>,
) -> PyResult<Py<PyAny>> {
    errors::guard(|| {
        let signer = signer(py, signing_key, ttl)?;
        let expected = StateExpectation {
            tenant: expected_tenant,
            user: expected_user,
            redirect_uri,
        };
        let claims = signer
            .verify(state, &expected)
            .map_err(|e| errors::error(py, &e))?;
        Ok(convert::to_py(py, &to_json(&claims)?)?.unbind())
    })
}

fn token_client(py: Python<'_>, mut input: AuthInput) -> PyResult<(TokenClient, AuthInput)> {
    let provider = |e: entra_core::provider::ProviderError| errors::provider_error(py, &e);
    let http = HttpClient::new(input.policy().map_err(provider)?).map_err(provider)?;
    let client = TokenClient::new(
        http,
        input.endpoints().map_err(provider)?,
        input.client_id.clone(),
        input.client_secret().map_err(provider)?,
    );
    Ok((client, input))
}

/// Redeems the authorization code of the callback (awaitable of a token set:
/// `{accessToken, refreshToken, expiresAt, scope}`).
#[pyfunction]
pub fn exchange_code<'py>(
    py: Python<'py>,
    settings: &Bound<'py, PyAny>,
    code: String,
    code_verifier: String,
) -> PyResult<Bound<'py, PyAny>> {
    let input = read_auth(py, settings)?;
    let provider = |e: entra_core::provider::ProviderError| errors::provider_error(py, &e);
    let redirect_uri = input.redirect_uri().map_err(provider)?;
    let scopes = input.scopes.clone();
    let authority = input.authority();
    let (client, _) = token_client(py, input)?;
    runtime::spawn_awaitable(py, async move {
        let scopes = scopes.unwrap_or_else(|| client.endpoints().partner_scopes());
        let tokens = client
            .exchange_code(
                &authority,
                &Secret::new(code),
                &redirect_uri,
                &Secret::new(code_verifier),
                &scopes,
            )
            .await
            .map_err(|e| Python::attach(|py| errors::provider_error(py, &e)))?;
        Ok(JsonOut(token_set_json(&tokens)))
    })
}

/// Redeems a refresh token (awaitable of the new token set; persist its `refreshToken`).
/// `scope` defaults to Graph's `.default` scope with `offline_access`.
#[pyfunction]
#[pyo3(signature = (settings, refresh_token, scope = None))]
pub fn refresh_tokens<'py>(
    py: Python<'py>,
    settings: &Bound<'py, PyAny>,
    refresh_token: String,
    scope: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = read_auth(py, settings)?;
    let authority = input.authority();
    let (client, _) = token_client(py, input)?;
    runtime::spawn_awaitable(py, async move {
        let scope = scope.unwrap_or_else(|| {
            format!(
                "{} offline_access",
                client.endpoints().graph_default_scope()
            )
        });
        let tokens = client
            .refresh(&authority, &Secret::new(refresh_token), &scope)
            .await
            .map_err(|e| Python::attach(|py| errors::provider_error(py, &e)))?;
        Ok(JsonOut(token_set_json(&tokens)))
    })
}

/// Registers the functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(authorize_url, m)?)?;
    m.add_function(wrap_pyfunction!(verify_state, m)?)?;
    m.add_function(wrap_pyfunction!(exchange_code, m)?)?;
    m.add_function(wrap_pyfunction!(refresh_tokens, m)?)?;
    Ok(())
}
