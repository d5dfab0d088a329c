use std::fmt;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde::Deserialize;

use super::cloud::CloudEndpoints;
use super::token_set::{TokenSet, unix_now};
use crate::http::{HttpClient, Resend, parse_json, redact_known, token_error};
use crate::secrets::Secret;

/// The Microsoft identity platform's token endpoint for one app registration.
#[derive(Clone)]
pub struct TokenClient {
    http: HttpClient,
    endpoints: CloudEndpoints,
    client_id: String,
    client_secret: Secret,
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("login_base", &self.endpoints.login_base())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    /// Seconds; the v2 endpoint sends a number, older endpoints and proxies a string.
    #[serde(default, deserialize_with = "seconds")]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// `expires_in` as a number or a numeric string; anything else counts as unknown.
fn seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    })
}

impl TokenClient {
    pub fn new(
        http: HttpClient,
        endpoints: CloudEndpoints,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Self {
        Self {
            http,
            endpoints,
            client_id: client_id.into(),
            client_secret,
        }
    }

    pub fn endpoints(&self) -> &CloudEndpoints {
        &self.endpoints
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Redeems an authorization code (PKCE) at `authority`, the one the code was issued for.
    pub async fn exchange_code(
        &self,
        authority: &str,
        code: &Secret,
        redirect_uri: &str,
        code_verifier: &Secret,
        scopes: &[String],
    ) -> Result<TokenSet, ProviderError> {
        self.request(
            authority,
            &[
                ("grant_type", "authorization_code"),
                ("code", code.expose()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier.expose()),
                ("scope", &scopes.join(" ")),
            ],
            None,
        )
        .await
    }

    /// Redeems a refresh token at `authority` for `scope`. Refresh tokens rotate: the returned
    /// set carries the new one, or `refresh_token` itself when the endpoint sent none back.
    pub async fn refresh(
        &self,
        authority: &str,
        refresh_token: &Secret,
        scope: &str,
    ) -> Result<TokenSet, ProviderError> {
        self.request(
            authority,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
                ("scope", scope),
            ],
            Some(refresh_token),
        )
        .await
    }

    /// An app-only token at `authority` (the app must be consented there).
    pub async fn client_credentials(
        &self,
        authority: &str,
        scope: &str,
    ) -> Result<TokenSet, ProviderError> {
        self.request(
            authority,
            &[("grant_type", "client_credentials"), ("scope", scope)],
            None,
        )
        .await
    }

    async fn request(
        &self,
        authority: &str,
        grant: &[(&str, &str)],
        previous_refresh_token: Option<&Secret>,
    ) -> Result<TokenSet, ProviderError> {
        let url = self.endpoints.token_url(authority)?;
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        form.extend_from_slice(grant);
        // An authorization code is single-use: once it may have reached the server, resending
        // it would only turn the real outcome into `invalid_grant`.
        let resend = if grant.contains(&("grant_type", "authorization_code")) {
            Resend::NeverAfterSend
        } else {
            Resend::Allowed
        };
        let response = self
            .http
            .send(|| self.http.inner().post(url.clone()).form(&form), resend)
            .await?;
        let status = response.status().as_u16();
        let body = self.http.read_text(response).await?;
        if !(200..300).contains(&status) {
            // Nothing the request carried (secret, refresh token, code) may come back in an error.
            let sent: Vec<&str> = form
                .iter()
                .filter(|(name, _)| {
                    matches!(
                        *name,
                        "client_secret" | "refresh_token" | "code" | "code_verifier"
                    )
                })
                .map(|(_, value)| *value)
                .collect();
            return Err(redact_known(token_error(status, &body), &sent));
        }
        let parsed: TokenResponse = parse_json(&body)?;
        if parsed.access_token.trim().is_empty() {
            return Err(ProviderError::new(
                ProviderErrorCode::UnexpectedResponse,
                "the token endpoint answered without an access_token",
            ));
        }
        let expires_in = parsed.expires_in.unwrap_or(3599);
        Ok(TokenSet {
            access_token: Secret::new(parsed.access_token),
            refresh_token: parsed
                .refresh_token
                .filter(|t| !t.trim().is_empty())
                .map(Secret::new)
                .or_else(|| previous_refresh_token.cloned()),
            expires_at: unix_now().saturating_add(expires_in),
            scope: parsed.scope,
        })
    }
}
