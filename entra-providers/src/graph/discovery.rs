use std::collections::{BTreeMap, HashSet};

use entra_core::model::{DomainSource, ManagedTenant, Warning};
use entra_core::provider::{ProviderError, ProviderErrorCode, TenantListing};
use futures::StreamExt;

use super::config::GraphOptions;
use super::request::{Caller, GraphClient};
use super::wire::{
    AdminCustomer, AdminRelationship, DapContract, Domain, LighthouseTenant, TenantInformation,
};

/// Lists customer tenants from what the configured cloud offers.
///
/// Where the GDAP APIs exist, GDAP customers are the authoritative source and only their listing
/// decides `complete`. When that listing is unavailable altogether (a 403, an API missing), the
/// partner-side fallbacks list what they can (Lighthouse where the cloud has it, legacy DAP
/// contracts) with a warning, and the listing is never complete: those sources show only part
/// of the customers, so absence from them proves nothing. In a cloud without the GDAP APIs
/// (China), DAP contracts are the listing. Optional sources that fail become warnings.
pub(crate) async fn list_tenants(
    client: &GraphClient,
    options: &GraphOptions,
) -> Result<TenantListing, ProviderError> {
    let cloud = client.cloud;
    let mut warnings = Vec::new();
    let mut tenants: BTreeMap<String, ManagedTenant> = BTreeMap::new();
    let mut contracts_read = false;
    let mut lighthouse_read = false;
    let mut gdap_listed = false;
    let complete;
    if cloud.offers_gdap() {
        let top = options.customers_page_size.clamp(1, 300);
        let first = client.url(&format!(
            "v1.0/tenantRelationships/delegatedAdminCustomers?$top={top}"
        ))?;
        let customers = client
            .get_all::<AdminCustomer>(Caller::Partner, first)
            .await;
        match &customers.error {
            Some(err) if must_surface(err) => return Err(err.clone()),
            Some(err) if customers.pages <= 1 && customers.items.is_empty() => {
                // GDAP is unavailable: list what the partner-side fallbacks can see.
                let gdap_error = err.clone();
                let mut sources = Vec::new();
                if cloud.offers_lighthouse()
                    && add_lighthouse(client, &mut tenants, &mut warnings).await?
                {
                    sources.push("Microsoft 365 Lighthouse");
                }
                lighthouse_read = true;
                if add_contracts(client, &mut tenants, &mut warnings).await? {
                    sources.push("legacy DAP contracts");
                }
                contracts_read = true;
                if sources.is_empty() {
                    return Err(gdap_error);
                }
                warnings.push(Warning::new(
                    "gdap_unavailable",
                    format!(
                        "the GDAP customer listing is unavailable ({gdap_error}); customers were \
                         listed from {} instead, which show only part of them",
                        sources.join(" and ")
                    ),
                ));
                complete = false;
            }
            _ => {
                complete = customers.error.is_none();
                if let Some(err) = &customers.error {
                    warnings.push(Warning::new(
                        "discovery_incomplete",
                        format!("the GDAP customer listing stopped early: {err}"),
                    ));
                }
                gdap_listed = true;
                for customer in customers.items {
                    let Some(id) = customer.tenant() else {
                        continue;
                    };
                    let tenant = tenants
                        .entry(id.clone())
                        .or_insert_with(|| ManagedTenant::new(id));
                    if tenant.display_name.is_none() {
                        tenant.display_name = customer.display_name;
                    }
                }
            }
        }
    } else {
        // No GDAP APIs in this cloud: DAP contracts are the customer listing.
        let first = client.url("v1.0/contracts")?;
        let listing = client.get_all::<DapContract>(Caller::Partner, first).await;
        if let Some(err) = &listing.error
            && ((listing.pages <= 1 && listing.items.is_empty()) || must_surface(err))
        {
            return Err(err.clone());
        }
        complete = listing.error.is_none();
        if let Some(err) = &listing.error {
            warnings.push(Warning::new(
                "discovery_incomplete",
                format!("the contract listing stopped early: {err}"),
            ));
        }
        add_contract_rows(listing.items, &mut tenants);
        contracts_read = true;
    }

    if gdap_listed && options.enrich_from_relationships {
        enrich_from_relationships(client, options, &mut tenants, &mut warnings).await?;
    }
    if options.include_lighthouse && !lighthouse_read && cloud.offers_lighthouse() {
        add_lighthouse(client, &mut tenants, &mut warnings).await?;
    }
    if gdap_listed && options.include_contracts && !contracts_read {
        let before: HashSet<String> = tenants.keys().cloned().collect();
        add_contracts(client, &mut tenants, &mut warnings).await?;
        flag_dap_only(&before, &mut tenants, &mut warnings);
    }
    if options.include_domains || options.include_user_counts {
        add_tenant_details(client, options, &mut tenants, &mut warnings).await?;
    }

    Ok(TenantListing {
        tenants: tenants.into_values().collect(),
        complete,
        warnings,
    })
}

/// Customers a DAP contract lists but GDAP does not: listed, flagged, and named in one warning.
fn flag_dap_only(
    gdap: &HashSet<String>,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) {
    let mut dap_only = Vec::new();
    for (id, tenant) in tenants.iter_mut() {
        if !gdap.contains(id) {
            tenant.health_note = Some(
                "legacy DAP relationship only: its users cannot be read until a GDAP relationship \
                 is approved"
                    .to_string(),
            );
            dap_only.push(id.clone());
        }
    }
    if !dap_only.is_empty() {
        warnings.push(Warning::new(
            "dap_only_customers",
            format!(
                "{} customer(s) have only a legacy DAP relationship; GDAP is needed to read their \
                 users: {}",
                dap_only.len(),
                dap_only.join(", ")
            ),
        ));
    }
}

/// Reads `/v1.0/contracts` into `tenants`; whether the listing could be read at all.
async fn add_contracts(
    client: &GraphClient,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ProviderError> {
    let first = client.url("v1.0/contracts")?;
    let listing = client.get_all::<DapContract>(Caller::Partner, first).await;
    let read = listing.error.is_none() || !listing.items.is_empty();
    add_contract_rows(listing.items, tenants);
    if let Some(err) = listing.error {
        if must_surface(&err) {
            return Err(err);
        }
        warnings.push(Warning::new(
            "contracts_unreadable",
            format!("legacy DAP contracts could not be read: {err}"),
        ));
    }
    Ok(read)
}

fn add_contract_rows(rows: Vec<DapContract>, tenants: &mut BTreeMap<String, ManagedTenant>) {
    for row in rows {
        let Some(id) = clean_id(row.customer_id.as_deref()) else {
            continue;
        };
        let tenant = tenants
            .entry(id.clone())
            .or_insert_with(|| ManagedTenant::new(id));
        if tenant.display_name.is_none() {
            tenant.display_name = row
                .display_name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty());
        }
        set_fallback_domain(tenant, row.default_domain_name, DomainSource::Contract);
    }
}

/// A tenant id from a partner-side row, lower-cased; `None` when blank.
fn clean_id(raw: Option<&str>) -> Option<String> {
    raw.map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
}

/// Gives a tenant that has no domain yet a partner-side default domain, saying where from.
fn set_fallback_domain(tenant: &mut ManagedTenant, domain: Option<String>, source: DomainSource) {
    let Some(domain) = domain
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
    else {
        return;
    };
    if tenant.domains.is_empty() {
        tenant.primary_domain = Some(domain.clone());
        tenant.domains.push(domain);
        tenant.domain_source = Some(source);
    }
}

/// Whether a failure of an optional source must still fail the discovery: a rotated refresh
/// token that could not be persisted puts the connection at risk, so the host must hear of it.
fn must_surface(err: &ProviderError) -> bool {
    err.code == ProviderErrorCode::TokenPersistFailed
}

async fn enrich_from_relationships(
    client: &GraphClient,
    options: &GraphOptions,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) -> Result<(), ProviderError> {
    let top = options.customers_page_size.clamp(1, 300);
    let first = match client.url(&format!(
        "v1.0/tenantRelationships/delegatedAdminRelationships?$filter=status%20eq%20'active'&$top={top}"
    )) {
        Ok(url) => url,
        Err(err) => {
            warnings.push(Warning::new("relationships_unreadable", err.to_string()));
            return Ok(());
        }
    };
    let listing = client
        .get_all::<AdminRelationship>(Caller::Partner, first)
        .await;
    let mut active: HashSet<String> = HashSet::new();
    for relationship in listing.items {
        if relationship.status.as_deref() != Some("active") {
            continue;
        }
        let Some(customer) = relationship.customer else {
            continue;
        };
        let Some(id) = customer.tenant_id.map(|t| t.trim().to_ascii_lowercase()) else {
            continue;
        };
        if let Some(tenant) = tenants.get_mut(&id)
            && tenant.display_name.is_none()
        {
            tenant.display_name = customer.display_name;
        }
        active.insert(id);
    }
    match listing.error {
        Some(err) if must_surface(&err) => return Err(err),
        Some(err) => warnings.push(Warning::new(
            "relationships_unreadable",
            format!("active GDAP relationships could not be read: {err}"),
        )),
        None => {
            for (id, tenant) in tenants.iter_mut() {
                if !active.contains(id) {
                    tenant.health_note = Some(
                        "no active GDAP relationship: its users cannot be read until one is approved"
                            .to_string(),
                    );
                }
            }
        }
    }
    Ok(())
}

/// Reads Lighthouse tenants into `tenants`; whether the listing could be read at all.
async fn add_lighthouse(
    client: &GraphClient,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ProviderError> {
    let first = match client.url("beta/tenantRelationships/managedTenants/tenants") {
        Ok(url) => url,
        Err(err) => {
            warnings.push(Warning::new("lighthouse_unreadable", err.to_string()));
            return Ok(false);
        }
    };
    let listing = client
        .get_all::<LighthouseTenant>(Caller::Partner, first)
        .await;
    let read = listing.error.is_none() || !listing.items.is_empty();
    for row in listing.items {
        let Some(id) = clean_id(row.tenant_id.as_deref()) else {
            continue;
        };
        let (domain, contract_name) = match row.contract {
            Some(contract) => (contract.default_domain_name, contract.display_name),
            None => (None, None),
        };
        let tenant = tenants
            .entry(id.clone())
            .or_insert_with(|| ManagedTenant::new(id));
        if tenant.display_name.is_none() {
            // Some rows carry the name only on their contract.
            tenant.display_name = [row.display_name, contract_name]
                .into_iter()
                .flatten()
                .map(|n| n.trim().to_string())
                .find(|n| !n.is_empty());
        }
        set_fallback_domain(tenant, domain, DomainSource::Lighthouse);
    }
    if let Some(err) = listing.error {
        if must_surface(&err) {
            return Err(err);
        }
        warnings.push(Warning::new(
            "lighthouse_unreadable",
            format!("Lighthouse tenants could not be read: {err}"),
        ));
    }
    Ok(read)
}

/// What one tenant's own directory said (or why it could not).
struct TenantDetails {
    domains: Option<Result<Vec<Domain>, ProviderError>>,
    user_count: Option<u64>,
}

/// Reads every tenant's domains and user count, `domain_concurrency` tenants at once; with
/// delegated access each tenant's token is minted from the partner refresh token (see
/// [`crate::auth::TokenManager`] for how concurrent redemptions stay safe when refresh tokens
/// are single-use). A tenant whose domains cannot be read (no consent yet, no GDAP role) gets
/// its default domain from the partner-side tenant information where the cloud offers it.
async fn add_tenant_details(
    client: &GraphClient,
    options: &GraphOptions,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) -> Result<(), ProviderError> {
    let ids: Vec<String> = tenants.keys().cloned().collect();
    let results: Vec<(String, TenantDetails)> = futures::stream::iter(ids)
        .map(|id| async move {
            let details = tenant_details(client, options, &id).await;
            (id, details)
        })
        .buffer_unordered(options.domain_concurrency.max(1))
        .collect()
        .await;
    let mut failures: Vec<(String, ProviderError)> = Vec::new();
    let mut unconfirmed: Vec<(String, Vec<String>)> = Vec::new();
    for (id, details) in results {
        let Some(tenant) = tenants.get_mut(&id) else {
            continue;
        };
        if details.user_count.is_some() {
            tenant.source_user_count = details.user_count;
        }
        match details.domains {
            None => {}
            Some(Ok(domains)) => {
                // Only verified domains prove ownership; one whose state is not given is refused
                // too, but said so (an answer without `isVerified` would otherwise silently
                // yield no domains).
                let unstated: Vec<String> = domains
                    .iter()
                    .filter(|d| d.is_verified.is_none())
                    .map(|d| d.id.trim().to_ascii_lowercase())
                    .filter(|name| !name.is_empty())
                    .collect();
                if !unstated.is_empty() {
                    unconfirmed.push((id.clone(), unstated));
                }
                let mut verified: Vec<(bool, String)> = domains
                    .into_iter()
                    .filter(|d| d.is_verified == Some(true))
                    .map(|d| (d.is_default == Some(true), d.id.trim().to_ascii_lowercase()))
                    .filter(|(_, name)| !name.is_empty())
                    .collect();
                verified.sort();
                if let Some((_, name)) = verified.iter().find(|(default, _)| *default) {
                    tenant.primary_domain = Some(name.clone());
                }
                if !verified.is_empty() {
                    tenant.domain_source = Some(DomainSource::TenantDomains);
                }
                for (_, name) in verified {
                    if !tenant.domains.contains(&name) {
                        tenant.domains.push(name);
                    }
                }
                tenant.domains.sort();
            }
            Some(Err(err)) => failures.push((id, err)),
        }
    }
    unconfirmed.sort();
    for (id, names) in unconfirmed {
        warnings.push(Warning::new(
            "domains_unverified",
            format!(
                "tenant {id}: {} domain(s) did not say whether they are verified and were not \
                 used for mapping: {}",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    failures.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some((_, err)) = failures.iter().find(|(_, err)| must_surface(err)) {
        return Err(err.clone());
    }
    for (id, err) in failures {
        let fallback = if client.cloud.offers_gdap() {
            Some(tenant_information(client, &id).await)
        } else {
            None
        };
        match fallback {
            Some(Ok(info)) => {
                let Some(tenant) = tenants.get_mut(&id) else {
                    continue;
                };
                if tenant.display_name.is_none() {
                    tenant.display_name = info
                        .display_name
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty());
                }
                // Fresher than a contract's copy; a Lighthouse domain is as good.
                if tenant.domain_source == Some(DomainSource::Contract) {
                    tenant.domains.clear();
                }
                let had = tenant.domains.len();
                set_fallback_domain(
                    tenant,
                    info.default_domain_name,
                    DomainSource::TenantInformation,
                );
                let source = if tenant.domains.len() > had {
                    "its default domain was taken from the partner's tenant information"
                } else {
                    "the partner's tenant information named no new domain"
                };
                warnings.push(Warning::new(
                    "domains_from_tenant_information",
                    format!("the domains of tenant {id} could not be read ({err}); {source}"),
                ));
            }
            Some(Err(info_err)) if must_surface(&info_err) => return Err(info_err),
            Some(Err(info_err)) => warnings.push(Warning::new(
                "domains_unreadable",
                format!(
                    "the domains of tenant {id} could not be read: {err}; nor its tenant \
                     information: {info_err}"
                ),
            )),
            None => warnings.push(Warning::new(
                "domains_unreadable",
                format!("the domains of tenant {id} could not be read: {err}"),
            )),
        }
    }
    Ok(())
}

/// One tenant's domains and user count. The count is not asked when no token could be had
/// for the tenant (the domain read already said so); a count the token may not read is left
/// empty.
async fn tenant_details(client: &GraphClient, options: &GraphOptions, id: &str) -> TenantDetails {
    let domains = if options.include_domains {
        Some(tenant_domains(client, id).await)
    } else {
        None
    };
    let no_token = matches!(&domains, Some(Err(err)) if token_refused(err));
    let user_count = if options.include_user_counts && !no_token {
        user_count(client, id).await
    } else {
        None
    };
    TenantDetails {
        domains,
        user_count,
    }
}

/// Whether `err` says no token can be had for the tenant (as opposed to a call the token may
/// not make).
fn token_refused(err: &ProviderError) -> bool {
    matches!(
        err.code,
        ProviderErrorCode::ConsentRequired
            | ProviderErrorCode::AdminConsentRequired
            | ProviderErrorCode::RefreshTokenExpired
            | ProviderErrorCode::MfaOrConditionalAccess
            | ProviderErrorCode::InvalidClient
            | ProviderErrorCode::Unauthorized
            | ProviderErrorCode::TokenPersistFailed
    )
}

/// `GET /v1.0/users/$count` with `ConsistencyLevel: eventual`: a `text/plain` number.
async fn user_count(client: &GraphClient, tenant: &str) -> Option<u64> {
    let url = client.url("v1.0/users/$count").ok()?;
    match client.get_eventual(Caller::Customer(tenant), &url).await {
        Ok(body) => body.trim().trim_start_matches('\u{feff}').parse().ok(),
        Err(err) => {
            tracing::debug!(tenant, code = err.code.as_str(), "user count unavailable");
            None
        }
    }
}

/// The partner-side `findTenantInformationByTenantId` of a customer.
async fn tenant_information(
    client: &GraphClient,
    tenant: &str,
) -> Result<TenantInformation, ProviderError> {
    crate::tenant_id::check_tenant_id(tenant, "tenant id")?;
    let url = client.url(&format!(
        "v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{tenant}')"
    ))?;
    let body = client.get(Caller::Partner, &url).await?;
    crate::http::parse_json(&body)
}

async fn tenant_domains(client: &GraphClient, tenant: &str) -> Result<Vec<Domain>, ProviderError> {
    let first = client.url("v1.0/domains")?;
    let listing = client
        .get_all::<Domain>(Caller::Customer(tenant), first)
        .await;
    match listing.error {
        Some(err) => Err(err),
        None => Ok(listing.items),
    }
}
