//! The direct (Microsoft Graph) provider end to end against the loopback sandbox: GDAP
//! discovery, per-tenant tokens, paged user listings, delta rounds after directory changes,
//! faults, refresh-token rotation and connection validation.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use entra_core::provider::{EntraProvider, RemovalReason};
use entra_core::store::SqliteStore;
use entra_providers::auth::{
    CallbackSink, CloudEndpoints, SignInConfig, StateExpectation, StateSigner, TokenClient,
    TokenSet, begin_authorization,
};
use entra_providers::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use entra_providers::http::{HttpClient, HttpPolicy};
use entra_providers::sandbox::{Faults, Mutation, Sandbox, SandboxConfig, TokenFault};
use entra_providers::secrets::Secret;

mod support;

use support::assert_code;
use support::listing::{estate_in_listing, sorted};

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn sandbox() -> Result<Sandbox, Box<dyn std::error::Error>> {
    Ok(Sandbox::start(SandboxConfig {
        seed: 11,
        tenants: 4,
        users_per_tenant: 20,
        ..SandboxConfig::default()
    })
    .await?)
}

fn settings(
    sandbox: &Sandbox,
    options: GraphOptions,
) -> Result<GraphSettings, Box<dyn std::error::Error>> {
    let credentials = sandbox.credentials();
    Ok(GraphSettings {
        client_id: credentials.client_id,
        client_secret: Secret::new(credentials.client_secret),
        partner_tenant_id: credentials.partner_tenant_id,
        tokens: TokenSet::from_refresh_token(Secret::new(credentials.partner_refresh_token)),
        config: GraphConfig {
            endpoints: CloudEndpoints::custom(
                &sandbox.login_base_url(),
                &sandbox.graph_base_url(),
            )?,
            options,
            policy: HttpPolicy {
                max_retries: 5,
                ..HttpPolicy::fast_for_tests()
            },
        },
    })
}

fn options() -> GraphOptions {
    GraphOptions {
        customers_page_size: 2,
        users_page_size: 7,
        include_domains: true,
        ..GraphOptions::default()
    }
}

#[tokio::test]
async fn tenants_and_users_of_the_estate_are_listed_completely() -> TestResult {
    let sandbox = sandbox().await?;
    let rotated: Arc<Mutex<Vec<TokenSet>>> = Arc::default();
    let seen = rotated.clone();
    let provider = GraphProvider::with_rotation_sink(
        settings(&sandbox, options())?,
        Arc::new(CallbackSink(move |t: &TokenSet| {
            seen.lock().unwrap().push(t.clone())
        })),
    )?;

    let listing = provider.list_managed_tenants().await?;
    assert!(listing.complete, "{:?}", listing.warnings);
    for (tenant, found) in estate_in_listing(&sandbox, &listing)? {
        assert_eq!(
            found.primary_domain.as_deref(),
            Some(tenant.default_domain.to_ascii_lowercase().as_str())
        );
        for unverified in &tenant.unverified_domains {
            assert!(!found.domains.contains(&unverified.to_ascii_lowercase()));
        }
        assert!(
            found
                .domains
                .contains(&tenant.initial_domain.to_ascii_lowercase())
        );

        let users = provider.list_users(&tenant.tenant_id).await?;
        assert!(users.complete, "{:?}", users.error);
        assert_eq!(
            sorted(users.users),
            sorted(sandbox.expected_users(&tenant.tenant_id))
        );
    }
    // The partner refresh token rotated, and the rotation reached the caller.
    let rotations = rotated.lock().unwrap().clone();
    assert!(!rotations.is_empty());
    let latest = provider.partner_tokens().await;
    assert_ne!(
        latest.refresh_token.as_ref().map(Secret::expose),
        Some(sandbox.credentials().partner_refresh_token.as_str())
    );
    Ok(())
}

/// Customer tokens are minted four at a time from one partner refresh token; an upstream that
/// lets each refresh token be redeemed only once must still give every tenant its domains, and
/// the refresh token persisted last must be the newest (still redeemable) one.
#[tokio::test]
async fn concurrent_discovery_survives_one_time_refresh_tokens_and_persists_the_newest()
-> TestResult {
    let sandbox = Sandbox::start(SandboxConfig {
        seed: 5,
        tenants: 9,
        users_per_tenant: 4,
        faults: Faults {
            one_time_refresh_tokens: true,
            latency: std::time::Duration::from_millis(20),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await?;
    let persisted: Arc<Mutex<Vec<TokenSet>>> = Arc::default();
    let seen = persisted.clone();
    let provider = GraphProvider::with_rotation_sink(
        settings(&sandbox, options())?,
        Arc::new(CallbackSink(move |t: &TokenSet| {
            seen.lock().unwrap().push(t.clone())
        })),
    )?;
    assert_eq!(options().domain_concurrency, 4);

    let listing = provider.list_managed_tenants().await?;
    assert!(listing.complete);
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    assert_eq!(listing.tenants.len(), 9);
    for (tenant, found) in estate_in_listing(&sandbox, &listing)? {
        assert_eq!(
            found.primary_domain.as_deref(),
            Some(tenant.default_domain.to_ascii_lowercase().as_str())
        );
    }

    // Every rotation was persisted in order; the last one written is the newest in memory.
    let written: Vec<String> = persisted
        .lock()
        .unwrap()
        .iter()
        .filter_map(|t| t.refresh_token.as_ref().map(|r| r.expose().to_string()))
        .collect();
    assert!(
        written.len() >= 10,
        "one rotation per redemption: {}",
        written.len()
    );
    let distinct: BTreeSet<&String> = written.iter().collect();
    assert_eq!(
        distinct.len(),
        written.len(),
        "no rotation is written twice"
    );
    let newest = provider
        .partner_tokens()
        .await
        .refresh_token
        .ok_or("no refresh token")?;
    assert_eq!(written.last().map(String::as_str), Some(newest.expose()));

    // A new process starting from the persisted token can still redeem it.
    let mut next = settings(&sandbox, options())?;
    next.tokens = TokenSet::from_refresh_token(newest);
    let again = GraphProvider::new(next)?.list_managed_tenants().await?;
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    Ok(())
}

#[tokio::test]
async fn delta_rounds_report_changes_and_removals_then_resync_when_expired() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    let tenant = sandbox.tenants().into_iter().next().ok_or("no tenant")?;
    let first = provider.list_users_delta(&tenant.tenant_id, None).await?;
    assert!(first.complete && first.full_enumeration && !first.resync_required);
    assert_eq!(
        sorted(first.users),
        sorted(sandbox.expected_users(&tenant.tenant_id))
    );
    let link = first.delta_link.ok_or("no delta link")?;

    let users = sandbox.users(&tenant.tenant_id);
    let enabled: Vec<_> = users.iter().filter(|u| u.account_enabled).collect();
    let (disabled, soft, hard) = (
        enabled.first().ok_or("user")?.id.clone(),
        enabled.get(1).ok_or("user")?.id.clone(),
        enabled.get(2).ok_or("user")?.id.clone(),
    );
    sandbox.mutate(Mutation::Disable {
        user_id: disabled.clone(),
    })?;
    sandbox.mutate(Mutation::SoftDelete {
        user_id: soft.clone(),
    })?;
    sandbox.mutate(Mutation::HardDelete {
        user_id: hard.clone(),
    })?;

    let second = provider
        .list_users_delta(&tenant.tenant_id, Some(&link))
        .await?;
    assert!(second.complete && !second.full_enumeration && !second.resync_required);
    let changed = second
        .users
        .iter()
        .find(|u| u.entra_object_id == disabled)
        .ok_or("disabled user not reported")?;
    assert!(!changed.account_enabled);
    let removed: std::collections::HashSet<(String, RemovalReason)> = second
        .removed
        .iter()
        .map(|r| (r.entra_object_id.clone(), r.reason))
        .collect();
    assert!(
        removed.contains(&(soft, RemovalReason::Changed)),
        "{removed:?}"
    );
    assert!(
        removed.contains(&(hard, RemovalReason::Deleted)),
        "{removed:?}"
    );
    let next = second.delta_link.ok_or("no delta link")?;

    sandbox.expire_delta_tokens();
    let third = provider
        .list_users_delta(&tenant.tenant_id, Some(&next))
        .await?;
    assert!(third.resync_required);
    assert!(third.users.is_empty() && third.removed.is_empty() && !third.complete);
    Ok(())
}

#[tokio::test]
async fn faults_surface_as_operator_codes_and_incomplete_listings() -> TestResult {
    let sandbox = sandbox().await?;
    let tenants = sandbox.tenants();
    let (a, b, c) = (
        tenants.first().ok_or("tenant")?.tenant_id.clone(),
        tenants.get(1).ok_or("tenant")?.tenant_id.clone(),
        tenants.get(2).ok_or("tenant")?.tenant_id.clone(),
    );
    let mut faults = Faults::default();
    faults
        .token_errors
        .insert(a.clone(), TokenFault::ConsentMissing);
    faults.gdap_role_missing.insert(b.clone());
    faults.failing_page.insert(c.clone(), 1);
    faults.failing_page_status = 503;
    sandbox.set_faults(faults);

    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    assert_eq!(
        provider.list_users(&a).await.unwrap_err().code(),
        "consent_required"
    );
    assert_eq!(
        provider.list_users(&b).await.unwrap_err().code(),
        "gdap_role_missing"
    );
    let partial = provider.list_users(&c).await?;
    assert!(!partial.complete);
    assert_eq!(partial.users.len(), 7);
    assert_eq!(
        partial.error.ok_or("no error")?.code(),
        "upstream_unavailable"
    );
    Ok(())
}

#[tokio::test]
async fn throttling_is_retried_through() -> TestResult {
    let sandbox = sandbox().await?;
    sandbox.update_faults(|f| {
        f.graph_throttle_next = 2;
        f.retry_after_secs = 0;
    });
    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    let tenant = sandbox.tenants().into_iter().next().ok_or("no tenant")?;
    let users = provider.list_users(&tenant.tenant_id).await?;
    assert!(users.complete, "{:?}", users.error);
    Ok(())
}

#[tokio::test]
async fn a_healthy_sandbox_connection_validates() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    let report = provider.validate_direct_connection().await;
    assert!(report.ok, "{report:?}");
    Ok(())
}

#[tokio::test]
async fn the_partner_sign_in_flow_yields_tokens_that_read_the_estate() -> TestResult {
    const REDIRECT: &str = "https://psa.example/api/auth/microsoft/entra/callback";
    let sandbox = Sandbox::start(SandboxConfig {
        seed: 3,
        tenants: 2,
        users_per_tenant: 5,
        redirect_uris: vec![REDIRECT.to_string()],
        ..SandboxConfig::default()
    })
    .await?;
    let credentials = sandbox.credentials();
    let endpoints = CloudEndpoints::custom(&sandbox.login_base_url(), &sandbox.graph_base_url())?;
    let signer = StateSigner::new(Secret::new("a-host-wide-state-signing-key-of-32+bytes"))?;
    let start = begin_authorization(
        &endpoints,
        &signer,
        &SignInConfig {
            client_id: credentials.client_id.clone(),
            authority: credentials.partner_tenant_id.clone(),
            redirect_uri: REDIRECT.to_string(),
            scopes: None,
            prompt: None,
        },
        "msp-1",
        "user-1",
    )?;

    // The browser leg: the sandbox's consent screen approves at once and redirects back.
    let http = HttpClient::new(HttpPolicy::fast_for_tests())?;
    let answer = http.inner().get(start.url.clone()).send().await?;
    assert_eq!(answer.status().as_u16(), 302);
    let location = answer
        .headers()
        .get("location")
        .ok_or("no redirect")?
        .to_str()?
        .to_string();
    let callback = url::Url::parse(&location)?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let state = param("state").ok_or("no state")?;
    let code = param("code").ok_or("no code")?;
    // The callback accepts the state once: the host's store remembers its nonce.
    let nonces = SqliteStore::open_in_memory()?;
    let expected = StateExpectation {
        tenant: "msp-1".into(),
        user: "user-1".into(),
        redirect_uri: REDIRECT.into(),
    };
    let claims = signer.verify_once(&state, &expected, &nonces).await?;
    assert_eq!(claims.user, "user-1");
    let replayed = signer
        .verify_once(&state, &expected, &nonces)
        .await
        .err()
        .ok_or("a replayed state was accepted")?;
    assert_eq!(replayed.code(), "state_replayed");

    let client = TokenClient::new(
        http,
        endpoints.clone(),
        credentials.client_id.clone(),
        Secret::new(credentials.client_secret.clone()),
    );
    let tokens = client
        .exchange_code(
            &credentials.partner_tenant_id,
            &Secret::new(code.clone()),
            REDIRECT,
            &start.code_verifier,
            &endpoints.partner_scopes(),
        )
        .await?;
    assert!(tokens.refresh_token.is_some());
    // A code is single-use.
    let again = client
        .exchange_code(
            &credentials.partner_tenant_id,
            &Secret::new(code),
            REDIRECT,
            &start.code_verifier,
            &endpoints.partner_scopes(),
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), "refresh_token_expired");

    let mut settings = settings(&sandbox, options())?;
    settings.tokens = tokens;
    let provider = GraphProvider::new(settings)?;
    let listing = provider.list_managed_tenants().await?;
    assert!(listing.complete);
    assert_eq!(listing.tenants.len(), 2);
    Ok(())
}

/// Group-scoped sync reads each group once, transitively and in pages: `All Staff` reaches the
/// members of `Sales EMEA` through two levels of nesting, with no request per user.
#[tokio::test]
async fn group_members_are_read_transitively_in_pages_once_per_group() -> TestResult {
    use entra_core::filter::GroupListingStatus;
    let sandbox = sandbox().await?;
    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let cases = [("All Staff", 2usize), ("Sales", 1), ("Contractors", 1)];
    for (name, min_pages) in cases {
        let group = sandbox.group_id(&tenant, name);
        let listing = provider.list_group_members(&tenant, &group).await?;
        assert_eq!(listing.status, GroupListingStatus::Complete, "{name}");
        assert_eq!(listing.group_id, group);
        let mut got = listing.member_ids.clone();
        got.sort();
        let want = sandbox
            .expected_group_members(&tenant, &group)
            .ok_or("no such group")?;
        assert_eq!(got, want, "{name}");
        let path = format!("/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user");
        let pages = sandbox.request_count(&path) as usize;
        assert_eq!(
            pages,
            want.len().div_ceil(7).max(1),
            "{name}: one request per page"
        );
        assert!(pages >= min_pages, "{name}: {pages} pages");
    }
    // Nesting: a member of `Sales EMEA` only is a transitive member of `All Staff`.
    let staff = sandbox
        .expected_group_members(&tenant, &sandbox.group_id(&tenant, "All Staff"))
        .ok_or("no All Staff")?;
    let emea = sandbox
        .expected_group_members(&tenant, &sandbox.group_id(&tenant, "Sales EMEA"))
        .ok_or("no Sales EMEA")?;
    assert!(!emea.is_empty() && emea.iter().all(|id| staff.contains(id)));
    assert_eq!(
        sandbox.request_count("/v1.0/users"),
        0,
        "no user listing was needed"
    );
    Ok(())
}

/// A group that no longer exists is `not_found`, never an empty group; a member listing that
/// breaks off half-way is `incomplete` with what arrived; a first page that fails is an error.
#[tokio::test]
async fn a_missing_group_is_not_found_and_a_broken_member_listing_is_incomplete() -> TestResult {
    use entra_core::filter::GroupListingStatus;
    let sandbox = sandbox().await?;
    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    let tenant = sandbox.tenants()[1].tenant_id.clone();

    let gone = provider
        .list_group_members(&tenant, "00000000-0000-4000-8000-00000000dead")
        .await?;
    assert_eq!(gone.status, GroupListingStatus::NotFound);
    assert!(gone.member_ids.is_empty());

    let staff = sandbox.group_id(&tenant, "All Staff");
    sandbox.update_faults(|f| {
        f.failing_group_page.insert(staff.clone(), 1);
    });
    let broken = provider.list_group_members(&tenant, &staff).await?;
    assert_eq!(broken.status, GroupListingStatus::Incomplete);
    assert_eq!(broken.member_ids.len(), 7, "the first page arrived");

    sandbox.update_faults(|f| {
        f.failing_group_page.insert(staff.clone(), 0);
    });
    assert_code(
        provider.list_group_members(&tenant, &staff).await,
        "upstream_unavailable",
        "a failing first page is an error",
    );

    assert_code(
        provider.list_group_members(&tenant, "not a/guid").await,
        "configuration",
        "a malformed id never reaches a URL",
    );
    Ok(())
}

/// Subscribed SKUs are read from `/subscribedSkus`; with the users' `assignedLicenses` they make
/// the tenant's licence summary.
#[tokio::test]
async fn subscribed_skus_are_read_and_summarized_with_the_user_listing() -> TestResult {
    use entra_core::licenses::{LicenseInput, summarize_licenses};
    let sandbox = sandbox().await?;
    let provider = GraphProvider::new(settings(&sandbox, options())?)?;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let skus = provider.list_subscribed_skus(&tenant).await?;
    assert!(skus.complete);
    assert_eq!(skus.skus.len(), sandbox.subscribed_skus(&tenant).len());
    let users = provider.list_users(&tenant).await?;
    let summary = summarize_licenses(&LicenseInput {
        entra_tenant_id: tenant.clone(),
        users: users.users.clone(),
        subscribed_skus: skus.skus.clone(),
    })?;
    let holders = users
        .users
        .iter()
        .filter(|u| !u.assigned_license_sku_ids.is_empty())
        .count() as u64;
    assert_eq!(summary.totals.licensed_users, holders);
    for row in &summary.skus {
        assert!(row.subscribed, "{row:?}: every held SKU is subscribed");
        assert_eq!(
            row.assigned, row.consumed,
            "{row:?}: the listing is the whole tenant"
        );
        assert_eq!(
            row.assigned,
            row.assigned_to_enabled_members
                + row.assigned_to_disabled_users
                + row.assigned_to_guests
        );
    }
    assert!(
        summary
            .skus
            .iter()
            .any(|r| r.product_name == "Microsoft 365 Business Premium")
    );
    let free = summary
        .skus
        .iter()
        .find(|r| r.sku_part_number == "POWER_BI_STANDARD")
        .ok_or("the free SKU")?;
    assert_eq!((free.assigned, free.purchased), (0, 1_000_000));

    sandbox.update_faults(|f| {
        f.gdap_role_missing.insert(tenant.clone());
    });
    assert_code(
        provider.list_subscribed_skus(&tenant).await,
        "gdap_role_missing",
        "the users' error rules apply",
    );
    Ok(())
}
