use std::sync::Arc;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use reqwest::header::ACCEPT;
use serde::de::DeserializeOwned;
use url::Url;

use super::wire::Page;
use crate::auth::TokenManager;
use crate::http::{
    Attempt, HttpClient, ListingDeadline, PageGuard, graph_error, parse_json, redact_known,
};
use crate::secrets::Secret;

/// Whose token a Graph call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller<'a> {
    /// The partner's own token (GDAP discovery, Lighthouse).
    Partner,
    /// A token minted for this customer tenant (users, domains).
    Customer(&'a str),
}

/// Authorized Graph GETs: the right token, one refresh and one retry after a 401, and failed
/// answers classified into [`ProviderError`]s.
#[derive(Debug, Clone)]
pub(crate) struct GraphClient {
    pub http: HttpClient,
    pub tokens: Arc<TokenManager>,
    /// `{graph_base}/` — every URL, paging links included, must share its origin.
    pub base: Url,
    /// The cloud behind `base`: which APIs discovery may ask for.
    pub cloud: crate::auth::NationalCloud,
}

/// Every item of a paged listing that arrived, and why the rest did not.
pub(crate) struct Paged<T> {
    pub items: Vec<T>,
    pub error: Option<ProviderError>,
    pub pages: usize,
}

impl GraphClient {
    /// `{graph_base}/{path_and_query}`.
    pub fn url(&self, path_and_query: &str) -> Result<Url, ProviderError> {
        self.base.join(path_and_query).map_err(|_| {
            ProviderError::new(
                ProviderErrorCode::Configuration,
                "cannot build a Graph URL from the configured base",
            )
        })
    }

    async fn token(&self, caller: Caller<'_>) -> Result<Secret, ProviderError> {
        match caller {
            Caller::Partner => self.tokens.partner_token().await,
            Caller::Customer(tenant) => self.tokens.customer_token(tenant).await,
        }
    }

    async fn token_after_401(
        &self,
        caller: Caller<'_>,
        rejected: &Secret,
    ) -> Result<Secret, ProviderError> {
        match caller {
            Caller::Partner => self.tokens.partner_token_after_rejection(rejected).await,
            Caller::Customer(tenant) => {
                self.tokens.customer_token_rejected(tenant, rejected).await;
                self.tokens.customer_token(tenant).await
            }
        }
    }

    async fn send(
        &self,
        url: &Url,
        token: &Secret,
        eventual: bool,
    ) -> Result<reqwest::Response, ProviderError> {
        self.http
            .send_with_retry(|| {
                let request = self
                    .http
                    .inner()
                    .get(url.clone())
                    .bearer_auth(token.expose());
                if eventual {
                    // Advanced queries (`$count`) need it; the answer is `text/plain`.
                    request.header("ConsistencyLevel", "eventual")
                } else {
                    request.header(ACCEPT, "application/json")
                }
            })
            .await
    }

    /// GETs `url` and returns the body of a 2xx answer.
    pub async fn get(&self, caller: Caller<'_>, url: &Url) -> Result<String, ProviderError> {
        self.get_as(caller, url, false).await
    }

    /// GETs an advanced-query URL (`…/$count`) with `ConsistencyLevel: eventual`.
    pub async fn get_eventual(
        &self,
        caller: Caller<'_>,
        url: &Url,
    ) -> Result<String, ProviderError> {
        self.get_as(caller, url, true).await
    }

    async fn get_as(
        &self,
        caller: Caller<'_>,
        url: &Url,
        eventual: bool,
    ) -> Result<String, ProviderError> {
        self.fetch(caller, url, eventual)
            .await
            .map_err(Attempt::into_error)
    }

    async fn fetch(
        &self,
        caller: Caller<'_>,
        url: &Url,
        eventual: bool,
    ) -> Result<String, Attempt> {
        let mut token = self.token(caller).await.map_err(Attempt::Failed)?;
        let mut response = self
            .send(url, &token, eventual)
            .await
            .map_err(Attempt::Failed)?;
        if response.status().as_u16() == 401 && !is_claims_challenge(&response) {
            tracing::debug!(path = url.path(), "access token refused; refreshing once");
            let rejected = token;
            token = self
                .token_after_401(caller, &rejected)
                .await
                .map_err(Attempt::Failed)?;
            response = self
                .send(url, &token, eventual)
                .await
                .map_err(Attempt::Failed)?;
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = self
            .http
            .read_text(response)
            .await
            .map_err(Attempt::of_read)?;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            // An upstream may echo the token it refused; an opaque one has no telltale shape.
            Err(Attempt::Failed(redact_known(
                graph_error(status, &headers, &body),
                &[token.expose()],
            )))
        }
    }

    /// GETs `url` and reads its body with `parse`. A page whose connection broke off mid-body,
    /// or whose 2xx body is not JSON at all (cut short), is asked for once more: a GET can be
    /// repeated, and one broken answer should not leave a listing incomplete. A body that is
    /// JSON of the wrong shape is not asked for again (the same answer would come back).
    pub async fn get_parsed<T>(
        &self,
        caller: Caller<'_>,
        url: &Url,
        parse: impl Fn(&str) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let mut asked_again = false;
        loop {
            let outcome = self
                .fetch(caller, url, false)
                .await
                .and_then(|body| parse(&body).map_err(|err| Attempt::of_parse(err, &body)));
            let err = match outcome {
                Ok(parsed) => return Ok(parsed),
                Err(Attempt::Broken(err)) if !asked_again => err,
                Err(failed) => return Err(failed.into_error()),
            };
            tracing::warn!(
                path = url.path(),
                code = err.code(),
                "a page broke off or was cut short; asking for it once more"
            );
            asked_again = true;
        }
    }

    /// GETs and parses one page (asked for once more when it breaks off; see
    /// [`GraphClient::get_parsed`]).
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        caller: Caller<'_>,
        url: &Url,
    ) -> Result<Page<T>, ProviderError> {
        self.get_parsed(caller, url, parse_json).await
    }

    /// Follows `@odata.nextLink` from `first` to the end, under the paging guard and the
    /// policy's listing deadline.
    pub async fn get_all<T: DeserializeOwned>(&self, caller: Caller<'_>, first: Url) -> Paged<T> {
        let mut guard = PageGuard::new(&first, self.http.policy().max_pages);
        let deadline = ListingDeadline::start(self.http.policy());
        let mut items = Vec::new();
        let mut url = first;
        loop {
            match deadline.run(self.get_page::<T>(caller, &url)).await {
                Ok(page) => {
                    items.extend(page.value);
                    match page.next_link {
                        None => {
                            return Paged {
                                items,
                                error: None,
                                pages: guard.pages(),
                            };
                        }
                        Some(next) => match guard.next(&next) {
                            Ok(next) => url = next,
                            Err(err) => {
                                return Paged {
                                    items,
                                    error: Some(err),
                                    pages: guard.pages(),
                                };
                            }
                        },
                    }
                }
                Err(err) => {
                    return Paged {
                        items,
                        error: Some(err),
                        pages: guard.pages(),
                    };
                }
            }
        }
    }
}

fn is_claims_challenge(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("insufficient_claims"))
}
