//! Calls to CIPP's `/api/{Function}` endpoints with a bearer token, under the shared HTTP policy.
//!
//! Gateway errors and throttling are retried by the policy. A 401 means App Service
//! authentication rejected the token: it is replaced once (a fresh token from the client
//! credentials) and the call repeated; a second 401 is final. Any other failure is classified
//! from its plain-text reason.

use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde_json::Value;

use super::config::CippConfig;
use super::errors::classify_cipp_failure;
use super::token::CippTokens;
use crate::http::{Attempt, HttpClient, parse_json, redact_known};
use crate::secrets::Secret;

/// An authenticated CIPP API client.
#[derive(Debug)]
pub struct CippApi {
    config: CippConfig,
    http: HttpClient,
    tokens: CippTokens,
}

impl CippApi {
    /// A client for `config` over `http` (whose policy governs timeouts and retries).
    pub fn new(config: CippConfig, http: HttpClient) -> Result<Self, ProviderError> {
        config.validate()?;
        let tokens = CippTokens::new(&config, http.clone())?;
        Ok(Self {
            config,
            http,
            tokens,
        })
    }

    pub fn config(&self) -> &CippConfig {
        &self.config
    }

    pub fn tokens(&self) -> &CippTokens {
        &self.tokens
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `GET {base}/api/{function}?{query}`, answered as JSON. An answer that breaks off or
    /// is cut short is asked for once more (see `Attempt`).
    pub async fn get_json(
        &self,
        function: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, ProviderError> {
        match self.get_json_once(function, query).await {
            Err(Attempt::Broken(err)) => {
                tracing::warn!(
                    function,
                    code = err.code(),
                    "CIPP's answer broke off or was cut short; asking for it once more"
                );
                self.get_json_once(function, query)
                    .await
                    .map_err(Attempt::into_error)
            }
            outcome => outcome.map_err(Attempt::into_error),
        }
    }

    async fn get_json_once(
        &self,
        function: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, Attempt> {
        let url = self.config.endpoint(function).map_err(Attempt::Failed)?;
        let token = self.tokens.bearer().await.map_err(Attempt::Failed)?;
        let (status, body) = self.get_once(&url, query, &token).await?;
        let (status, body, token) = if status == 401 && self.tokens.can_remint() {
            tracing::debug!(function, "CIPP rejected the token; minting a new one");
            self.tokens.invalidate(&token).await;
            let fresh = self.tokens.bearer().await.map_err(Attempt::Failed)?;
            let (status, body) = self.get_once(&url, query, &fresh).await?;
            (status, body, fresh)
        } else {
            (status, body, token)
        };
        if !(200..300).contains(&status) {
            // The reason text may echo the bearer token, which can be opaque (a pasted one).
            let mut error = redact_known(classify_cipp_failure(status, &body), &[token.expose()]);
            if status == 401 && !self.tokens.can_remint() {
                error.message = format!(
                    "{} (the pasted CIPP token expires after about an hour: configure the API \
                     client id, secret and tenant instead)",
                    error.message
                );
            }
            return Err(Attempt::Failed(error));
        }
        parse_json::<Value>(&body).map_err(|mut e| {
            e.message = format!("CIPP's {function} answer: {}", e.message);
            Attempt::of_parse(e, &body)
        })
    }

    async fn get_once(
        &self,
        url: &url::Url,
        query: &[(&str, &str)],
        token: &Secret,
    ) -> Result<(u16, String), Attempt> {
        let response = self
            .http
            .send_with_retry(|| {
                self.http
                    .inner()
                    .get(url.clone())
                    .query(query)
                    .bearer_auth(token.expose())
                    .header(reqwest::header::ACCEPT, "application/json")
            })
            .await
            .map_err(Attempt::Failed)?;
        let status = response.status().as_u16();
        let body = self
            .http
            .read_text(response)
            .await
            .map_err(Attempt::of_read)?;
        Ok((status, body))
    }
}

/// An error for a caller-supplied value that cannot be sent.
pub(crate) fn invalid_argument(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorCode::BadRequest, message)
}
