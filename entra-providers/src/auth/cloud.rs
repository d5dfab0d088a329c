use entra_core::provider::{ProviderError, ProviderErrorCode};
use url::Url;

/// A Microsoft cloud: each has its own login host and Graph host, and tokens do not cross them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NationalCloud {
    /// The global service (Microsoft 365 GCC included).
    #[default]
    Global,
    /// US Government GCC High (L4).
    UsGovHigh,
    /// US Government DoD (L5).
    UsGovDod,
    /// Microsoft Azure operated by 21Vianet.
    China,
}

impl NationalCloud {
    pub fn login_base(self) -> &'static str {
        match self {
            NationalCloud::Global => "https://login.microsoftonline.com",
            NationalCloud::UsGovHigh | NationalCloud::UsGovDod => {
                "https://login.microsoftonline.us"
            }
            NationalCloud::China => "https://login.partner.microsoftonline.cn",
        }
    }

    /// Whether the cloud's Graph offers the GDAP APIs (`delegatedAdminCustomers`,
    /// `delegatedAdminRelationships`) and `findTenantInformationByTenantId`: the global and US
    /// Government (Fairfax) metadata have them, China's (Mooncake) does not.
    pub fn offers_gdap(self) -> bool {
        !matches!(self, NationalCloud::China)
    }

    /// Whether the cloud offers Microsoft 365 Lighthouse (`managedTenants`): global only.
    pub fn offers_lighthouse(self) -> bool {
        matches!(self, NationalCloud::Global)
    }

    pub fn graph_base(self) -> &'static str {
        match self {
            NationalCloud::Global => "https://graph.microsoft.com",
            NationalCloud::UsGovHigh => "https://graph.microsoft.us",
            NationalCloud::UsGovDod => "https://dod-graph.microsoft.us",
            NationalCloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }
}

/// The login and Graph base URLs (no trailing slash) every call is built from, and the Graph
/// resource identifier scopes name. Presets cover the national clouds; [`CloudEndpoints::custom`]
/// points at any host (tests, the sandbox) while scopes keep naming the real resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    login_base: String,
    graph_base: String,
    graph_resource: String,
    /// Which cloud's API surface is behind the addresses (what discovery may ask for).
    cloud: NationalCloud,
}

impl Default for CloudEndpoints {
    fn default() -> Self {
        Self::for_cloud(NationalCloud::Global)
    }
}

impl CloudEndpoints {
    pub fn for_cloud(cloud: NationalCloud) -> Self {
        Self {
            login_base: cloud.login_base().to_string(),
            graph_base: cloud.graph_base().to_string(),
            graph_resource: cloud.graph_base().to_string(),
            cloud,
        }
    }

    /// Declares which national cloud custom addresses front (a proxy, or the sandbox configured
    /// as that cloud): scopes name that cloud's Graph resource and discovery uses only the APIs
    /// that cloud offers.
    pub fn with_cloud(mut self, cloud: NationalCloud) -> Self {
        self.cloud = cloud;
        self.graph_resource = cloud.graph_base().to_string();
        self
    }

    /// The cloud whose API surface is expected behind the addresses.
    pub fn cloud(&self) -> NationalCloud {
        self.cloud
    }

    /// Explicit base URLs; a trailing slash is dropped, anything but http(s) is refused. Scopes
    /// keep naming the global Graph resource (`https://graph.microsoft.com`): a token's audience
    /// is the resource identifier, not the address it is sent to. See
    /// [`CloudEndpoints::with_graph_resource`].
    pub fn custom(login_base: &str, graph_base: &str) -> Result<Self, ProviderError> {
        Ok(Self {
            login_base: normalize_base(login_base, "login base URL")?,
            graph_base: normalize_base(graph_base, "Graph base URL")?,
            graph_resource: NationalCloud::Global.graph_base().to_string(),
            cloud: NationalCloud::Global,
        })
    }

    /// Names another Graph resource in scopes (e.g. a national cloud's behind a custom address).
    pub fn with_graph_resource(mut self, resource: &str) -> Result<Self, ProviderError> {
        self.graph_resource = normalize_base(resource, "Graph resource identifier")?;
        Ok(self)
    }

    /// The resource identifier scopes are built from.
    pub fn graph_resource(&self) -> &str {
        &self.graph_resource
    }

    pub fn login_base(&self) -> &str {
        &self.login_base
    }

    pub fn graph_base(&self) -> &str {
        &self.graph_base
    }

    /// `{graph resource}/.default`: everything consented in the tenant the token is minted for.
    pub fn graph_default_scope(&self) -> String {
        format!("{}/.default", self.graph_resource)
    }

    /// The scopes the partner signs in with: a refresh token, and read access to GDAP relationships.
    pub fn partner_scopes(&self) -> Vec<String> {
        vec![
            "openid".to_string(),
            "offline_access".to_string(),
            format!(
                "{}/DelegatedAdminRelationship.Read.All",
                self.graph_resource
            ),
        ]
    }

    /// `{login}/{authority}/oauth2/v2.0/token`.
    pub fn token_url(&self, authority: &str) -> Result<Url, ProviderError> {
        self.login_url(authority, "token")
    }

    /// `{login}/{authority}/oauth2/v2.0/authorize`.
    pub fn authorize_url(&self, authority: &str) -> Result<Url, ProviderError> {
        self.login_url(authority, "authorize")
    }

    fn login_url(&self, authority: &str, endpoint: &str) -> Result<Url, ProviderError> {
        check_authority(authority)?;
        Url::parse(&format!(
            "{}/{authority}/oauth2/v2.0/{endpoint}",
            self.login_base
        ))
        .map_err(|_| config("the login base URL is not a valid URL"))
    }
}

/// Refuses anything but a tenant segment of a login URL (a GUID, a domain, `organizations`,
/// `common`), so an id read from an upstream cannot change the URL it is put into.
pub fn check_authority(authority: &str) -> Result<(), ProviderError> {
    crate::tenant_id::check_tenant_id(authority, "authority")
}

fn normalize_base(value: &str, what: &str) -> Result<String, ProviderError> {
    let trimmed = value.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|_| config(format!("the {what} is not a valid URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(config(format!("the {what} must be an http(s) URL")));
    }
    crate::http::check_base_url(&url, what)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config(format!("the {what} must not carry a query")));
    }
    Ok(trimmed.to_string())
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorCode::Configuration, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_pair_login_and_graph_hosts() {
        let gov = CloudEndpoints::for_cloud(NationalCloud::UsGovDod);
        assert_eq!(gov.login_base(), "https://login.microsoftonline.us");
        assert_eq!(
            gov.graph_default_scope(),
            "https://dod-graph.microsoft.us/.default"
        );
        let high = CloudEndpoints::for_cloud(NationalCloud::UsGovHigh);
        assert_eq!(high.graph_base(), "https://graph.microsoft.us");
        let cn = CloudEndpoints::for_cloud(NationalCloud::China);
        assert!(cn.partner_scopes()[2].starts_with("https://microsoftgraph.chinacloudapi.cn/"));
        let global = CloudEndpoints::default();
        assert_eq!(
            global.token_url("organizations").unwrap().as_str(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
    }

    #[test]
    fn custom_bases_are_normalized_and_authorities_checked() {
        let e = CloudEndpoints::custom("http://127.0.0.1:9/", "http://127.0.0.1:10").unwrap();
        assert_eq!(e.login_base(), "http://127.0.0.1:9");
        assert_eq!(
            e.graph_default_scope(),
            "https://graph.microsoft.com/.default"
        );
        let gov = e
            .clone()
            .with_graph_resource("https://graph.microsoft.us/")
            .unwrap();
        assert_eq!(
            gov.graph_default_scope(),
            "https://graph.microsoft.us/.default"
        );
        assert!(CloudEndpoints::custom("ftp://x", "http://y").is_err());
        for bad in ["../evil", "..", ".", "a..b", ".contoso.com", "a/b", "a?b"] {
            assert_eq!(
                e.token_url(bad).unwrap_err().code(),
                "configuration",
                "{bad}"
            );
        }
        assert!(e.token_url("contoso.onmicrosoft.com").is_ok());
    }
}
