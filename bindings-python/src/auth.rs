//! The partner sign-in: the authorize URL (PKCE S256 and a signed state), state verification in
//! the callback, the code exchange and refresh-token redemption, all decided by
//! `entra_providers::host::auth`. Token sets are returned to the host, which persists them
//! (refresh tokens rotate on every use).

use entra_core::store::{NonceStore, StoreError};
use entra_providers::auth::StateExpectation;
use entra_providers::host::auth::{self as host_auth, CodeExchange, TokenRefresh};
use entra_providers::host::{self, AuthSettings};
use pyo3::prelude::*;
use serde_json::Value;

use crate::errors;
use crate::providers::host_error;
use crate::{de, runtime, ser};

fn read_auth(py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<AuthSettings> {
    let value: Value = de::arg(py, settings, "settings")?;
    host::auth_settings_from_json(&value).map_err(|e| host_error(py, &e))
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
        let value =
            host_auth::authorization_start_json(&input, signing_key, host_tenant, host_user)
                .map_err(|e| host_error(py, &e))?;
        Ok(ser::small_to_py(py, &value)?.unbind())
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
        let expected = StateExpectation {
            tenant: expected_tenant,
            user: expected_user,
            redirect_uri,
        };
        let nonces = consume_nonce.as_ref().map(|hook| PythonNonces { hook });
        let nonces = nonces.as_ref().map(|n| n as &dyn NonceStore);
        // The hook runs on this thread, with the GIL held: the future never waits on I/O.
        let claims = futures::executor::block_on(host_auth::verify_state_json(
            state,
            signing_key,
            &expected,
            ttl,
            nonces,
        ))
        .map_err(|e| host_error(py, &e))?;
        Ok(ser::small_to_py(py, &claims)?.unbind())
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
                .map_err(|err| StoreError::Backend {
                    message: format!(
                        "the consume_nonce hook raised {}",
                        errors::raised_type(py, &err)
                    ),
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
    let exchange = CodeExchange::new(&read_auth(py, settings)?).map_err(|e| host_error(py, &e))?;
    runtime::spawn_awaitable(py, async move {
        let tokens = exchange.run(code, code_verifier).await;
        Ok(ser::Out(tokens.map_err(errors::py_err)?))
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
    let refresh =
        TokenRefresh::new(&read_auth(py, settings)?, scope).map_err(|e| host_error(py, &e))?;
    runtime::spawn_awaitable(py, async move {
        let tokens = refresh.run(refresh_token).await;
        Ok(ser::Out(tokens.map_err(errors::py_err)?))
    })
}

/// Registers the functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_functions!(
        m,
        [authorize_url, verify_state, exchange_code, refresh_tokens]
    );
    Ok(())
}
