//! The direct provider: Microsoft Graph with the MSP's partner (GDAP) access.
//!
//! Customers come from the partner's GDAP relationships; users are read per customer tenant
//! with a token minted for that tenant (`/v1.0/users` with every needed property selected), and
//! changes through `/v1.0/users/delta`. Tokens are refreshed ahead of expiry and after a 401,
//! and every rotation of the partner's refresh token reaches the caller (a
//! [`TokenRotationSink`], or the [`SecretProvider`] the provider was built from).

mod config;
mod delta;
mod discovery;
mod groups;
mod normalize;
mod request;
mod skus;
mod users;
mod validate;
mod wire;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use entra_core::filter::GroupMembership;
use entra_core::model::ConnectionType;
use entra_core::provider::{
    DeltaListing, EntraProvider, ProviderError, ProviderErrorCode, SkuListing, TenantListing,
    UserListing,
};
use url::Url;

pub use crate::validation::{CheckStatus, ValidationCheck, ValidationReport};
pub use config::{GraphConfig, GraphOptions, GraphSettings};
pub(crate) use groups::check_group_id;
pub use normalize::{UsersPage, parse_users_page, user_from_graph};
pub(crate) use skus::SKU_SELECT;

use crate::auth::{
    SecretsTokenSink, TokenClient, TokenManager, TokenManagerConfig, TokenRotationSink, TokenSet,
    load_token_set,
};
use crate::http::HttpClient;
use crate::secrets::{CredentialChain, SecretProvider, names};
use request::{Caller, GraphClient};
use wire::{AdminCustomer, Page};

/// Microsoft Graph with partner access, behind [`EntraProvider`].
pub struct GraphProvider {
    client: GraphClient,
    options: GraphOptions,
}

impl fmt::Debug for GraphProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphProvider")
            .field("graph_base", &self.client.base.as_str())
            .field("tokens", &self.client.tokens)
            .field("options", &self.options)
            .finish()
    }
}

impl GraphProvider {
    /// A provider from explicit settings. Rotated tokens are only kept in memory: use
    /// [`GraphProvider::with_rotation_sink`] to persist them.
    pub fn new(settings: GraphSettings) -> Result<Self, ProviderError> {
        Self::build(settings, None)
    }

    /// A provider that reports every new partner token set to `sink`.
    pub fn with_rotation_sink(
        settings: GraphSettings,
        sink: Arc<dyn TokenRotationSink>,
    ) -> Result<Self, ProviderError> {
        Self::build(settings, Some(sink))
    }

    /// A provider for one host tenant from its secret store: the app credentials through the
    /// resolution chain, the partner token set and tenant under the canonical `entra_direct_*`
    /// names; rotated tokens are written back there.
    pub async fn from_secrets(
        secrets: Arc<dyn SecretProvider>,
        chain: &CredentialChain,
        host_tenant: &str,
        config: GraphConfig,
    ) -> Result<Self, ProviderError> {
        let credentials = chain.resolve(host_tenant).await?;
        let partner_tenant_id = secrets
            .get(host_tenant, names::ENTRA_DIRECT_PARTNER_TENANT_ID)
            .await?
            .filter(|s| !s.is_empty())
            .map(|s| s.expose().trim().to_string())
            .or(credentials.tenant_id.clone())
            .ok_or_else(|| {
                configuration("the partner tenant id is unknown: connect the partner account first")
            })?;
        let tokens = load_token_set(secrets.as_ref(), host_tenant)
            .await?
            .ok_or_else(|| {
                configuration("the partner account is not connected: no stored tokens")
            })?;
        let sink = Arc::new(SecretsTokenSink::new(secrets, host_tenant));
        Self::build(
            GraphSettings {
                client_id: credentials.client_id,
                client_secret: credentials.client_secret,
                partner_tenant_id,
                tokens,
                config,
            },
            Some(sink),
        )
    }

    fn build(
        settings: GraphSettings,
        sink: Option<Arc<dyn TokenRotationSink>>,
    ) -> Result<Self, ProviderError> {
        if settings.client_id.trim().is_empty() || settings.client_secret.is_empty() {
            return Err(configuration(
                "the Microsoft client id and client secret are required",
            ));
        }
        crate::tenant_id::check_tenant_id(&settings.partner_tenant_id, "partner tenant id")?;
        let GraphConfig {
            endpoints,
            options,
            policy,
        } = settings.config;
        let http = HttpClient::new(policy)?;
        let cloud = endpoints.cloud();
        let base = Url::parse(&format!("{}/", endpoints.graph_base()))
            .map_err(|_| configuration("the Graph base URL is not a valid URL"))?;
        let manager_config = TokenManagerConfig {
            partner_tenant_id: settings.partner_tenant_id,
            partner_scope: options
                .partner_scope
                .clone()
                .unwrap_or_else(|| format!("{} offline_access", endpoints.graph_default_scope())),
            customer_scope: endpoints.graph_default_scope(),
            customer_grant: options.customer_grant,
            refresh_margin: options.refresh_margin,
            customer_margin: options.customer_margin,
        };
        let token_client = TokenClient::new(
            http.clone(),
            endpoints,
            settings.client_id,
            settings.client_secret,
        );
        let mut manager = TokenManager::new(token_client, manager_config, settings.tokens);
        if let Some(sink) = sink {
            manager = manager.with_rotation_sink(sink);
        }
        Ok(Self {
            client: GraphClient {
                http,
                tokens: Arc::new(manager),
                base,
                cloud,
            },
            options,
        })
    }

    /// The token manager (partner and per-customer tokens).
    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.client.tokens
    }

    /// The current partner token set, for hosts that persist it themselves.
    pub async fn partner_tokens(&self) -> TokenSet {
        self.client.tokens.partner_tokens().await
    }

    /// Checks the connection step by step (credentials, token refresh, discovery, one
    /// customer's users) and reports each step with the error code of a failure.
    pub async fn validate_direct_connection(&self) -> ValidationReport {
        let mut checks = vec![validate::ValidationCheck::passed(
            validate::CREDENTIALS,
            Some(format!(
                "client id {} for partner tenant {}",
                self.client.tokens.client().client_id(),
                self.client.tokens.config().partner_tenant_id
            )),
        )];
        self.run_connection_checks(&mut checks).await;
        ValidationReport::new(checks)
    }

    /// Like [`GraphProvider::validate_direct_connection`], starting from a secret store, so a
    /// missing credential is reported as a failed first check rather than an error.
    pub async fn validate_from_secrets(
        secrets: Arc<dyn SecretProvider>,
        chain: &CredentialChain,
        host_tenant: &str,
        config: GraphConfig,
    ) -> ValidationReport {
        match Self::from_secrets(secrets, chain, host_tenant, config).await {
            Ok(provider) => provider.validate_direct_connection().await,
            Err(err) => ValidationReport::new(vec![
                validate::ValidationCheck::failed(validate::CREDENTIALS, &err),
                validate::ValidationCheck::skipped(validate::TOKEN, "no credentials"),
                validate::ValidationCheck::skipped(validate::DISCOVERY, "no credentials"),
                validate::ValidationCheck::skipped(validate::USERS, "no credentials"),
            ]),
        }
    }

    async fn run_connection_checks(&self, checks: &mut Vec<ValidationCheck>) {
        if let Err(err) = self.client.tokens.refresh_partner().await {
            checks.push(ValidationCheck::failed(validate::TOKEN, &err));
            checks.push(ValidationCheck::skipped(
                validate::DISCOVERY,
                "no partner token",
            ));
            checks.push(ValidationCheck::skipped(
                validate::USERS,
                "no partner token",
            ));
            return;
        }
        checks.push(ValidationCheck::passed(validate::TOKEN, None));

        let first_customer = match self.first_customer().await {
            Ok(first) => {
                checks.push(ValidationCheck::passed(validate::DISCOVERY, None));
                first
            }
            Err(err) => {
                checks.push(ValidationCheck::failed(validate::DISCOVERY, &err));
                checks.push(ValidationCheck::skipped(
                    validate::USERS,
                    "discovery failed",
                ));
                return;
            }
        };
        let Some(tenant) = first_customer else {
            checks.push(ValidationCheck::skipped(
                validate::USERS,
                "the partner has no GDAP customer to try",
            ));
            return;
        };
        let probe = self
            .client
            .url("v1.0/users?$select=id,accountEnabled&$top=1")
            .map(|url| (url, tenant.clone()));
        let result = match probe {
            Ok((url, tenant)) => self
                .client
                .get_page::<serde_json::Value>(Caller::Customer(&tenant), &url)
                .await
                .map(|_| ()),
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => checks.push(ValidationCheck::passed(
                validate::USERS,
                Some(format!("read users of tenant {tenant}")),
            )),
            Err(err) => checks.push(ValidationCheck::failed(validate::USERS, &err)),
        }
    }

    async fn first_customer(&self) -> Result<Option<String>, ProviderError> {
        let url = self
            .client
            .url("v1.0/tenantRelationships/delegatedAdminCustomers?$top=1")?;
        let page: Page<AdminCustomer> = self.client.get_page(Caller::Partner, &url).await?;
        Ok(page.value.iter().find_map(AdminCustomer::tenant))
    }
}

#[async_trait]
impl EntraProvider for GraphProvider {
    fn connection_type(&self) -> ConnectionType {
        ConnectionType::Direct
    }

    async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
        discovery::list_tenants(&self.client, &self.options).await
    }

    async fn list_users(&self, entra_tenant_id: &str) -> Result<UserListing, ProviderError> {
        check_customer_tenant(entra_tenant_id)?;
        users::list_users(&self.client, &self.options, entra_tenant_id).await
    }

    fn supports_delta(&self) -> bool {
        true
    }

    async fn list_users_delta(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<DeltaListing, ProviderError> {
        check_customer_tenant(entra_tenant_id)?;
        delta::list_users_delta(&self.client, entra_tenant_id, delta_link).await
    }

    async fn list_group_members(
        &self,
        entra_tenant_id: &str,
        group_id: &str,
    ) -> Result<GroupMembership, ProviderError> {
        check_customer_tenant(entra_tenant_id)?;
        groups::list_group_members(
            &self.client,
            self.options.users_page_size,
            entra_tenant_id,
            group_id,
        )
        .await
    }

    async fn list_subscribed_skus(
        &self,
        entra_tenant_id: &str,
    ) -> Result<SkuListing, ProviderError> {
        check_customer_tenant(entra_tenant_id)?;
        skus::list_subscribed_skus(&self.client, entra_tenant_id).await
    }
}

/// A customer tenant must be one tenant: a multi-tenant authority (`common`, `organizations`,
/// `consumers`) would mint a token for whichever tenant the partner user belongs to.
fn check_customer_tenant(tenant: &str) -> Result<(), ProviderError> {
    crate::tenant_id::check_tenant_id(tenant, "customer tenant id")?;
    if ["common", "organizations", "consumers"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(tenant))
    {
        return Err(configuration(
            "a customer tenant id is required, not a multi-tenant authority",
        ));
    }
    Ok(())
}

fn configuration(message: &str) -> ProviderError {
    ProviderError::new(ProviderErrorCode::Configuration, message)
}
