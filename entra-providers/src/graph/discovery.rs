use std::collections::{BTreeMap, HashSet};

use entra_core::model::{ManagedTenant, Warning};
use entra_core::provider::{ProviderError, ProviderErrorCode, TenantListing};
use futures::StreamExt;

use super::config::GraphOptions;
use super::request::{Caller, GraphClient};
use super::wire::{AdminCustomer, AdminRelationship, Domain, LighthouseTenant};

/// Lists customer tenants: GDAP customers first (the authoritative source), then optional
/// enrichment from active relationships, Lighthouse and per-tenant domains. Only the GDAP
/// listing decides `complete`; an optional source that fails becomes a warning.
pub(crate) async fn list_tenants(
    client: &GraphClient,
    options: &GraphOptions,
) -> Result<TenantListing, ProviderError> {
    let top = options.customers_page_size.clamp(1, 300);
    let first = client.url(&format!(
        "v1.0/tenantRelationships/delegatedAdminCustomers?$top={top}"
    ))?;
    let customers = client
        .get_all::<AdminCustomer>(Caller::Partner, first)
        .await;
    if let Some(err) = &customers.error
        && ((customers.pages <= 1 && customers.items.is_empty()) || must_surface(err))
    {
        return Err(err.clone());
    }
    let mut warnings = Vec::new();
    let complete = customers.error.is_none();
    if let Some(err) = &customers.error {
        warnings.push(Warning::new(
            "discovery_incomplete",
            format!("the GDAP customer listing stopped early: {err}"),
        ));
    }

    let mut tenants: BTreeMap<String, ManagedTenant> = BTreeMap::new();
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

    if options.enrich_from_relationships {
        enrich_from_relationships(client, options, &mut tenants, &mut warnings).await?;
    }
    if options.include_lighthouse {
        add_lighthouse(client, &mut tenants, &mut warnings).await?;
    }
    if options.include_domains {
        add_domains(client, options, &mut tenants, &mut warnings).await?;
    }

    Ok(TenantListing {
        tenants: tenants.into_values().collect(),
        complete,
        warnings,
    })
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

async fn add_lighthouse(
    client: &GraphClient,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) -> Result<(), ProviderError> {
    let first = match client.url("beta/tenantRelationships/managedTenants/tenants") {
        Ok(url) => url,
        Err(err) => {
            warnings.push(Warning::new("lighthouse_unreadable", err.to_string()));
            return Ok(());
        }
    };
    let listing = client
        .get_all::<LighthouseTenant>(Caller::Partner, first)
        .await;
    for row in listing.items {
        let Some(id) = row
            .tenant_id
            .as_deref()
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let (domain, contract_name) = match row.contract {
            Some(contract) => (contract.default_domain_name, contract.display_name),
            None => (None, None),
        };
        let domain = domain
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty());
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
        if let Some(domain) = domain {
            if tenant.primary_domain.is_none() {
                tenant.primary_domain = Some(domain.clone());
            }
            if !tenant.domains.contains(&domain) {
                tenant.domains.push(domain);
            }
        }
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
    Ok(())
}

/// Reads every tenant's domains, `domain_concurrency` tenants at once; with delegated access
/// each tenant's token is minted from the partner refresh token (see [`crate::auth::TokenManager`]
/// for how concurrent redemptions stay safe when refresh tokens are single-use).
async fn add_domains(
    client: &GraphClient,
    options: &GraphOptions,
    tenants: &mut BTreeMap<String, ManagedTenant>,
    warnings: &mut Vec<Warning>,
) -> Result<(), ProviderError> {
    let ids: Vec<String> = tenants.keys().cloned().collect();
    let results: Vec<(String, Result<Vec<Domain>, ProviderError>)> = futures::stream::iter(ids)
        .map(|id| async move {
            let result = tenant_domains(client, &id).await;
            (id, result)
        })
        .buffer_unordered(options.domain_concurrency.max(1))
        .collect()
        .await;
    let mut failures: Vec<(String, ProviderError)> = Vec::new();
    let mut unconfirmed: Vec<(String, Vec<String>)> = Vec::new();
    for (id, result) in results {
        let Some(tenant) = tenants.get_mut(&id) else {
            continue;
        };
        match result {
            Ok(domains) => {
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
                for (_, name) in verified {
                    if !tenant.domains.contains(&name) {
                        tenant.domains.push(name);
                    }
                }
                tenant.domains.sort();
            }
            Err(err) => failures.push((id, err)),
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
        warnings.push(Warning::new(
            "domains_unreadable",
            format!("the domains of tenant {id} could not be read: {err}"),
        ));
    }
    Ok(())
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
