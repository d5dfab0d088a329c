//! The CIPP provider end to end against the loopback sandbox: tenants and users of the synthetic
//! estate through `ListTenants` and `ListGraphRequest`, with gateway faults, a listing that fails
//! half-way, token revocation, access denials and connection validation.

use entra_core::provider::EntraProvider;
use entra_providers::cipp::{CippConfig, CippProvider, validate_cipp_connection};
use entra_providers::http::HttpPolicy;
use entra_providers::sandbox::{CippDenial, Faults, Sandbox, SandboxConfig, TokenFault};

mod support;

use support::assert_code;
use support::listing::{estate_in_listing, sorted};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Users per `ListGraphRequest` page, small so every tenant spans several pages.
const PAGE: u32 = 7;

async fn sandbox() -> Result<Sandbox, Box<dyn std::error::Error>> {
    let config = SandboxConfig {
        seed: 7,
        tenants: 4,
        users_per_tenant: 24,
        ..SandboxConfig::default()
    };
    Ok(Sandbox::start(config).await?)
}

fn config(sandbox: &Sandbox) -> CippConfig {
    let credentials = sandbox.credentials();
    let mut config = CippConfig::new(
        sandbox.cipp_base_url(),
        credentials.cipp_tenant_id,
        credentials.cipp_client_id,
        credentials.cipp_client_secret,
    );
    config.login_base = sandbox.login_base_url();
    config.page_size = PAGE;
    config.policy = HttpPolicy {
        retry_bad_gateway: true,
        max_retries: 5,
        ..HttpPolicy::fast_for_tests()
    };
    config
}

fn provider(sandbox: &Sandbox) -> Result<CippProvider, Box<dyn std::error::Error>> {
    Ok(CippProvider::new(config(sandbox))?)
}

#[tokio::test]
async fn tenants_and_users_of_the_estate_are_listed_completely() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let listing = provider.list_managed_tenants().await?;
    assert!(listing.complete);
    for (tenant, found) in estate_in_listing(&sandbox, &listing)? {
        assert_eq!(
            found.primary_domain.as_deref(),
            Some(tenant.default_domain.as_str())
        );
        assert!(found.domains.contains(&tenant.initial_domain));

        let users = provider.list_users(&tenant.tenant_id).await?;
        assert!(users.complete, "{:?}", users.error);
        assert!(users.error.is_none());
        assert!(users.users.len() > PAGE as usize, "the listing spans pages");
        assert_eq!(
            sorted(users.users),
            sorted(sandbox.expected_users(&tenant.tenant_id))
        );
    }
    Ok(())
}

#[tokio::test]
async fn one_token_is_minted_for_the_whole_run() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let tenants = provider.list_managed_tenants().await?.tenants;
    for tenant in &tenants {
        provider.list_users(&tenant.entra_tenant_id).await?;
    }
    let token_path = format!(
        "/{}/oauth2/v2.0/token",
        sandbox.credentials().cipp_tenant_id
    );
    assert_eq!(sandbox.request_count(&token_path), 1);
    Ok(())
}

#[tokio::test]
async fn gateway_errors_are_retried_until_the_listing_completes() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let tenant = sandbox.tenants().remove(0);
    sandbox.update_faults(|f| {
        f.cipp_gateway_error_next = 3;
        f.cipp_gateway_status = 502;
    });
    let tenants = provider.list_managed_tenants().await?;
    assert_eq!(tenants.tenants.len(), sandbox.tenants().len());
    assert!(sandbox.request_count("/api/ListTenants") >= 4);

    sandbox.update_faults(|f| {
        f.cipp_gateway_error_next = 0;
        f.cipp_gateway_error_rate = 0.2;
        f.cipp_gateway_status = 504;
    });
    let users = provider.list_users(&tenant.tenant_id).await?;
    assert!(users.complete, "{:?}", users.error);
    assert_eq!(
        sorted(users.users),
        sorted(sandbox.expected_users(&tenant.tenant_id))
    );
    Ok(())
}

#[tokio::test]
async fn gateway_errors_outlasting_the_retries_fail_the_call() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    sandbox.update_faults(|f| {
        f.cipp_gateway_error_next = 100;
        f.cipp_gateway_status = 503;
    });
    let err = provider.list_managed_tenants().await.unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    Ok(())
}

#[tokio::test]
async fn a_half_failed_listing_is_never_complete() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let tenant = sandbox.tenants().remove(1);
    sandbox.update_faults(|f| {
        f.failing_page.insert(tenant.tenant_id.clone(), 2);
    });
    let listing = provider.list_users(&tenant.tenant_id).await?;
    assert!(!listing.complete);
    assert_eq!(listing.users.len(), 2 * PAGE as usize);
    let error = listing.error.ok_or("an error")?;
    assert_eq!(error.status, Some(400));

    // The first page failing is a failed listing, not an empty one.
    sandbox.update_faults(|f| {
        f.failing_page.insert(tenant.tenant_id.clone(), 0);
    });
    assert!(provider.list_users(&tenant.tenant_id).await.is_err());
    Ok(())
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    provider.list_managed_tenants().await?;
    sandbox.revoke_access_tokens();
    let listing = provider.list_managed_tenants().await?;
    assert!(listing.complete);
    let token_path = format!(
        "/{}/oauth2/v2.0/token",
        sandbox.credentials().cipp_tenant_id
    );
    assert_eq!(sandbox.request_count(&token_path), 2);
    Ok(())
}

#[tokio::test]
async fn upstream_failures_keep_their_codes() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let tenants = sandbox.tenants();
    let consent = &tenants[0].tenant_id;
    let gdap = &tenants[1].tenant_id;
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(consent.clone(), TokenFault::ConsentMissing);
        f.gdap_role_missing.insert(gdap.clone());
    });
    let err = provider.list_users(consent).await.unwrap_err();
    assert_eq!(err.code(), "consent_required");
    let err = provider.list_users(gdap).await.unwrap_err();
    assert_eq!(err.code(), "gdap_role_missing");
    let err = provider
        .list_users("00000000-0000-0000-0000-00000000beef")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "tenant_not_found");

    for (denial, code) in [
        (CippDenial::RoleLacksPermission, "forbidden"),
        (CippDenial::IpNotAllowed, "forbidden"),
        (CippDenial::SubscriptionEnded, "subscription_ended"),
    ] {
        sandbox.set_faults(Faults {
            cipp_denial: Some(denial),
            ..Faults::default()
        });
        let err = provider.list_managed_tenants().await.unwrap_err();
        assert_eq!(err.code(), code, "{denial:?}");
        let err = provider.list_users(gdap).await.unwrap_err();
        assert_eq!(err.code(), code, "{denial:?}");
        assert_eq!(err.status, Some(403));
    }

    // A restricted role may list tenants but not read one it is not allowed.
    sandbox.set_faults(Faults {
        cipp_denial: Some(CippDenial::TenantNotAllowed),
        ..Faults::default()
    });
    assert!(provider.list_managed_tenants().await.is_ok());
    let err = provider.list_users(gdap).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(err.message.contains("Access to this tenant is not allowed"));

    sandbox.set_faults(Faults {
        cipp_tenants_error_row: true,
        ..Faults::default()
    });
    let err = provider.list_managed_tenants().await.unwrap_err();
    assert!(
        err.message.contains("Failed to retrieve tenants"),
        "{}",
        err.message
    );
    Ok(())
}

#[tokio::test]
async fn null_and_partner_rows_are_not_customers() -> TestResult {
    let sandbox = sandbox().await?;
    sandbox.set_faults(Faults {
        cipp_tenants_null_row: true,
        cipp_partner_row: true,
        ..Faults::default()
    });
    let listing = provider(&sandbox)?.list_managed_tenants().await?;
    let partner = sandbox.partner_tenant().tenant_id;
    assert!(listing.tenants.iter().all(|t| t.entra_tenant_id != partner));
    assert_eq!(listing.tenants.len(), sandbox.tenants().len());
    Ok(())
}

#[tokio::test]
async fn the_connection_validates_against_the_sandbox() -> TestResult {
    let sandbox = sandbox().await?;
    let report = validate_cipp_connection(config(&sandbox)).await;
    assert!(report.ok, "{report:?}");

    let mut wrong = config(&sandbox);
    wrong.client_secret = "not-the-secret".into();
    let report = validate_cipp_connection(wrong).await;
    let token = report.check("token_minted").ok_or("token check")?;
    assert_eq!(token.error_code.as_deref(), Some("invalid_client"));
    Ok(())
}

/// Through CIPP, a group's transitive members come from `ListGraphRequest` one page per call
/// (one listing per group, never a request per user); a deleted group is `not_found`, a listing
/// broken half-way `incomplete`.
#[tokio::test]
async fn group_members_are_listed_through_list_graph_request() -> TestResult {
    use entra_core::filter::GroupListingStatus;
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let staff = sandbox.group_id(&tenant, "All Staff");
    let before = sandbox.request_count("/api/ListGraphRequest");
    let listing = provider.list_group_members(&tenant, &staff).await?;
    assert_eq!(listing.status, GroupListingStatus::Complete);
    let mut got = listing.member_ids.clone();
    got.sort();
    let want = sandbox
        .expected_group_members(&tenant, &staff)
        .ok_or("no All Staff")?;
    assert_eq!(got, want);
    let calls = sandbox.request_count("/api/ListGraphRequest") - before;
    assert_eq!(
        calls as usize,
        want.len().div_ceil(PAGE as usize),
        "one call per page"
    );

    let gone = provider
        .list_group_members(&tenant, "00000000-0000-4000-8000-00000000dead")
        .await?;
    assert_eq!(gone.status, GroupListingStatus::NotFound);

    sandbox.update_faults(|f| {
        f.failing_group_page.insert(staff.clone(), 1);
    });
    let broken = provider.list_group_members(&tenant, &staff).await?;
    assert_eq!(broken.status, GroupListingStatus::Incomplete);
    assert_eq!(broken.member_ids.len(), PAGE as usize);

    sandbox.update_faults(|f| {
        f.gdap_role_missing.insert(tenant.clone());
    });
    assert_code(
        provider.list_group_members(&tenant, &staff).await,
        "gdap_role_missing",
        "a first page that fails is an error",
    );
    Ok(())
}

/// Subscribed SKUs through CIPP equal Graph's, rows tagged by CIPP and all.
#[tokio::test]
async fn subscribed_skus_are_listed_through_list_graph_request() -> TestResult {
    let sandbox = sandbox().await?;
    let provider = provider(&sandbox)?;
    let tenant = sandbox.tenants()[2].tenant_id.clone();
    let listing = provider.list_subscribed_skus(&tenant).await?;
    assert!(listing.complete);
    let want: Vec<String> = sandbox
        .subscribed_skus(&tenant)
        .iter()
        .filter_map(|s| s["skuPartNumber"].as_str().map(str::to_string))
        .collect();
    let got: Vec<String> = listing
        .skus
        .iter()
        .filter_map(|s| s.sku_part_number.clone())
        .collect();
    assert_eq!(got, want);
    assert!(
        listing
            .skus
            .iter()
            .any(|s| s.consumed_units > 0 && s.prepaid_units.enabled == s.consumed_units + 5)
    );
    Ok(())
}
