//! The partner sign-in: the authorize URL (PKCE S256 and a signed state), state verification in
//! the callback, the code exchange and refresh-token redemption. Token sets are returned to the
//! host, which persists them (refresh tokens rotate on every use).

use std::time::Duration;

use entra_core::store::{NonceStore, StoreError};
use entra_providers::auth::{StateExpectation, StateSigner, begin_authorization};
use entra_providers::host::{self, AuthSettings, token_set_json};
use entra_providers::secrets::Secret;
use pyo3::prelude::*;
use serde_json::json;

use crate::convert::{self, JsonOut};
use crate::errors;
use crate::providers::{host_error, to_json};
use crate::{pure, runtime};

fn read_auth(py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<AuthSettings> {
    let value = pure::json_arg(py, settings, "settings")?;
    host::auth_settings_from_json(&value).map_err(|e| host_error(py, &e))
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
        let config = input.sign_in_config().map_err(provider)?;
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
/// default), then tenant, user and redirect URI. With `consume_nonce`, the state is single-use:
/// the hook `consume_nonce(nonce, expires_at_ms) -> bool` must record the nonce atomically and
/// return `False` when it was already used, and a replay raises `AuthError(code="state_replayed")`.
/// Returns the claims, or raises `AuthError` with a `state_*` code.
#[pyfunction]
#[pyo3(signature = (state, signing_key, expected_tenant, expected_user, redirect_uri, ttl = None, consume_nonce = None))]
#[allow(clippy::too_many_arguments)]
pub fn verify_state(
    py: Python<'_>,
    state: &str,
    signing_key: String,
    expected_tenant: String,
    expected_user: String,
    redirect_uri: String,
    ttl: Option<f64>,
    consume_nonce: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    errors::guard(|| {
        let signer = signer(py, signing_key, ttl)?;
        let expected = StateExpectation {
            tenant: expected_tenant,
            user: expected_user,
            redirect_uri,
        };
        let verified = match &consume_nonce {
            None => signer.verify(state, &expected),
            // The hook runs on this thread, with the GIL held: the future never waits on I/O.
            Some(hook) => futures::executor::block_on(signer.verify_once(
                state,
                &expected,
                &PythonNonces { hook },
            )),
        };
        let claims = verified.map_err(|e| errors::error(py, &e))?;
        Ok(convert::to_py(py, &to_json(&claims)?)?.unbind())
    })
}

/// A host's `consume_nonce(nonce, expires_at_ms) -> bool` as the nonce store of a state check.
/// A hook that raises makes the check fail with `state_nonce_unavailable`, naming only the
/// exception's type (its message is the host's).
struct PythonNonces<'a> {
    hook: &'a Py<PyAny>,
}

#[async_trait::async_trait]
impl NonceStore for PythonNonces<'_> {
    async fn consume_nonce(&self, nonce: &str, expires_at_ms: u64) -> Result<bool, StoreError> {
        Python::attach(|py| {
            self.hook
                .call1(py, (nonce, expires_at_ms))
                .and_then(|r| r.bind(py).is_truthy())
                .map_err(|err| {
                    let kind = err
                        .get_type(py)
                        .qualname()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| "an exception".to_string());
                    StoreError::Backend {
                        message: format!("the consume_nonce hook raised {kind}"),
                    }
                })
        })
    }
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
    let scopes = input.scopes();
    let authority = input.authority();
    let client = input.token_client().map_err(provider)?;
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
    let client = input
        .token_client()
        .map_err(|e| errors::provider_error(py, &e))?;
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
