//! Everything needed to reach one CIPP instance, and how it is read from a host's secret store.
//!
//! A CIPP API client is an app registration in the CIPP tenant, so the durable credentials are its
//! client id, client secret and tenant id plus the Function App URL; access tokens last about an
//! hour and are minted from them. A pasted, pre-minted token is accepted only as a legacy
//! fallback when no client credentials are stored.

use std::fmt;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use url::Url;

use crate::http::{HttpPolicy, check_base_url};
use crate::secrets::{Secret, SecretProvider, names};

/// The Microsoft login host CIPP's API clients authenticate against.
pub const DEFAULT_LOGIN_BASE: &str = "https://login.microsoftonline.com";
/// The only Graph host CIPP talks to; its paging links must point there.
pub const DEFAULT_GRAPH_HOST: &str = "graph.microsoft.com";
/// The largest user page Graph serves.
pub const MAX_PAGE_SIZE: u32 = 999;

/// Settings of a CIPP connection. `Debug` never shows the client secret or the legacy token.
#[derive(Clone)]
pub struct CippConfig {
    /// The CIPP Function App URL (`https://cipp-xxxxx.azurewebsites.net`), without a trailing slash.
    pub base_url: String,
    /// The Microsoft login authority host, without a trailing slash.
    pub login_base: String,
    /// The tenant the CIPP API client is registered in.
    pub tenant_id: String,
    /// The CIPP API client's app id; the token audience is `api://{client_id}`.
    pub client_id: String,
    pub client_secret: Secret,
    /// A pre-minted bearer token, used only when no client credentials are configured.
    pub legacy_api_token: Option<Secret>,
    /// The MSP's own tenant, left out of tenant listings (it is not a customer).
    pub partner_tenant_id: Option<String>,
    /// The host CIPP's `Metadata.nextLink` must point at (a bare host, or an origin such as
    /// `https://graph.microsoft.com`); any other link is refused.
    pub graph_host: String,
    /// Users per `ListGraphRequest` page (1..=999; Graph's maximum, 999, by default).
    pub page_size: u32,
    /// Timeouts and retries; CIPP pages whole requests server-side, so they are long by default.
    pub policy: HttpPolicy,
}

impl fmt::Debug for CippConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CippConfig")
            .field("base_url", &self.base_url)
            .field("login_base", &self.login_base)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("legacy_api_token", &self.legacy_api_token)
            .field("partner_tenant_id", &self.partner_tenant_id)
            .field("graph_host", &self.graph_host)
            .field("page_size", &self.page_size)
            .field("policy", &self.policy)
            .finish()
    }
}

impl CippConfig {
    /// A connection that mints its own tokens with the API client's credentials. The API client
    /// lives in the partner's own tenant, so that tenant is left out of tenant listings.
    pub fn new(
        base_url: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        let tenant_id = tenant_id.into().trim().to_string();
        Self {
            base_url: trim_base(base_url.into()),
            login_base: DEFAULT_LOGIN_BASE.to_string(),
            partner_tenant_id: (!tenant_id.is_empty()).then(|| tenant_id.clone()),
            tenant_id,
            client_id: client_id.into().trim().to_string(),
            client_secret: client_secret.into(),
            legacy_api_token: None,
            graph_host: DEFAULT_GRAPH_HOST.to_string(),
            page_size: MAX_PAGE_SIZE,
            policy: HttpPolicy::for_cipp(),
        }
    }

    /// A connection with only a pasted bearer token; it stops working when the token expires.
    pub fn with_legacy_token(base_url: impl Into<String>, token: impl Into<Secret>) -> Self {
        let mut config = Self::new(base_url, "", "", Secret::default());
        config.legacy_api_token = Some(token.into());
        config
    }

    /// Reads the connection of host tenant `tenant` under the canonical secret names
    /// (`entra_cipp_base_url`, `entra_cipp_client_id`, `entra_cipp_client_secret`,
    /// `entra_cipp_tenant_id`, and the legacy `entra_cipp_api_token`).
    pub async fn from_secrets(
        secrets: &dyn SecretProvider,
        tenant: &str,
    ) -> Result<Self, ProviderError> {
        let get = |name: &'static str| async move {
            secrets
                .get(tenant, name)
                .await
                .map(|v| v.filter(|s| !s.is_empty()))
        };
        let base_url = get(names::ENTRA_CIPP_BASE_URL).await?.ok_or_else(|| {
            configuration(format!(
                "no CIPP API URL is stored (secret `{}`)",
                names::ENTRA_CIPP_BASE_URL
            ))
        })?;
        let client_id = get(names::ENTRA_CIPP_CLIENT_ID).await?;
        let client_secret = get(names::ENTRA_CIPP_CLIENT_SECRET).await?;
        let tenant_id = get(names::ENTRA_CIPP_TENANT_ID).await?;
        let legacy = get(names::ENTRA_CIPP_API_TOKEN).await?;
        let mut config = Self::new(
            base_url.expose(),
            tenant_id.as_ref().map(|t| t.expose()).unwrap_or_default(),
            client_id.as_ref().map(|c| c.expose()).unwrap_or_default(),
            client_secret.unwrap_or_default(),
        );
        config.legacy_api_token = legacy;
        config.validate()?;
        Ok(config)
    }

    /// Whether tokens are minted from client credentials (rather than a pasted legacy token).
    pub fn has_client_credentials(&self) -> bool {
        !self.client_id.trim().is_empty()
            && !self.client_secret.is_empty()
            && !self.tenant_id.trim().is_empty()
    }

    /// Checks that the settings can work: a valid API URL (`https`, or `http` on a loopback
    /// host), a tenant id that is a GUID or domain, and either complete client credentials or a
    /// legacy token. Names what is missing, never a secret.
    pub fn validate(&self) -> Result<(), ProviderError> {
        self.api_base()?;
        self.graph_origin()?;
        if !self.tenant_id.trim().is_empty() {
            crate::tenant_id::check_tenant_id(self.tenant_id.trim(), "CIPP tenant id")?;
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(configuration(format!(
                "the user page size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        if self.has_client_credentials() {
            let login = Url::parse(&self.login_base)
                .map_err(|_| configuration("the login authority URL is not a valid URL"))?;
            check_base_url(&login, "login authority URL")?;
            return Ok(());
        }
        let partial = [
            (
                names::ENTRA_CIPP_CLIENT_ID,
                self.client_id.trim().is_empty(),
            ),
            (
                names::ENTRA_CIPP_CLIENT_SECRET,
                self.client_secret.is_empty(),
            ),
            (
                names::ENTRA_CIPP_TENANT_ID,
                self.tenant_id.trim().is_empty(),
            ),
        ];
        let missing: Vec<&str> = partial
            .iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| *n)
            .collect();
        let has_legacy = self
            .legacy_api_token
            .as_ref()
            .is_some_and(|t| !t.is_empty());
        if has_legacy {
            return Ok(());
        }
        Err(configuration(format!(
            "the CIPP API client credentials are incomplete (missing: {})",
            missing.join(", ")
        )))
    }

    /// The parsed API URL, ending in a slash so relative paths join under it.
    pub(crate) fn api_base(&self) -> Result<Url, ProviderError> {
        let url = Url::parse(&format!("{}/", trim_base(self.base_url.clone())))
            .map_err(|_| configuration("the CIPP API URL is not a valid URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(configuration("the CIPP API URL must be an http(s) URL"));
        }
        check_base_url(&url, "CIPP API URL")?;
        Ok(url)
    }

    /// `{base}/api/{function}`.
    pub(crate) fn endpoint(&self, function: &str) -> Result<Url, ProviderError> {
        self.api_base()?
            .join(&format!("api/{function}"))
            .map_err(|_| configuration("the CIPP API URL is not a valid URL"))
    }

    /// The token endpoint of the CIPP tenant.
    pub(crate) fn token_url(&self) -> Result<Url, ProviderError> {
        crate::tenant_id::check_tenant_id(self.tenant_id.trim(), "CIPP tenant id")?;
        Url::parse(&format!(
            "{}/{}/oauth2/v2.0/token",
            trim_base(self.login_base.clone()),
            self.tenant_id.trim()
        ))
        .map_err(|_| configuration("the login authority URL is not a valid URL"))
    }

    /// The scope of a CIPP API token: the client's own identifier URI.
    pub(crate) fn scope(&self) -> String {
        format!("api://{}/.default", self.client_id.trim())
    }

    /// The origin CIPP's paging links must have.
    pub(crate) fn graph_origin(&self) -> Result<Url, ProviderError> {
        let host = self.graph_host.trim();
        let text = if host.contains("://") {
            host.to_string()
        } else {
            format!("https://{host}/")
        };
        let url = Url::parse(&text)
            .map_err(|_| configuration("the CIPP Graph host is not a valid host name"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(configuration(
                "the CIPP Graph host is not a valid host name",
            ));
        }
        check_base_url(&url, "CIPP Graph host")?;
        Ok(url)
    }
}

fn trim_base(base: String) -> String {
    base.trim().trim_end_matches('/').to_string()
}

fn configuration(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorCode::Configuration, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecrets;

    #[test]
    fn urls_are_derived_from_the_settings() {
        let mut c = CippConfig::new(
            "https://cipp-x.azurewebsites.net/",
            "partner-tenant",
            "app-id",
            "s3cret",
        );
        c.login_base = "http://127.0.0.1:9/".into();
        assert_eq!(
            c.endpoint("ListTenants").unwrap().as_str(),
            "https://cipp-x.azurewebsites.net/api/ListTenants"
        );
        assert_eq!(
            c.token_url().unwrap().as_str(),
            "http://127.0.0.1:9/partner-tenant/oauth2/v2.0/token"
        );
        assert_eq!(c.scope(), "api://app-id/.default");
        assert_eq!(
            c.graph_origin().unwrap().as_str(),
            "https://graph.microsoft.com/"
        );
        assert!(c.validate().is_ok());
    }

    #[test]
    fn incomplete_credentials_are_named_without_values() {
        let c = CippConfig::new("https://cipp.example", "tenant", "", "s3cret");
        let err = c.validate().unwrap_err();
        assert_eq!(err.code(), "configuration");
        assert!(
            err.message.contains("entra_cipp_client_id"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("s3cret"));
        let legacy = CippConfig::with_legacy_token("https://cipp.example", "eyJpasted");
        assert!(legacy.validate().is_ok());
        assert!(!legacy.has_client_credentials());
        let bad = CippConfig::new("ftp://cipp.example", "t", "c", "s");
        assert_eq!(bad.validate().unwrap_err().code(), "configuration");
    }

    #[test]
    fn page_size_must_be_one_graph_accepts() {
        let mut c = CippConfig::new("https://cipp.example", "t", "c", "s");
        assert_eq!(c.page_size, 999);
        for bad in [0, 1000] {
            c.page_size = bad;
            assert_eq!(c.validate().unwrap_err().code(), "configuration");
        }
        c.page_size = 1;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn debug_hides_secrets() {
        let mut c = CippConfig::new("https://cipp.example", "t", "c", "very-secret-value");
        c.legacy_api_token = Some(Secret::new("legacy-token-value"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(!shown.contains("legacy-token-value"), "{shown}");
    }

    #[tokio::test]
    async fn settings_are_read_under_the_canonical_names() {
        let secrets = MemorySecrets::new();
        let t = "psa-tenant";
        let err = CippConfig::from_secrets(&secrets, t).await.unwrap_err();
        assert_eq!(err.code(), "configuration");
        for (name, value) in [
            (names::ENTRA_CIPP_BASE_URL, "https://cipp.example/"),
            (names::ENTRA_CIPP_CLIENT_ID, "app-id"),
            (names::ENTRA_CIPP_CLIENT_SECRET, "s3cret"),
            (names::ENTRA_CIPP_TENANT_ID, "partner-tenant"),
        ] {
            secrets.set(t, name, Secret::new(value)).await.unwrap();
        }
        let c = CippConfig::from_secrets(&secrets, t).await.unwrap();
        assert_eq!(c.base_url, "https://cipp.example");
        assert_eq!(c.client_id, "app-id");
        assert_eq!(c.client_secret.expose(), "s3cret");
        assert_eq!(c.tenant_id, "partner-tenant");
        assert_eq!(c.partner_tenant_id.as_deref(), Some("partner-tenant"));
        assert!(c.has_client_credentials());
        assert_eq!(c.policy, HttpPolicy::for_cipp());
    }

    #[tokio::test]
    async fn a_stored_legacy_token_alone_is_accepted() {
        let secrets = MemorySecrets::new();
        let t = "psa-tenant";
        secrets
            .set(t, names::ENTRA_CIPP_BASE_URL, "https://cipp.example".into())
            .await
            .unwrap();
        secrets
            .set(t, names::ENTRA_CIPP_API_TOKEN, "pasted".into())
            .await
            .unwrap();
        let c = CippConfig::from_secrets(&secrets, t).await.unwrap();
        assert!(!c.has_client_credentials());
        assert_eq!(c.legacy_api_token.unwrap().expose(), "pasted");
    }
}
