//! Provider and sign-in settings as JSON (camelCase keys, durations in seconds): the contract a
//! host hands over, whatever its language. Unknown keys are refused (`invalid_input` naming the
//! key), so a misspelt `clientSecret` is reported instead of silently ignored; well-formed
//! settings a provider cannot use are its `configuration` error.

use std::sync::Arc;
use std::time::Duration;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde::Deserialize;
use serde_json::Value;

use super::HostError;
use crate::auth::{
    CloudEndpoints, CustomerGrant, NationalCloud, SignInConfig, TokenClient, TokenRotationSink,
    TokenSet,
};
use crate::cipp::{CippConfig, CippProvider};
use crate::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use crate::http::{HttpClient, HttpPolicy};
use crate::secrets::Secret;

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

/// Timeouts and retry budget (`policy`); every key is optional and defaults to the provider's
/// policy.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyJson {
    connect_timeout: Option<f64>,
    request_timeout: Option<f64>,
    max_retries: Option<u32>,
    base_delay: Option<f64>,
    max_delay: Option<f64>,
    max_total_wait: Option<f64>,
    max_pages: Option<usize>,
    retry_bad_gateway: Option<bool>,
}

impl PolicyJson {
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

fn national_cloud(name: &str) -> Result<NationalCloud, ProviderError> {
    Ok(match name {
        "global" => NationalCloud::Global,
        "us_gov_high" => NationalCloud::UsGovHigh,
        "us_gov_dod" => NationalCloud::UsGovDod,
        "china" => NationalCloud::China,
        other => return Err(configuration(format!("unknown cloud `{other}`"))),
    })
}

/// Where the login and Graph services are: a national `cloud` preset (`global` by default,
/// `us_gov_high`, `us_gov_dod`, `china`) with either base overridable (tests, the sandbox, a
/// proxy). Scopes name the preset's Graph resource, also behind overridden bases (a token's
/// audience is the resource, not the address), unless `graphResource` names another.
fn endpoints(
    cloud: Option<&str>,
    login_base: Option<&str>,
    graph_base: Option<&str>,
    graph_resource: Option<&str>,
) -> Result<CloudEndpoints, ProviderError> {
    let preset = national_cloud(cloud.unwrap_or("global"))?;
    let endpoints = match (login_base, graph_base) {
        (None, None) => CloudEndpoints::for_cloud(preset),
        (login, graph) => CloudEndpoints::custom(
            login.unwrap_or(preset.login_base()),
            graph.unwrap_or(preset.graph_base()),
        )?
        .with_cloud(preset),
    };
    match graph_resource {
        Some(resource) => endpoints.with_graph_resource(resource),
        None => Ok(endpoints),
    }
}

/// Settings of the direct (Microsoft Graph partner) provider.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GraphJson {
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
    #[serde(default)]
    graph_resource: Option<String>,
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
    include_contracts: Option<bool>,
    #[serde(default)]
    include_user_counts: Option<bool>,
    #[serde(default)]
    customers_page_size: Option<u32>,
    #[serde(default)]
    users_page_size: Option<u32>,
    #[serde(default)]
    policy: Option<PolicyJson>,
}

/// Reads the Graph provider's settings: `clientId`, `clientSecret`, `partnerTenantId`,
/// `refreshToken` (or `accessToken` + `expiresAt`), optional `scope`, `cloud`, `loginBase`,
/// `graphBase`, `graphResource`, `customerGrant`, `enrichFromRelationships`,
/// `includeLighthouse`, `includeDomains`, `includeContracts`, `includeUserCounts`, `customersPageSize`, `usersPageSize`, `policy`.
pub fn graph_settings_from_json(value: &Value) -> Result<GraphSettings, HostError> {
    let input: GraphJson = entra_core::json::from_value(value)?;
    let endpoints = endpoints(
        input.cloud.as_deref(),
        input.login_base.as_deref(),
        input.graph_base.as_deref(),
        input.graph_resource.as_deref(),
    )?;
    let mut options = GraphOptions::default();
    if let Some(grant) = input.customer_grant.as_deref() {
        options.customer_grant = match grant {
            "partner_refresh_token" => CustomerGrant::PartnerRefreshToken,
            "client_credentials" => CustomerGrant::ClientCredentials,
            other => {
                return Err(configuration(format!("unknown customer grant `{other}`")).into());
            }
        };
    }
    if let Some(v) = input.enrich_from_relationships {
        options.enrich_from_relationships = v;
    }
    if let Some(v) = input.include_lighthouse {
        options.include_lighthouse = v;
    }
    if let Some(v) = input.include_domains {
        options.include_domains = v;
    }
    if let Some(v) = input.include_contracts {
        options.include_contracts = v;
    }
    if let Some(v) = input.include_user_counts {
        options.include_user_counts = v;
    }
    if let Some(v) = input.customers_page_size {
        options.customers_page_size = v;
    }
    if let Some(v) = input.users_page_size {
        options.users_page_size = v;
    }
    let policy = input
        .policy
        .unwrap_or_default()
        .apply(HttpPolicy::default())?;
    let tokens = TokenSet {
        access_token: Secret::new(input.access_token.unwrap_or_default()),
        refresh_token: input
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(Secret::new),
        expires_at: input.expires_at.unwrap_or(0),
        scope: input.scope,
    };
    if tokens.refresh_token.is_none() && tokens.access_token.is_empty() {
        return Err(configuration(
            "`refreshToken` (or `accessToken`) is required: connect the partner account first",
        )
        .into());
    }
    Ok(GraphSettings {
        client_id: input.client_id,
        client_secret: Secret::new(input.client_secret),
        partner_tenant_id: input.partner_tenant_id,
        tokens,
        config: GraphConfig {
            endpoints,
            options,
            policy,
        },
    })
}

/// Builds the Graph provider from its JSON settings; `rotation_sink` receives every new partner
/// token set (the host persists it: refresh tokens rotate on every use).
pub fn graph_provider_from_json(
    value: &Value,
    rotation_sink: Option<Arc<dyn TokenRotationSink>>,
) -> Result<GraphProvider, HostError> {
    let settings = graph_settings_from_json(value)?;
    let built = match rotation_sink {
        None => GraphProvider::new(settings),
        Some(sink) => GraphProvider::with_rotation_sink(settings, sink),
    };
    Ok(built?)
}

/// Settings of the CIPP provider.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CippJson {
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
    policy: Option<PolicyJson>,
}

/// Reads the CIPP provider's settings: `baseUrl`, and `tenantId` + `clientId` + `clientSecret`
/// (or a legacy `apiToken`); optional `loginBase`, `partnerTenantId`, `graphHost`, `pageSize`,
/// `policy`.
pub fn cipp_config_from_json(value: &Value) -> Result<CippConfig, HostError> {
    let input: CippJson = entra_core::json::from_value(value)?;
    let has_credentials = input.client_id.as_deref().is_some_and(|s| !s.is_empty());
    let mut config = match (has_credentials, input.api_token) {
        (false, Some(token)) => CippConfig::with_legacy_token(input.base_url, token),
        (_, token) => {
            let mut c = CippConfig::new(
                input.base_url,
                input.tenant_id.unwrap_or_default(),
                input.client_id.unwrap_or_default(),
                Secret::new(input.client_secret.unwrap_or_default()),
            );
            c.legacy_api_token = token.map(Secret::new);
            c
        }
    };
    if let Some(v) = input.login_base {
        config.login_base = v.trim_end_matches('/').to_string();
    }
    if input.partner_tenant_id.is_some() {
        config.partner_tenant_id = input.partner_tenant_id;
    }
    if let Some(v) = input.graph_host {
        config.graph_host = v;
    }
    if let Some(v) = input.page_size {
        config.page_size = v;
    }
    config.policy = input.policy.unwrap_or_default().apply(config.policy)?;
    Ok(config)
}

/// Builds the CIPP provider from its JSON settings.
pub fn cipp_provider_from_json(value: &Value) -> Result<CippProvider, HostError> {
    Ok(CippProvider::new(cipp_config_from_json(value)?)?)
}

/// Settings of the partner sign-in (authorize URL, code exchange, refresh): `clientId`, and as
/// needed `clientSecret`, `authority` (`organizations` by default, or the partner tenant id),
/// `redirectUri`, `scopes`, `prompt`, `cloud`, `loginBase`, `graphBase`, `graphResource`,
/// `policy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthSettings {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    authority: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    prompt: Option<String>,
    /// `global` (default), `us_gov_high`, `us_gov_dod` or `china`.
    #[serde(default)]
    cloud: Option<String>,
    #[serde(default)]
    login_base: Option<String>,
    #[serde(default)]
    graph_base: Option<String>,
    #[serde(default)]
    graph_resource: Option<String>,
    #[serde(default)]
    policy: Option<PolicyJson>,
}

/// Reads the partner sign-in settings.
pub fn auth_settings_from_json(value: &Value) -> Result<AuthSettings, HostError> {
    Ok(entra_core::json::from_value(value)?)
}

impl AuthSettings {
    /// The login and Graph bases and the Graph resource.
    pub fn endpoints(&self) -> Result<CloudEndpoints, ProviderError> {
        endpoints(
            self.cloud.as_deref(),
            self.login_base.as_deref(),
            self.graph_base.as_deref(),
            self.graph_resource.as_deref(),
        )
    }

    /// The tenant segment of the login URLs: `organizations` unless set.
    pub fn authority(&self) -> String {
        self.authority
            .clone()
            .unwrap_or_else(|| "organizations".to_string())
    }

    /// The scopes asked for, when the host chose them (else the partner scopes).
    pub fn scopes(&self) -> Option<Vec<String>> {
        self.scopes.clone()
    }

    /// The HTTP policy of the token endpoint calls.
    pub fn policy(&self) -> Result<HttpPolicy, ProviderError> {
        self.policy
            .clone()
            .unwrap_or_default()
            .apply(HttpPolicy::default())
    }

    /// `redirectUri`, required by the authorize URL and the code exchange.
    pub fn redirect_uri(&self) -> Result<String, ProviderError> {
        self.redirect_uri
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| configuration("`redirectUri` is required"))
    }

    /// `clientSecret`, required by the token endpoint calls.
    pub fn client_secret(&self) -> Result<Secret, ProviderError> {
        self.client_secret
            .clone()
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .ok_or_else(|| configuration("`clientSecret` is required"))
    }

    /// What the authorize URL is built from.
    pub fn sign_in_config(&self) -> Result<SignInConfig, ProviderError> {
        Ok(SignInConfig {
            client_id: self.client_id.clone(),
            authority: self.authority(),
            redirect_uri: self.redirect_uri()?,
            scopes: self.scopes.clone(),
            prompt: self.prompt.clone(),
        })
    }

    /// A client of the token endpoint (code exchange, refresh).
    pub fn token_client(&self) -> Result<TokenClient, ProviderError> {
        let http = HttpClient::new(self.policy()?)?;
        Ok(TokenClient::new(
            http,
            self.endpoints()?,
            self.client_id.clone(),
            self.client_secret()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn graph(extra: Value) -> Value {
        let mut base = json!({
            "clientId": "app",
            "clientSecret": "secret",
            "partnerTenantId": "partner.onmicrosoft.com",
            "refreshToken": "rt",
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        base
    }

    fn endpoints(extra: Value) -> CloudEndpoints {
        match graph_settings_from_json(&graph(extra)) {
            Ok(s) => s.config.endpoints,
            Err(e) => panic!("valid settings refused: {e}"),
        }
    }

    #[test]
    fn a_cloud_preset_with_a_base_override_keeps_the_preset_graph_scope() {
        // (settings, login base, graph base, default scope)
        let cases = [
            (
                json!({"cloud": "us_gov_high", "graphBase": "http://127.0.0.1:9"}),
                "https://login.microsoftonline.us",
                "http://127.0.0.1:9",
                "https://graph.microsoft.us/.default",
            ),
            (
                json!({"cloud": "china", "loginBase": "http://127.0.0.1:8/"}),
                "http://127.0.0.1:8",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn/.default",
            ),
            (
                json!({"cloud": "us_gov_dod", "loginBase": "http://127.0.0.1:8", "graphBase": "http://127.0.0.1:9"}),
                "http://127.0.0.1:8",
                "http://127.0.0.1:9",
                "https://dod-graph.microsoft.us/.default",
            ),
            (
                json!({"graphBase": "http://127.0.0.1:9"}),
                "https://login.microsoftonline.com",
                "http://127.0.0.1:9",
                "https://graph.microsoft.com/.default",
            ),
            (
                json!({"cloud": "us_gov_high"}),
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://graph.microsoft.us/.default",
            ),
            // An explicit resource wins over the preset's.
            (
                json!({"cloud": "us_gov_high", "graphBase": "http://127.0.0.1:9", "graphResource": "https://dod-graph.microsoft.us/"}),
                "https://login.microsoftonline.us",
                "http://127.0.0.1:9",
                "https://dod-graph.microsoft.us/.default",
            ),
        ];
        for (settings, login, graph_base, scope) in cases {
            let e = endpoints(settings.clone());
            assert_eq!(e.login_base(), login, "{settings}");
            assert_eq!(e.graph_base(), graph_base, "{settings}");
            assert_eq!(e.graph_default_scope(), scope, "{settings}");
        }
    }

    #[test]
    fn sign_in_settings_keep_the_preset_scope_behind_overrides_too() -> Result<(), HostError> {
        let auth = auth_settings_from_json(&json!({
            "clientId": "app",
            "cloud": "us_gov_high",
            "loginBase": "http://127.0.0.1:8",
            "graphBase": "http://127.0.0.1:9",
        }))?;
        let e = auth.endpoints()?;
        assert_eq!(e.login_base(), "http://127.0.0.1:8");
        assert!(e.partner_scopes()[2].starts_with("https://graph.microsoft.us/"));
        assert_eq!(auth.authority(), "organizations");
        assert_eq!(
            auth.redirect_uri().map_err(|e| e.code()).err(),
            Some("configuration")
        );
        assert_eq!(
            auth.client_secret().map_err(|e| e.code()).err(),
            Some("configuration")
        );
        Ok(())
    }

    #[test]
    fn graph_settings_read_options_policy_and_tokens() -> Result<(), HostError> {
        let settings = graph_settings_from_json(&graph(json!({
            "accessToken": "at",
            "expiresAt": 99,
            "customerGrant": "client_credentials",
            "includeDomains": true,
            "usersPageSize": 10,
            "policy": {"maxRetries": 1, "baseDelay": 0.25, "retryBadGateway": true},
        })))?;
        assert_eq!(
            settings.config.options.customer_grant,
            CustomerGrant::ClientCredentials
        );
        assert!(settings.config.options.include_domains);
        assert_eq!(settings.config.options.users_page_size, 10);
        assert_eq!(settings.config.policy.max_retries, 1);
        assert_eq!(
            settings.config.policy.base_delay,
            Duration::from_millis(250)
        );
        assert!(settings.config.policy.retry_bad_gateway);
        assert_eq!(settings.tokens.access_token.expose(), "at");
        assert_eq!(settings.tokens.expires_at, 99);
        assert_eq!(settings.client_secret.expose(), "secret");
        Ok(())
    }

    #[test]
    fn malformed_settings_are_invalid_input_and_unusable_ones_configuration() {
        // (settings, code, text the message must name)
        let cases = [
            (
                json!({"clientId": "x", "clientSecert": "typo", "partnerTenantId": "t"}),
                "invalid_input",
                "clientSecert",
            ),
            (
                graph(json!({"policy": {"maxRetrys": 1}})),
                "invalid_input",
                "maxRetrys",
            ),
            (
                graph(json!({"usersPageSize": "ten"})),
                "invalid_input",
                "usersPageSize",
            ),
            (
                json!({"clientId": "x", "clientSecret": "s", "partnerTenantId": "t"}),
                "configuration",
                "refreshToken",
            ),
            (graph(json!({"cloud": "mars"})), "configuration", "mars"),
            (
                graph(json!({"customerGrant": "magic"})),
                "configuration",
                "magic",
            ),
            (
                graph(json!({"graphBase": "ftp://x"})),
                "configuration",
                "Graph base",
            ),
            (
                graph(json!({"policy": {"baseDelay": -1.0}})),
                "configuration",
                "baseDelay",
            ),
        ];
        for (settings, code, named) in cases {
            match graph_settings_from_json(&settings) {
                Ok(_) => panic!("accepted {settings}"),
                Err(e) => {
                    assert_eq!(e.code(), code, "{settings}: {e}");
                    assert!(e.to_string().contains(named), "{settings}: {e}");
                }
            }
        }
        let cipp = cipp_config_from_json(&json!({"baseUrl": "http://127.0.0.1:1", "apiKey": "k"}));
        assert_eq!(cipp.map(drop).map_err(|e| e.code()), Err("invalid_input"));
        let auth = auth_settings_from_json(&json!({"clientId": "x", "redirectUrl": "http://a"}));
        assert_eq!(auth.map(drop).map_err(|e| e.code()), Err("invalid_input"));
    }

    #[test]
    fn cipp_settings_choose_credentials_over_a_legacy_token() -> Result<(), HostError> {
        let with_credentials = cipp_config_from_json(&json!({
            "baseUrl": "http://127.0.0.1:1/",
            "tenantId": "partner.onmicrosoft.com",
            "clientId": "app",
            "clientSecret": "s",
            "apiToken": "legacy",
            "loginBase": "http://127.0.0.1:2/",
            "pageSize": 50,
            "policy": {"maxRetries": 0},
        }))?;
        assert_eq!(with_credentials.client_id, "app");
        assert_eq!(with_credentials.login_base, "http://127.0.0.1:2");
        assert_eq!(with_credentials.page_size, 50);
        assert_eq!(with_credentials.policy.max_retries, 0);
        assert_eq!(
            with_credentials.partner_tenant_id.as_deref(),
            Some("partner.onmicrosoft.com")
        );
        let legacy =
            cipp_config_from_json(&json!({"baseUrl": "http://127.0.0.1:1", "apiToken": "t"}))?;
        assert!(legacy.client_id.is_empty());
        assert_eq!(
            legacy.legacy_api_token.as_ref().map(|t| t.expose()),
            Some("t")
        );
        Ok(())
    }
}
