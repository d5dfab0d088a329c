use std::time::{Duration, SystemTime};

use entra_core::provider::{ProviderError, ProviderErrorCode};
use reqwest::header::RETRY_AFTER;

use super::body::read_text_capped;
use super::classify::transport_error;
use super::delay::{backoff_delay, parse_retry_after};
use super::policy::{HttpPolicy, Resend};

/// A reqwest client (rustls, no proxy, no redirects) that applies an [`HttpPolicy`].
/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    policy: HttpPolicy,
}

impl HttpClient {
    /// Builds the client. Proxies from the environment are ignored (loopback servers must be
    /// reached directly) and redirects are not followed (a token must not travel to a new host).
    pub fn new(policy: HttpPolicy) -> Result<Self, ProviderError> {
        let inner = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("entra-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorCode::Configuration,
                    format!("cannot build the HTTP client: {}", e.without_url()),
                )
            })?;
        Ok(Self { inner, policy })
    }

    /// The underlying reqwest client, for building requests.
    pub fn inner(&self) -> &reqwest::Client {
        &self.inner
    }

    /// The policy in force.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// Reads an answer's body as text under the policy's [`HttpPolicy::max_body_bytes`] cap.
    pub async fn read_text(&self, response: reqwest::Response) -> Result<String, ProviderError> {
        read_text_capped(response, self.policy.max_body_bytes).await
    }

    /// Sends the request `make` builds, retrying throttling, gateway and connection failures
    /// under the policy. Returns the last answer whatever its status (the caller classifies a
    /// failure); a request that never got an answer is `upstream_unavailable`.
    pub async fn send_with_retry<F>(&self, make: F) -> Result<reqwest::Response, ProviderError>
    where
        F: Fn() -> reqwest::RequestBuilder,
    {
        self.send(make, Resend::Allowed).await
    }

    /// Like [`HttpClient::send_with_retry`], with `resend` saying whether a request that may
    /// have reached the server can be sent again ([`Resend::NeverAfterSend`] retries only a
    /// connection that could not be opened).
    pub async fn send<F>(&self, make: F, resend: Resend) -> Result<reqwest::Response, ProviderError>
    where
        F: Fn() -> reqwest::RequestBuilder,
    {
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            let request = make().build().map_err(|e| {
                ProviderError::new(
                    ProviderErrorCode::Configuration,
                    format!("cannot build the request: {}", e.without_url()),
                )
            })?;
            let method = request.method().clone();
            let target = describe(request.url());
            let outcome = self.inner.execute(request).await;
            let delay = match &outcome {
                Ok(_) if resend == Resend::NeverAfterSend => {
                    return outcome.map_err(|e| transport_error(&e));
                }
                Err(err) if resend == Resend::NeverAfterSend && !err.is_connect() => {
                    tracing::warn!(%method, target = %target, "a request that must not be repeated got no answer");
                    return outcome.map_err(|e| transport_error(&e));
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    if !self.policy.is_retryable_status(status) {
                        return outcome.map_err(|e| transport_error(&e));
                    }
                    let hinted = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()))
                        .map(|hint| hint.max(self.policy.min_retry_after));
                    let delay = hinted.unwrap_or_else(|| {
                        backoff_delay(attempt, self.policy.base_delay, self.policy.max_delay)
                    });
                    tracing::debug!(%method, target = %target, status, attempt, delay_ms = delay.as_millis() as u64, "retryable answer");
                    delay
                }
                Err(err) if err.is_connect() || err.is_timeout() || err.is_request() => {
                    let delay =
                        backoff_delay(attempt, self.policy.base_delay, self.policy.max_delay);
                    tracing::debug!(%method, target = %target, attempt, delay_ms = delay.as_millis() as u64, "request got no answer");
                    delay
                }
                Err(_) => return outcome.map_err(|e| transport_error(&e)),
            };
            let out_of_budget =
                attempt >= self.policy.max_retries || waited + delay > self.policy.max_total_wait;
            if out_of_budget {
                tracing::warn!(%method, target = %target, attempts = attempt + 1, "retry budget spent");
                return outcome.map_err(|e| transport_error(&e));
            }
            drop(outcome);
            tokio::time::sleep(delay).await;
            waited += delay;
            attempt += 1;
        }
    }
}

/// Host and path only: query strings can hold paging tokens, and nothing else belongs in logs.
fn describe(url: &reqwest::Url) -> String {
    format!("{}{}", url.host_str().unwrap_or(""), url.path())
}
