//! Direct-provider discovery against the sandbox, one case per source and fallback: user counts
//! from `/users/$count`, domains from the partner's tenant information when a customer's own
//! domains cannot be read, Lighthouse and DAP contracts when GDAP is unavailable, DAP-only
//! customers, and the sandbox playing a national cloud (tokens for that cloud's Graph resource,
//! only the APIs that cloud offers).

use entra_core::model::{DomainSource, ManagedTenant};
use entra_core::provider::{EntraProvider, ProviderError, TenantListing};
use entra_providers::auth::{CloudEndpoints, NationalCloud, TokenSet};
use entra_providers::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use entra_providers::http::HttpPolicy;
use entra_providers::sandbox::{Faults, Sandbox, SandboxConfig, SandboxTenant, TokenFault};
use entra_providers::secrets::Secret;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Four tenants (seed 11): Lighthouse lists tenants 0, 1 and 3 (a Lighthouse domain is kept
/// as the fallback), a DAP contract exists for tenant 0 only; tenant 2 is in neither.
async fn sandbox(
    cloud: NationalCloud,
    faults: Faults,
) -> Result<Sandbox, Box<dyn std::error::Error>> {
    Ok(Sandbox::start(SandboxConfig {
        seed: 11,
        tenants: 4,
        users_per_tenant: 12,
        cloud,
        faults,
        ..SandboxConfig::default()
    })
    .await?)
}

fn provider(
    sandbox: &Sandbox,
    cloud: NationalCloud,
) -> Result<GraphProvider, Box<dyn std::error::Error>> {
    let credentials = sandbox.credentials();
    let endpoints = CloudEndpoints::custom(&sandbox.login_base_url(), &sandbox.graph_base_url())?
        .with_cloud(cloud);
    Ok(GraphProvider::new(GraphSettings {
        client_id: credentials.client_id,
        client_secret: Secret::new(credentials.client_secret),
        partner_tenant_id: credentials.partner_tenant_id,
        tokens: TokenSet::from_refresh_token(Secret::new(credentials.partner_refresh_token)),
        config: GraphConfig {
            endpoints,
            options: GraphOptions {
                include_lighthouse: true,
                ..GraphOptions::default()
            },
            policy: HttpPolicy::fast_for_tests(),
        },
    })?)
}

fn find<'a>(listing: &'a TenantListing, tenant: &SandboxTenant) -> Option<&'a ManagedTenant> {
    listing
        .tenants
        .iter()
        .find(|t| t.entra_tenant_id == tenant.tenant_id)
}

fn warned(listing: &TenantListing, code: &str) -> bool {
    listing.warnings.iter().any(|w| w.code == code)
}

/// What a case expects of the discovery, given the sandbox.
type Check = fn(&Sandbox, Result<TenantListing, ProviderError>) -> Result<(), String>;

struct Case {
    name: &'static str,
    sandbox_cloud: NationalCloud,
    provider_cloud: NationalCloud,
    faults: fn(&[SandboxTenant]) -> Faults,
    check: Check,
}

fn no_faults(_: &[SandboxTenant]) -> Faults {
    Faults::default()
}

fn listing(result: Result<TenantListing, ProviderError>) -> Result<TenantListing, String> {
    result.map_err(|e| format!("discovery failed: {e}"))
}

fn ensure(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_string()) }
}

fn ids(listing: &TenantListing) -> Vec<String> {
    listing
        .tenants
        .iter()
        .map(|t| t.entra_tenant_id.clone())
        .collect()
}

fn expected_ids(sandbox: &Sandbox, which: &[usize]) -> Vec<String> {
    let tenants = sandbox.tenants();
    let mut out: Vec<String> = which
        .iter()
        .map(|&k| tenants[k].tenant_id.clone())
        .collect();
    out.sort();
    out
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "every tenant gets its user count from $count and its own verified domains",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: no_faults,
            check: |sandbox, result| {
                let listing = listing(result)?;
                ensure(listing.complete, "the GDAP listing is complete")?;
                for t in sandbox.tenants() {
                    let got = find(&listing, &t).ok_or("tenant missing")?;
                    let users = sandbox.users(&t.tenant_id).len() as u64;
                    ensure(
                        got.source_user_count == Some(users),
                        "count is the live users",
                    )?;
                    ensure(
                        got.domain_source == Some(DomainSource::TenantDomains),
                        "own domains",
                    )?;
                    ensure(
                        got.primary_domain.as_deref() == Some(t.default_domain.as_str()),
                        "default domain",
                    )?;
                }
                Ok(())
            },
        },
        Case {
            name: "a count the token may not read is left empty, never guessed",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |t| Faults {
                user_count_denied: [t[0].tenant_id.clone()].into(),
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                let tenants = sandbox.tenants();
                ensure(
                    find(&listing, &tenants[0])
                        .ok_or("t0")?
                        .source_user_count
                        .is_none(),
                    "t0 has no count",
                )?;
                ensure(
                    find(&listing, &tenants[1])
                        .ok_or("t1")?
                        .source_user_count
                        .is_some(),
                    "t1 is counted",
                )
            },
        },
        Case {
            name: "a customer without consent gets its default domain from the partner's tenant information",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |t| Faults {
                token_errors: [(t[2].tenant_id.clone(), TokenFault::ConsentMissing)].into(),
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                let t2 = &sandbox.tenants()[2];
                let got = find(&listing, t2).ok_or("t2 missing")?;
                ensure(
                    got.domain_source == Some(DomainSource::TenantInformation),
                    "source is tenant information",
                )?;
                ensure(
                    got.primary_domain.as_deref() == Some(t2.default_domain.as_str()),
                    "default domain",
                )?;
                ensure(
                    got.domains == vec![t2.default_domain.clone()],
                    "only the default domain",
                )?;
                ensure(got.source_user_count.is_none(), "no token, no count")?;
                ensure(
                    warned(&listing, "domains_from_tenant_information"),
                    "warned",
                )?;
                ensure(listing.complete, "still a complete listing")
            },
        },
        Case {
            name: "domains refused with 403 also fall back, and the count is still read",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |t| Faults {
                domains_denied: [t[2].tenant_id.clone()].into(),
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                let t2 = &sandbox.tenants()[2];
                let got = find(&listing, t2).ok_or("t2 missing")?;
                ensure(
                    got.domain_source == Some(DomainSource::TenantInformation),
                    "source is tenant information",
                )?;
                ensure(
                    got.source_user_count == Some(sandbox.users(&t2.tenant_id).len() as u64),
                    "counted",
                )
            },
        },
        Case {
            name: "when the tenant information is unavailable too the domains stay empty with a warning",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |t| Faults {
                token_errors: [(t[2].tenant_id.clone(), TokenFault::ConsentMissing)].into(),
                tenant_information_unavailable: true,
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                let got = find(&listing, &sandbox.tenants()[2]).ok_or("t2 missing")?;
                ensure(
                    got.domains.is_empty() && got.domain_source.is_none(),
                    "no domain guessed",
                )?;
                ensure(warned(&listing, "domains_unreadable"), "warned")
            },
        },
        Case {
            name: "without GDAP, Lighthouse and DAP contracts list the customers they know; never complete",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |_| Faults {
                gdap_unavailable: true,
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                ensure(!listing.complete, "a fallback listing is never complete")?;
                ensure(
                    ids(&listing) == expected_ids(sandbox, &[0, 1, 3]),
                    "Lighthouse and contract tenants",
                )?;
                ensure(warned(&listing, "gdap_unavailable"), "warned")
            },
        },
        Case {
            name: "without GDAP and Lighthouse, the DAP contracts still list their customers",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |_| Faults {
                gdap_unavailable: true,
                lighthouse_unavailable: true,
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                ensure(!listing.complete, "incomplete")?;
                ensure(
                    ids(&listing) == expected_ids(sandbox, &[0]),
                    "the contract tenant",
                )?;
                ensure(
                    warned(&listing, "lighthouse_unreadable"),
                    "Lighthouse warned",
                )
            },
        },
        Case {
            name: "with every partner-side source unavailable the discovery fails",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |_| Faults {
                gdap_unavailable: true,
                lighthouse_unavailable: true,
                contracts_unavailable: true,
                ..Faults::default()
            },
            check: |_, result| ensure(result.is_err(), "an error, not an empty listing"),
        },
        Case {
            name: "a DAP-only customer is listed with a warning that GDAP is needed to read its users",
            sandbox_cloud: NationalCloud::Global,
            provider_cloud: NationalCloud::Global,
            faults: |t| Faults {
                dap_only: [t[2].tenant_id.clone()].into(),
                ..Faults::default()
            },
            check: |sandbox, result| {
                let listing = listing(result)?;
                ensure(listing.complete, "the GDAP listing decides completeness")?;
                ensure(
                    ids(&listing) == expected_ids(sandbox, &[0, 1, 2, 3]),
                    "every tenant",
                )?;
                let got = find(&listing, &sandbox.tenants()[2]).ok_or("t2 missing")?;
                ensure(
                    got.health_note.as_deref().unwrap_or("").contains("GDAP"),
                    "health note",
                )?;
                ensure(
                    got.domain_source == Some(DomainSource::TenantInformation),
                    "domain from tenant information",
                )?;
                ensure(warned(&listing, "dap_only_customers"), "warned")
            },
        },
        Case {
            name: "a US Government cloud lists GDAP customers and never asks Lighthouse",
            sandbox_cloud: NationalCloud::UsGovHigh,
            provider_cloud: NationalCloud::UsGovHigh,
            faults: no_faults,
            check: |sandbox, result| {
                let listing = listing(result)?;
                ensure(listing.complete, "complete")?;
                ensure(
                    ids(&listing) == expected_ids(sandbox, &[0, 1, 2, 3]),
                    "every tenant",
                )?;
                ensure(
                    sandbox.request_count("/beta/tenantRelationships/managedTenants/tenants") == 0,
                    "no Lighthouse call",
                )?;
                ensure(
                    listing
                        .tenants
                        .iter()
                        .all(|t| t.source_user_count.is_some()),
                    "counted",
                )
            },
        },
        Case {
            name: "China has no GDAP APIs: DAP contracts are the complete customer listing",
            sandbox_cloud: NationalCloud::China,
            provider_cloud: NationalCloud::China,
            faults: no_faults,
            check: |sandbox, result| {
                let listing = listing(result)?;
                ensure(listing.complete, "contracts are the listing here")?;
                ensure(
                    ids(&listing) == expected_ids(sandbox, &[0]),
                    "the contract tenant",
                )?;
                ensure(
                    sandbox.request_count("/v1.0/tenantRelationships/delegatedAdminCustomers") == 0,
                    "no GDAP call",
                )?;
                let t0 = find(&listing, &sandbox.tenants()[0]).ok_or("t0")?;
                ensure(
                    t0.domain_source == Some(DomainSource::TenantDomains),
                    "its own domains",
                )
            },
        },
        Case {
            name: "a global-cloud provider cannot use the tokens of a sandbox playing China",
            sandbox_cloud: NationalCloud::China,
            provider_cloud: NationalCloud::Global,
            faults: no_faults,
            check: |_, result| ensure(result.is_err(), "the token is for another cloud's resource"),
        },
    ]
}

#[tokio::test]
async fn discovery_uses_what_each_source_and_cloud_offers() -> TestResult {
    let mut failures = Vec::new();
    for case in cases() {
        let probe = sandbox(case.sandbox_cloud, Faults::default()).await?;
        let faults = (case.faults)(&probe.tenants());
        drop(probe);
        let sandbox = sandbox(case.sandbox_cloud, faults).await?;
        let provider = provider(&sandbox, case.provider_cloud)?;
        let result = provider.list_managed_tenants().await;
        if let Err(why) = (case.check)(&sandbox, result) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    Ok(())
}
