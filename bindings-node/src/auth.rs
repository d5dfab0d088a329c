//! The partner sign-in: the authorize URL (PKCE S256 and a signed state), state verification in
//! the callback, the code exchange and refresh-token redemption. Token sets are returned to the
//! host, which persists them (refresh tokens rotate on every use). The sign-in itself is the
//! host layer's (`entra_providers::host::auth`, shared with the Python binding); this module
//! converts, and adapts the host's `consumeNonce` hook.

use entra_core::store::{NonceStore, StoreError};
use entra_providers::auth::StateExpectation;
use entra_providers::host::{self, AuthSettings};
use napi::Env;
use napi::bindgen_prelude::{Function, Promise, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::json;

use crate::errors;
use crate::providers::host_error;
use crate::pure::parse;
use crate::runtime::{self, to_json};

fn read_auth(settings: &str) -> napi::Result<AuthSettings> {
    let value = parse(settings, "settings")?;
    host::auth_settings_from_json(&value).map_err(|e| host_error(&e))
}

/// Starts a partner sign-in for `hostTenant`/`hostUser`: returns the JSON of `{url, state,
/// claims, codeVerifier}`. `signingKey` (at least 32 bytes) signs the state.
#[napi]
pub fn authorize_url_json(
    settings: String,
    signing_key: String,
    host_tenant: String,
    host_user: String,
) -> napi::Result<String> {
    errors::guard(|| {
        let input = read_auth(&settings)?;
        let start =
            host::auth::authorization_start_json(&input, signing_key, &host_tenant, &host_user)
                .map_err(|e| host_error(&e))?;
        to_json(&start)
    })
}

/// The host's `consumeNonce` hook as the addon calls it: `{nonce, expiresAtMs}` JSON in, a
/// Promise of `"true"`, `"false"` or `"error:<name>"` out (`index.js` wraps the hook so).
type NonceHook = ThreadsafeFunction<String, Promise<String>, String, napi::Status, false, true>;

/// A host's `consumeNonce(nonce, expiresAtMs)` as the nonce store of a state check. A hook that
/// throws makes the check fail with `state_nonce_unavailable`, naming only the error's name.
struct NodeNonces {
    hook: NonceHook,
}

#[async_trait::async_trait]
impl NonceStore for NodeNonces {
    async fn consume_nonce(&self, nonce: &str, expires_at_ms: u64) -> Result<bool, StoreError> {
        let failed = |why: String| StoreError::Backend {
            message: format!("the consumeNonce hook {why}"),
        };
        let payload = json!({"nonce": nonce, "expiresAtMs": expires_at_ms}).to_string();
        let promise = self
            .hook
            .call_async(payload)
            .await
            .map_err(|e| failed(format!("could not run ({})", e.status)))?;
        let answer = promise
            .await
            .map_err(|e| failed(format!("failed ({})", e.status)))?;
        match answer.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(failed(format!(
                "threw {}",
                other.strip_prefix("error:").unwrap_or(other)
            ))),
        }
    }
}

/// Checks the `state` a callback received: signature, age (`ttl` seconds, 10 minutes by
/// default), then tenant, user and redirect URI; with `consumeNonce` the state is single-use.
/// A Promise of the claims' JSON.
#[napi(ts_return_type = "Promise<string>")]
#[allow(clippy::too_many_arguments)]
pub fn verify_state_json<'e>(
    env: &'e Env,
    state: String,
    signing_key: String,
    expected_tenant: String,
    expected_user: String,
    redirect_uri: String,
    ttl: Option<f64>,
    #[napi(ts_arg_type = "((request: string) => Promise<string>) | undefined | null")]
    consume_nonce: Option<Function<'_, String, Promise<String>>>,
) -> napi::Result<PromiseRaw<'e, String>> {
    // The signing key and lifetime are checked at the call, before any Promise.
    host::auth::state_signer(signing_key.clone(), ttl).map_err(|e| host_error(&e))?;
    let expected = StateExpectation {
        tenant: expected_tenant,
        user: expected_user,
        redirect_uri,
    };
    let nonces = match consume_nonce {
        Some(hook) => Some(NodeNonces {
            hook: hook
                .build_threadsafe_function::<String>()
                .weak::<true>()
                .callee_handled::<false>()
                .build()?,
        }),
        None => None,
    };
    runtime::spawn(env, async move {
        let store = nonces.as_ref().map(|n| n as &(dyn NonceStore + '_));
        let claims = host::auth::verify_state_json(&state, signing_key, &expected, ttl, store)
            .await
            .map_err(|e| host_error(&e))?;
        to_json(&claims)
    })
}

/// Redeems the authorization code of the callback (Promise of the token set's JSON).
#[napi(ts_return_type = "Promise<string>")]
pub fn exchange_code_json(
    env: &Env,
    settings: String,
    code: String,
    code_verifier: String,
) -> napi::Result<PromiseRaw<'_, String>> {
    let input = read_auth(&settings)?;
    let exchange = host::auth::CodeExchange::new(&input).map_err(|e| host_error(&e))?;
    runtime::json_promise(
        env,
        async move { exchange.run(code, code_verifier).await },
        |e| host_error(&e),
    )
}

/// Redeems a refresh token (Promise of the new token set's JSON; persist its `refreshToken`).
/// `scope` defaults to Graph's `.default` scope with `offline_access`.
#[napi(ts_return_type = "Promise<string>")]
pub fn refresh_tokens_json(
    env: &Env,
    settings: String,
    refresh_token: String,
    scope: Option<String>,
) -> napi::Result<PromiseRaw<'_, String>> {
    let input = read_auth(&settings)?;
    let refresh = host::auth::TokenRefresh::new(&input, scope).map_err(|e| host_error(&e))?;
    runtime::json_promise(env, async move { refresh.run(refresh_token).await }, |e| {
        host_error(&e)
    })
}
