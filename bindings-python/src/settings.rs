//! Provider settings read from plain Python dicts (camelCase keys, durations in seconds). Unknown
//! keys are refused, so a misspelt `clientSecret` is reported instead of silently ignored.

use std::time::Duration;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use entra_providers::auth::{CloudEndpoints, CustomerGrant, NationalCloud, TokenSet};
use entra_providers::cipp::CippConfig;
use entra_providers::graph::{GraphConfig, GraphOptions, GraphSettings};
use entra_providers::http::HttpPolicy;
use entra_providers::secrets::Secret;
use serde::Deserialize;

fn configuration(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorCode::Configuration, message)
}

fn seconds(value: f64, field: &str) -> Result<Duration, ProviderError> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        configuration(format!(
            "`policy.{field}` must be a non-negative number of seconds"
        ))
    })
}

/// Timeouts and retry budget; every key is optional and defaults to the provider's policy.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInput {
    connect_timeout: Option<f64>,
    request_timeout: Option<f64>,
    max_retries: Option<u32>,
    base_delay: Option<f64>,
    max_delay: Option<f64>,
    max_total_wait: Option<f64>,
    max_pages: Option<usize>,
    retry_bad_gateway: Option<bool>,
}

impl PolicyInput {
    fn apply(self, mut p: HttpPolicy) -> Result<HttpPolicy, ProviderError> {
        if let Some(v) = self.connect_timeout {
            p.connect_timeout = seconds(v, "connectTimeout")?;
        }
        if let Some(v) = self.request_timeout {
            p.request_timeout = seconds(v, "requestTimeout")?;
        }
        if let Some(v) = self.max_retries {
            p.max_retries = v;
        }
        if let Some(v) = self.base_delay {
            p.base_delay = seconds(v, "baseDelay")?;
        }
        if let Some(v) = self.max_delay {
            p.max_delay = seconds(v, "maxDelay")?;
        }
        if let Some(v) = self.max_total_wait {
            p.max_total_wait = seconds(v, "maxTotalWait")?;
        }
        if let Some(v) = self.max_pages {
            p.max_pages = v;
        }
        if let Some(v) = self.retry_bad_gateway {
            p.retry_bad_gateway = v;
        }
        Ok(p)
    }
}

/// Settings of the direct (Microsoft Graph partner) provider.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphInput {
    client_id: String,
    client_secret: String,
    partner_tenant_id: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    /// `global` (default), `us_gov_high`, `us_gov_dod` or `china`.
    #[serde(default)]
    cloud: Option<String>,
    #[serde(default)]
    login_base: Option<String>,
    #[serde(default)]
    graph_base: Option<String>,
    /// `partner_refresh_token` (default) or `client_credentials`.
    #[serde(default)]
    customer_grant: Option<String>,
    #[serde(default)]
    enrich_from_relationships: Option<bool>,
    #[serde(default)]
    include_lighthouse: Option<bool>,
    #[serde(default)]
    include_domains: Option<bool>,
    #[serde(default)]
    customers_page_size: Option<u32>,
    #[serde(default)]
    users_page_size: Option<u32>,
    #[serde(default)]
    policy: Option<PolicyInput>,
}

fn cloud(name: &str) -> Result<NationalCloud, ProviderError> {
    Ok(match name {
        "global" => NationalCloud::Global,
        "us_gov_high" => NationalCloud::UsGovHigh,
        "us_gov_dod" => NationalCloud::UsGovDod,
        "china" => NationalCloud::China,
        other => return Err(configuration(format!("unknown cloud `{other}`"))),
    })
}

/// The login and Graph bases: a national cloud preset, with either base overridable.
pub fn endpoints(
    cloud_name: Option<&str>,
    login_base: Option<&str>,
    graph_base: Option<&str>,
) -> Result<CloudEndpoints, ProviderError> {
    let preset = cloud(cloud_name.unwrap_or("global"))?;
    match (login_base, graph_base) {
        (None, None) => Ok(CloudEndpoints::for_cloud(preset)),
        (login, graph) => CloudEndpoints::custom(
            login.unwrap_or(preset.login_base()),
            graph.unwrap_or(preset.graph_base()),
        ),
    }
}

/// Settings of the partner sign-in (authorize URL, code exchange, refresh).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthInput {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `organizations` (default) or the partner tenant id.
    #[serde(default)]
    pub authority: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    cloud: Option<String>,
    #[serde(default)]
    login_base: Option<String>,
    #[serde(default)]
    graph_base: Option<String>,
    #[serde(default)]
    policy: Option<PolicyInput>,
}

impl AuthInput {
    pub fn endpoints(&self) -> Result<CloudEndpoints, ProviderError> {
        endpoints(
            self.cloud.as_deref(),
            self.login_base.as_deref(),
            self.graph_base.as_deref(),
        )
    }

    pub fn authority(&self) -> String {
        self.authority
            .clone()
            .unwrap_or_else(|| "organizations".to_string())
    }

    pub fn policy(&mut self) -> Result<HttpPolicy, ProviderError> {
        self.policy
            .take()
            .unwrap_or_default()
            .apply(HttpPolicy::default())
    }

    pub fn redirect_uri(&self) -> Result<String, ProviderError> {
        self.redirect_uri
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| configuration("`redirectUri` is required"))
    }

    pub fn client_secret(&self) -> Result<Secret, ProviderError> {
        self.client_secret
            .clone()
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .ok_or_else(|| configuration("`clientSecret` is required"))
    }
}

impl GraphInput {
    pub fn into_settings(self) -> Result<GraphSettings, ProviderError> {
        let endpoints = endpoints(
            self.cloud.as_deref(),
            self.login_base.as_deref(),
            self.graph_base.as_deref(),
        )?;
        let mut options = GraphOptions::default();
        if let Some(grant) = self.customer_grant.as_deref() {
            options.customer_grant = match grant {
                "partner_refresh_token" => CustomerGrant::PartnerRefreshToken,
                "client_credentials" => CustomerGrant::ClientCredentials,
                other => {
                    return Err(configuration(format!("unknown customer grant `{other}`")));
                }
            };
        }
        if let Some(v) = self.enrich_from_relationships {
            options.enrich_from_relationships = v;
        }
        if let Some(v) = self.include_lighthouse {
            options.include_lighthouse = v;
        }
        if let Some(v) = self.include_domains {
            options.include_domains = v;
        }
        if let Some(v) = self.customers_page_size {
            options.customers_page_size = v;
        }
        if let Some(v) = self.users_page_size {
            options.users_page_size = v;
        }
        let policy = self
            .policy
            .unwrap_or_default()
            .apply(HttpPolicy::default())?;
        let tokens = TokenSet {
            access_token: Secret::new(self.access_token.unwrap_or_default()),
            refresh_token: self
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            expires_at: self.expires_at.unwrap_or(0),
            scope: self.scope,
        };
        if tokens.refresh_token.is_none() && tokens.access_token.is_empty() {
            return Err(configuration(
                "`refreshToken` (or `accessToken`) is required: connect the partner account first",
            ));
        }
        Ok(GraphSettings {
            client_id: self.client_id,
            client_secret: Secret::new(self.client_secret),
            partner_tenant_id: self.partner_tenant_id,
            tokens,
            config: GraphConfig {
                endpoints,
                options,
                policy,
            },
        })
    }
}

/// Settings of the CIPP provider.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CippInput {
    base_url: String,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    /// A pre-minted bearer token, used only without client credentials.
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default)]
    login_base: Option<String>,
    #[serde(default)]
    partner_tenant_id: Option<String>,
    #[serde(default)]
    graph_host: Option<String>,
    #[serde(default)]
    page_size: Option<u32>,
    #[serde(default)]
    policy: Option<PolicyInput>,
}

impl CippInput {
    pub fn into_config(self) -> Result<CippConfig, ProviderError> {
        let has_credentials = self.client_id.as_deref().is_some_and(|s| !s.is_empty());
        let mut config = match (has_credentials, self.api_token) {
            (false, Some(token)) => CippConfig::with_legacy_token(self.base_url, token),
            (_, token) => {
                let mut c = CippConfig::new(
                    self.base_url,
                    self.tenant_id.unwrap_or_default(),
                    self.client_id.unwrap_or_default(),
                    Secret::new(self.client_secret.unwrap_or_default()),
                );
                c.legacy_api_token = token.map(Secret::new);
                c
            }
        };
        if let Some(v) = self.login_base {
            config.login_base = v.trim_end_matches('/').to_string();
        }
        if self.partner_tenant_id.is_some() {
            config.partner_tenant_id = self.partner_tenant_id;
        }
        if let Some(v) = self.graph_host {
            config.graph_host = v;
        }
        if let Some(v) = self.page_size {
            config.page_size = v;
        }
        config.policy = self.policy.unwrap_or_default().apply(config.policy)?;
        Ok(config)
    }
}
