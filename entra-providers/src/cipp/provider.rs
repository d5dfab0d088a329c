//! [`CippProvider`]: the [`EntraProvider`] that reads tenants and users through CIPP.

use std::collections::HashSet;

use async_trait::async_trait;
use entra_core::filter::GroupMembership;
use entra_core::model::{ConnectionType, Warning};
use entra_core::provider::{EntraProvider, ProviderError, SkuListing, TenantListing, UserListing};

use super::client::{CippApi, invalid_argument};
use super::config::CippConfig;
use super::tenants::parse_tenant_rows;
use super::users::{USER_SELECT, parse_user_page};
use crate::http::{HttpClient, ListingDeadline, PageGuard, check_next_link};
use crate::secrets::SecretProvider;
use crate::user_rows::UserCollector;

/// Reads an MSP's customer tenants and their users through a CIPP instance.
///
/// Users are listed with `ListGraphRequest` one Graph page at a time, so a listing is complete
/// only when the last page arrived; a failure after the first page yields the users read so far
/// with `complete: false`. CIPP cannot relay delta queries, so every listing is a full one.
#[derive(Debug)]
pub struct CippProvider {
    api: CippApi,
}

impl CippProvider {
    /// A provider for `config`, with an HTTP client built from `config.policy`.
    pub fn new(config: CippConfig) -> Result<Self, ProviderError> {
        let http = HttpClient::new(config.policy.clone())?;
        Self::with_http(config, http)
    }

    /// A provider sharing an existing HTTP client (and its connection pool and policy).
    pub fn with_http(config: CippConfig, http: HttpClient) -> Result<Self, ProviderError> {
        Ok(Self {
            api: CippApi::new(config, http)?,
        })
    }

    /// A provider for the CIPP connection stored for host tenant `tenant`
    /// (see [`CippConfig::from_secrets`]).
    pub async fn from_secrets(
        secrets: &dyn SecretProvider,
        tenant: &str,
    ) -> Result<Self, ProviderError> {
        Self::new(CippConfig::from_secrets(secrets, tenant).await?)
    }

    /// The authenticated API client underneath, for probes such as `/api/me`.
    pub fn api(&self) -> &CippApi {
        &self.api
    }

    /// Reads one page of a tenant's users: the first when `next_link` is `None`, else the page
    /// `next_link` (a previous page's `Metadata.nextLink`) points at.
    pub async fn list_users_page(
        &self,
        entra_tenant_id: &str,
        next_link: Option<&str>,
    ) -> Result<super::users::UserPage, ProviderError> {
        let tenant = entra_tenant_id.trim();
        if tenant.is_empty() {
            return Err(invalid_argument("a tenant id is required to list users"));
        }
        // CIPP reads `AllTenants` as "every tenant at once": users of many tenants in one list.
        if tenant.eq_ignore_ascii_case("AllTenants") {
            return Err(invalid_argument(
                "`AllTenants` is not a tenant: list the users of one customer tenant at a time",
            ));
        }
        crate::tenant_id::check_tenant_id(tenant, "tenant id")
            .map_err(|e| invalid_argument(e.message))?;
        let top = self.api.config().page_size.to_string();
        let mut query: Vec<(&str, &str)> = vec![
            ("Endpoint", "users"),
            ("tenantFilter", tenant),
            ("$select", USER_SELECT),
            ("$top", top.as_str()),
            ("manualPagination", "true"),
            ("Version", "v1.0"),
        ];
        if let Some(link) = next_link {
            // CIPP follows the link with its own Graph token: only the Graph host may be named.
            let origin = self.api.config().graph_origin()?;
            check_next_link(&origin, link, &mut HashSet::new(), 0, 1)?;
            query.push(("nextLink", link));
        }
        let answer = self.api.get_json("ListGraphRequest", &query).await?;
        parse_user_page(&answer, tenant)
    }
}

#[async_trait]
impl EntraProvider for CippProvider {
    fn connection_type(&self) -> ConnectionType {
        ConnectionType::Cipp
    }

    async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
        let answer = self.api.get_json("ListTenants", &[]).await?;
        let tenants = parse_tenant_rows(&answer, self.api.config().partner_tenant_id.as_deref())?;
        let warnings = tenants
            .iter()
            .filter_map(|t| {
                let note = t.health_note.as_ref()?;
                let name = t.display_name.as_deref().unwrap_or(&t.entra_tenant_id);
                Some(Warning::new(
                    "cipp_tenant_unhealthy",
                    format!("{name} ({}): {note}", t.entra_tenant_id),
                ))
            })
            .collect();
        Ok(TenantListing {
            tenants,
            complete: true,
            warnings,
        })
    }

    /// A row that cannot be read is left out with a warning (the listing is then incomplete);
    /// a user repeated across pages keeps its last copy; the whole listing runs under the
    /// policy's listing deadline.
    async fn list_users(&self, entra_tenant_id: &str) -> Result<UserListing, ProviderError> {
        let config = self.api.config();
        let mut guard = PageGuard::for_origin(&config.graph_origin()?, config.policy.max_pages);
        let deadline = ListingDeadline::start(&config.policy);
        let mut users = UserCollector::new();
        let mut next: Option<String> = None;
        let mut pages = 0usize;
        loop {
            let page = match deadline
                .run(self.list_users_page(entra_tenant_id, next.as_deref()))
                .await
            {
                Ok(page) => page,
                Err(error) if pages == 0 => return Err(error),
                Err(error) => return Ok(incomplete(users, error)),
            };
            pages += 1;
            users.add_page(page.users, page.skipped);
            let Some(link) = page.next_link else {
                return Ok(users.finish(None));
            };
            if let Err(error) = guard.next(&link) {
                return Ok(incomplete(users, error));
            }
            next = Some(link);
        }
    }

    fn supports_delta(&self) -> bool {
        false
    }

    async fn list_group_members(
        &self,
        entra_tenant_id: &str,
        group_id: &str,
    ) -> Result<GroupMembership, ProviderError> {
        super::directory::list_group_members(&self.api, entra_tenant_id, group_id).await
    }

    async fn list_subscribed_skus(
        &self,
        entra_tenant_id: &str,
    ) -> Result<SkuListing, ProviderError> {
        super::directory::list_subscribed_skus(&self.api, entra_tenant_id).await
    }
}

fn incomplete(users: UserCollector, error: ProviderError) -> UserListing {
    tracing::warn!(
        code = error.code(),
        users = users.len(),
        "CIPP user listing stopped half-way"
    );
    users.finish(Some(error))
}
