//! Bearer tokens for the CIPP API.
//!
//! Tokens are minted with the client-credentials grant at the CIPP tenant's token endpoint for
//! the scope `api://{clientId}/.default`, cached until shortly before they expire, and minted by
//! one caller at a time: concurrent requests wait for the same token instead of each minting one.
//! Only the `Authorization` header carries the token; CIPP reads no API-key header.

use std::time::{Duration, Instant};

use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::config::CippConfig;
use crate::http::{HttpClient, redact_known, token_error};
use crate::secrets::Secret;

/// How long before expiry a cached token is replaced (CIPP itself uses 120 s).
const REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// Minted now with the client credentials.
    Minted,
    /// Served from the cache.
    Cached,
    /// The pasted legacy token.
    Legacy,
}

/// Mints and caches CIPP bearer tokens. `Debug` shows no token.
#[derive(Debug)]
pub struct CippTokens {
    http: HttpClient,
    credentials: Option<Credentials>,
    legacy: Option<Secret>,
    cache: Mutex<Option<CachedToken>>,
}

#[derive(Debug)]
struct Credentials {
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    scope: String,
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: Secret,
    refresh_after: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl CippTokens {
    /// Token handling for `config`: client credentials when complete, else the legacy token.
    pub fn new(config: &CippConfig, http: HttpClient) -> Result<Self, ProviderError> {
        let credentials = if config.has_client_credentials() {
            Some(Credentials {
                token_url: config.token_url()?,
                client_id: config.client_id.trim().to_string(),
                client_secret: config.client_secret.clone(),
                scope: config.scope(),
            })
        } else {
            None
        };
        let legacy = config.legacy_api_token.clone().filter(|t| !t.is_empty());
        if credentials.is_none() && legacy.is_none() {
            return Err(ProviderError::new(
                ProviderErrorCode::Configuration,
                "no CIPP API client credentials and no legacy token are configured",
            ));
        }
        Ok(Self {
            http,
            credentials,
            legacy,
            cache: Mutex::new(None),
        })
    }

    /// Whether a rejected token can be replaced by minting a new one.
    pub fn can_remint(&self) -> bool {
        self.credentials.is_some()
    }

    /// A token valid for at least the refresh margin (or the legacy token).
    pub async fn bearer(&self) -> Result<Secret, ProviderError> {
        self.bearer_with_origin().await.map(|(token, _)| token)
    }

    /// Like [`CippTokens::bearer`], saying whether the token was minted, cached or legacy.
    pub async fn bearer_with_origin(&self) -> Result<(Secret, TokenOrigin), ProviderError> {
        let Some(credentials) = &self.credentials else {
            return match &self.legacy {
                Some(token) => Ok((token.clone(), TokenOrigin::Legacy)),
                None => Err(ProviderError::new(
                    ProviderErrorCode::Configuration,
                    "no CIPP token source is configured",
                )),
            };
        };
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && Instant::now() < cached.refresh_after
        {
            return Ok((cached.token.clone(), TokenOrigin::Cached));
        }
        let minted = self.mint(credentials).await?;
        let token = minted.token.clone();
        *cache = Some(minted);
        Ok((token, TokenOrigin::Minted))
    }

    /// Drops `rejected` from the cache so the next [`CippTokens::bearer`] mints a new token. A
    /// token another caller already replaced is left alone, so one rejection mints only once.
    pub async fn invalidate(&self, rejected: &Secret) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| &c.token == rejected) {
            *cache = None;
        }
    }

    async fn mint(&self, credentials: &Credentials) -> Result<CachedToken, ProviderError> {
        let form = [
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.client_secret.expose()),
            ("scope", credentials.scope.as_str()),
            ("grant_type", "client_credentials"),
        ];
        let started = Instant::now();
        let response = self
            .http
            .send_with_retry(|| {
                self.http
                    .inner()
                    .post(credentials.token_url.clone())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .form(&form)
            })
            .await
            .map_err(|e| in_context(e, "cannot mint a CIPP API token"))?;
        let status = response.status().as_u16();
        let body = self.http.read_text(response).await?;
        if !(200..300).contains(&status) {
            return Err(in_context(
                redact_known(
                    token_error(status, &body),
                    &[credentials.client_secret.expose()],
                ),
                "the CIPP API client could not get a token",
            ));
        }
        let answer: TokenAnswer = serde_json::from_str(&body).map_err(|_| {
            ProviderError::new(
                ProviderErrorCode::UnexpectedResponse,
                "the token endpoint's answer is not valid JSON",
            )
        })?;
        let token = answer
            .access_token
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                ProviderError::new(
                    ProviderErrorCode::UnexpectedResponse,
                    "the token endpoint's answer lacks the field `access_token`",
                )
            })?;
        let lifetime = match answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(3599));
        // A short-lived token is kept for half its life rather than not at all.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        Ok(CachedToken {
            token: Secret::new(token),
            refresh_after: started + lifetime.saturating_sub(margin),
        })
    }
}

fn in_context(mut error: ProviderError, context: &str) -> ProviderError {
    error.message = format!("{context}: {}", error.message);
    error
}
