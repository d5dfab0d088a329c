//! The partner sign-in as a host drives it, with JSON in and out: the authorize URL (PKCE S256
//! and a signed state), the state check in the callback, the code exchange and refresh-token
//! redemption. Token sets come back as the JSON a host persists ([`super::token_set_json`]):
//! refresh tokens rotate on every use.
//!
//! The exchange and the refresh are split in two steps: [`CodeExchange::new`] and
//! [`TokenRefresh::new`] check the settings at once (a binding raises their errors at the call),
//! `run` does the network call (a binding awaits it).

use std::time::Duration;

use entra_core::CoreError;
use entra_core::store::NonceStore;
use serde_json::{Value, json};

use super::{AuthSettings, HostError, token_set_json};
use crate::auth::{StateExpectation, StateSigner, TokenClient, begin_authorization};
use crate::secrets::Secret;

/// The state signer of `signing_key` (at least 32 bytes, else `state_weak_key`), with a
/// lifetime of `ttl_seconds` when given (10 minutes by default). A negative or non-finite
/// lifetime is `invalid_input`.
pub fn state_signer(
    signing_key: String,
    ttl_seconds: Option<f64>,
) -> Result<StateSigner, HostError> {
    let signer = StateSigner::new(Secret::new(signing_key))?;
    Ok(match ttl_seconds {
        Some(seconds) => signer.with_ttl(Duration::try_from_secs_f64(seconds).map_err(|_| {
            CoreError::invalid_input("`ttl` must be a non-negative number of seconds")
        })?),
        None => signer,
    })
}

/// Starts a partner sign-in for `host_tenant`/`host_user`: `{url, state, claims, codeVerifier}`.
/// The host sends the browser to `url` and keeps `codeVerifier` server-side for the exchange.
pub fn authorization_start_json(
    settings: &AuthSettings,
    signing_key: String,
    host_tenant: &str,
    host_user: &str,
) -> Result<Value, HostError> {
    let endpoints = settings.endpoints()?;
    let config = settings.sign_in_config()?;
    let signer = state_signer(signing_key, None)?;
    let start = begin_authorization(&endpoints, &signer, &config, host_tenant, host_user)?;
    Ok(json!({
        "url": start.url.as_str(),
        "state": start.state,
        "claims": start.claims,
        "codeVerifier": start.code_verifier.expose(),
    }))
}

/// Checks the `state` a callback received: signature, age (`ttl_seconds`, 10 minutes by
/// default), then tenant, user and redirect URI. With `nonces`, the state is single-use (a
/// replay is `state_replayed`). Returns the claims as JSON, or the `state_*` error.
pub async fn verify_state_json(
    state: &str,
    signing_key: String,
    expected: &StateExpectation,
    ttl_seconds: Option<f64>,
    nonces: Option<&(dyn NonceStore + '_)>,
) -> Result<Value, HostError> {
    let signer = state_signer(signing_key, ttl_seconds)?;
    let claims = match nonces {
        None => signer.verify(state, expected)?,
        Some(nonces) => signer.verify_once(state, expected, nonces).await?,
    };
    Ok(serde_json::to_value(claims).unwrap_or(Value::Null))
}

/// A code exchange whose settings were checked: the token client, the authority the code was
/// issued for, the redirect URI and the scopes (the settings' `scopes`, else the partner scopes).
pub struct CodeExchange {
    client: TokenClient,
    authority: String,
    redirect_uri: String,
    scopes: Vec<String>,
}

impl CodeExchange {
    /// Checks the settings (`redirectUri` and `clientSecret` are required).
    pub fn new(settings: &AuthSettings) -> Result<Self, HostError> {
        let redirect_uri = settings.redirect_uri()?;
        let client = settings.token_client()?;
        let scopes = settings
            .scopes()
            .unwrap_or_else(|| client.endpoints().partner_scopes());
        Ok(Self {
            client,
            authority: settings.authority(),
            redirect_uri,
            scopes,
        })
    }

    /// The scopes the exchange asks for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Redeems the authorization code of the callback: the token-set JSON.
    pub async fn run(self, code: String, code_verifier: String) -> Result<Value, HostError> {
        let tokens = self
            .client
            .exchange_code(
                &self.authority,
                &Secret::new(code),
                &self.redirect_uri,
                &Secret::new(code_verifier),
                &self.scopes,
            )
            .await?;
        Ok(token_set_json(&tokens))
    }
}

/// A refresh whose settings were checked; `scope` defaults to Graph's `.default` scope with
/// `offline_access`.
pub struct TokenRefresh {
    client: TokenClient,
    authority: String,
    scope: String,
}

impl TokenRefresh {
    /// Checks the settings (`clientSecret` is required).
    pub fn new(settings: &AuthSettings, scope: Option<String>) -> Result<Self, HostError> {
        let client = settings.token_client()?;
        let scope = scope.unwrap_or_else(|| {
            format!(
                "{} offline_access",
                client.endpoints().graph_default_scope()
            )
        });
        Ok(Self {
            client,
            authority: settings.authority(),
            scope,
        })
    }

    /// The scope the refresh asks for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Redeems the refresh token: the new token-set JSON (persist its `refreshToken`).
    pub async fn run(self, refresh_token: String) -> Result<Value, HostError> {
        let tokens = self
            .client
            .refresh(&self.authority, &Secret::new(refresh_token), &self.scope)
            .await?;
        Ok(token_set_json(&tokens))
    }
}

/// Redeems an authorization code in one step: [`CodeExchange::new`], then `run`.
pub async fn exchange_code(
    settings: &AuthSettings,
    code: String,
    code_verifier: String,
) -> Result<Value, HostError> {
    CodeExchange::new(settings)?.run(code, code_verifier).await
}

/// Redeems a refresh token in one step: [`TokenRefresh::new`], then `run`.
pub async fn refresh_tokens(
    settings: &AuthSettings,
    refresh_token: String,
    scope: Option<String>,
) -> Result<Value, HostError> {
    TokenRefresh::new(settings, scope)?.run(refresh_token).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::auth_settings_from_json;
    use async_trait::async_trait;
    use entra_core::store::StoreError;
    use std::sync::Mutex;

    const KEY: &str = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
    const REDIRECT: &str = "https://psa.example/entra/callback";

    fn settings(extra: Value) -> AuthSettings {
        let mut base = json!({
            "clientId": "app",
            "clientSecret": "secret",
            "redirectUri": REDIRECT,
            "cloud": "us_gov_high",
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        match auth_settings_from_json(&base) {
            Ok(s) => s,
            Err(e) => panic!("valid settings refused: {e}"),
        }
    }

    fn expected(user: &str) -> StateExpectation {
        StateExpectation {
            tenant: "t".into(),
            user: user.into(),
            redirect_uri: REDIRECT.into(),
        }
    }

    #[test]
    fn a_ttl_must_be_a_non_negative_finite_number_of_seconds() {
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = state_signer(KEY.into(), Some(bad)).err();
            assert_eq!(err.map(|e| e.code()), Some("invalid_input"), "{bad}");
        }
        assert!(state_signer(KEY.into(), Some(0.5)).is_ok());
        let weak = state_signer("short".into(), None).err();
        assert_eq!(weak.as_ref().map(|e| e.code()), Some("state_weak_key"));
        assert!(weak.is_some_and(|e| !e.to_string().contains("short")));
    }

    #[tokio::test]
    async fn a_started_sign_in_verifies_once_through_a_nonce_store() -> Result<(), HostError> {
        let start = authorization_start_json(&settings(json!({})), KEY.into(), "t", "u")?;
        let url = start["url"].as_str().unwrap_or_default();
        assert!(
            url.starts_with("https://login.microsoftonline.us/organizations/"),
            "{url}"
        );
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(
            start["codeVerifier"]
                .as_str()
                .is_some_and(|v| v.len() >= 43)
        );
        let state = start["state"].as_str().unwrap_or_default();
        let claims = verify_state_json(state, KEY.into(), &expected("u"), Some(60.0), None).await?;
        assert_eq!(claims, start["claims"]);
        assert_eq!(claims["user"], "u");

        struct Once(Mutex<Vec<String>>);
        #[async_trait]
        impl NonceStore for Once {
            async fn consume_nonce(&self, nonce: &str, _: u64) -> Result<bool, StoreError> {
                let mut used = self.0.lock().unwrap_or_else(|e| e.into_inner());
                let fresh = !used.iter().any(|n| n == nonce);
                used.push(nonce.to_string());
                Ok(fresh)
            }
        }
        let nonces = Once(Mutex::new(Vec::new()));
        verify_state_json(state, KEY.into(), &expected("u"), None, Some(&nonces)).await?;
        let replay =
            verify_state_json(state, KEY.into(), &expected("u"), None, Some(&nonces)).await;
        assert_eq!(replay.map_err(|e| e.code()).err(), Some("state_replayed"));
        let other = verify_state_json(state, KEY.into(), &expected("v"), None, None).await;
        assert_eq!(
            other.map_err(|e| e.code()).err(),
            Some("state_user_mismatch")
        );
        Ok(())
    }

    #[test]
    fn the_exchange_asks_for_the_partner_scopes_and_the_refresh_for_graph_default()
    -> Result<(), HostError> {
        let exchange = CodeExchange::new(&settings(json!({})))?;
        assert_eq!(exchange.scopes()[1], "offline_access");
        assert_eq!(
            exchange.scopes()[2],
            "https://graph.microsoft.us/DelegatedAdminRelationship.Read.All"
        );
        let chosen = CodeExchange::new(&settings(json!({"scopes": ["openid"]})))?;
        assert_eq!(chosen.scopes(), ["openid".to_string()]);
        let refresh = TokenRefresh::new(&settings(json!({})), None)?;
        assert_eq!(
            refresh.scope(),
            "https://graph.microsoft.us/.default offline_access"
        );
        let explicit = TokenRefresh::new(&settings(json!({})), Some("x".into()))?;
        assert_eq!(explicit.scope(), "x");
        Ok(())
    }

    #[test]
    fn the_exchange_refuses_settings_without_a_redirect_uri_or_secret() {
        let no_redirect = settings(json!({"redirectUri": ""}));
        let err = CodeExchange::new(&no_redirect).err().map(|e| e.code());
        assert_eq!(err, Some("configuration"));
        let no_secret = settings(json!({"clientSecret": ""}));
        let err = TokenRefresh::new(&no_secret, None).err().map(|e| e.code());
        assert_eq!(err, Some("configuration"));
    }
}
