//! The sandbox's CIPP: EasyAuth-style authentication, plain-text errors, ListTenants modes,
//! ListUsers and ListGraphRequest paging.

use super::*;

#[tokio::test]
async fn cipp_authenticates_like_easyauth_and_answers_plain_text() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let response = http().get(format!("{base}/api/ListTenants")).send().await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.text().await?, "");
    let graph = partner_token(&sandbox).await?;
    let (status, _, text) = get(&format!("{base}/api/ListTenants"), &graph).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(text, "");
    let token = cipp_token(&sandbox).await?;
    let (status, body) = get_json(&format!("{base}/api/me"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["clientPrincipal"]["appId"],
        sandbox.credentials().cipp_client_id.as_str()
    );
    let (status, _, text) = get(&format!("{base}/api/ListTenantz"), &token).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(text, "Endpoint not found");
    sandbox.update_faults(|f| f.cipp_denial = Some(CippDenial::RoleLacksPermission));
    let (status, _, text) = get(
        &format!(
            "{base}/api/ListUsers?tenantFilter={}",
            sandbox.tenants()[0].tenant_id
        ),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.ends_with("Identity.User.Read"), "{text}");
    let (status, _, _) = get(&format!("{base}/api/me"), &token).await?;
    assert_eq!(
        status,
        StatusCode::OK,
        "the probe proves the token, not the role"
    );
    sandbox.update_faults(|f| f.cipp_denial = Some(CippDenial::SubscriptionEnded));
    let (status, _, text) = get(&format!("{base}/api/me"), &token).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.starts_with("Your CIPP subscription has ended."));
    sandbox.update_faults(|f| {
        f.cipp_denial = None;
        f.cipp_gateway_error_next = 1;
        f.cipp_gateway_status = 502;
    });
    let (status, _, _) = get(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let (status, _, _) = get(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn cipp_list_tenants_rows_and_their_odd_modes() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let token = cipp_token(&sandbox).await?;
    let broken = sandbox.tenants()[3].tenant_id.clone();
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(broken.clone(), TokenFault::ConsentMissing);
    });
    let (status, body) = get_json(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    let rows = body.as_array().ok_or("not a bare array")?;
    assert_eq!(rows.len(), 5);
    let names: Vec<String> = rows
        .iter()
        .filter_map(|r| r["displayName"].as_str().map(str::to_lowercase))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by displayName");
    for row in rows {
        assert_eq!(row["customerId"], row["RowKey"]);
        assert!(row.get("tenantId").is_none());
        assert!(row["defaultDomainName"].is_string() && row["initialDomainName"].is_string());
    }
    let broken_row = rows
        .iter()
        .find(|r| r["customerId"] == broken.as_str())
        .ok_or("no row")?;
    assert!(broken_row["GraphErrorCount"].as_u64().unwrap_or(0) > 0);
    assert!(
        broken_row["LastGraphError"]
            .as_str()
            .unwrap_or("")
            .contains("AADSTS65001")
    );

    let (_, body) = get_json(
        &format!("{base}/api/ListTenants?AllTenantSelector=true"),
        &token,
    )
    .await?;
    assert_eq!(body[0]["customerId"], "AllTenants");
    sandbox.update_faults(|f| {
        f.cipp_tenants_null_row = true;
        f.cipp_partner_row = true;
    });
    let (_, body) = get_json(&format!("{base}/api/ListTenants"), &token).await?;
    let rows = body.as_array().ok_or("not an array")?;
    assert!(rows.iter().any(Value::is_null));
    assert!(rows.iter().any(|r| r["displayName"] == "*Partner Tenant"));
    sandbox.update_faults(|f| f.cipp_tenants_error_row = true);
    let (status, body) = get_json(&format!("{base}/api/ListTenants"), &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["customerId"], "");
    Ok(())
}

#[tokio::test]
async fn cipp_list_users_trusts_nothing_it_cannot_resolve() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let token = cipp_token(&sandbox).await?;
    let tenant = sandbox.tenants()[0].clone();
    let (status, body) = get_json(
        &format!(
            "{base}/api/ListUsers?tenantFilter={}",
            tenant.default_domain
        ),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let rows = body.as_array().ok_or("not an array")?;
    assert_eq!(rows.len(), 15);
    assert!(
        rows.iter()
            .all(|r| r["accountEnabled"].is_boolean() && r["Aliases"].is_string())
    );
    let (status, body) = get_json(
        &format!("{base}/api/ListUsers?tenantFilter=unknown.example"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!([]));
    // tenantId is not a CIPP parameter: the partner's own staff come back.
    let (_, body) = get_json(
        &format!("{base}/api/ListUsers?tenantId={}", tenant.tenant_id),
        &token,
    )
    .await?;
    let partner_ids: BTreeSet<String> = sandbox
        .users(&sandbox.partner_tenant().tenant_id)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids(body.as_array().ok_or("not an array")?), partner_ids);
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(tenant.tenant_id.clone(), TokenFault::ConsentMissing);
    });
    let (status, _, text) = get(
        &format!("{base}/api/ListUsers?tenantFilter={}", tenant.tenant_id),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        text.starts_with("Could not get token: invalid_grant:AADSTS65001"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn cipp_list_graph_request_pages_through_graph_next_links() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let base = sandbox.cipp_base_url();
    let token = cipp_token(&sandbox).await?;
    let tenant = sandbox.tenants()[1].clone();
    let first = format!(
        "{base}/api/ListGraphRequest?Endpoint=users&tenantFilter={}&$select=id,userPrincipalName,accountEnabled&$top=4&manualPagination=true&Version=v1.0",
        tenant.tenant_id
    );
    let mut url = first.clone();
    let mut rows = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = get_json(&url, &token).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        let results = body["Results"].as_array().ok_or("no Results")?;
        assert!(
            results
                .iter()
                .all(|r| r["CippStatus"] == "Good" && r["Tenant"] == tenant.tenant_id.as_str())
        );
        rows.extend(results.iter().cloned());
        match body["Metadata"].get("nextLink").and_then(Value::as_str) {
            Some(next) => {
                let parsed = url::Url::parse(next)?;
                assert_eq!(parsed.host_str(), Some("graph.microsoft.com"));
                assert_eq!(parsed.scheme(), "https");
                url = format!("{first}&nextLink={}", urlencode(next));
            }
            None => break,
        }
    }
    assert_eq!(pages, 4);
    let expected: BTreeSet<String> = sandbox
        .users(&tenant.tenant_id)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids(&rows), expected);

    // A nextLink to any other host is refused.
    let (status, _, text) = get(
        &format!(
            "{first}&nextLink={}",
            urlencode("https://evil.example/v1.0/users?$skiptoken=x")
        ),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.starts_with("Graph Error: ") && text.ends_with(" - Endpoint: users"),
        "{text}"
    );
    // Unknown tenant: 400, not an empty success.
    let (status, _, text) = get(
        &format!("{base}/api/ListGraphRequest?Endpoint=users&tenantFilter=unknown.example&manualPagination=true"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not in CIPP's tenant list"), "{text}");
    // Version defaults to beta, which returns the broad property set.
    let (_, body) = get_json(
        &format!("{base}/api/ListGraphRequest?Endpoint=users&tenantFilter={}&manualPagination=true&$top=1", tenant.tenant_id),
        &token,
    )
    .await?;
    assert_eq!(body["Metadata"]["Version"], "beta");
    assert!(body["Results"][0]["accountEnabled"].is_boolean());
    // Upstream failures become 400 Graph Error with CIPP's normalized wording.
    sandbox.update_faults(|f| {
        f.token_errors
            .insert(tenant.tenant_id.clone(), TokenFault::ConsentMissing);
    });
    let (status, _, text) = get(&first, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("consent has not been given"), "{text}");
    // A half-failing listing: the first page works, the second fails.
    sandbox.update_faults(|f| {
        f.token_errors.clear();
        f.failing_page.insert(tenant.tenant_id.clone(), 1);
    });
    let (status, body) = get_json(&first, &token).await?;
    assert_eq!(status, StatusCode::OK);
    let next = body["Metadata"]["nextLink"].as_str().ok_or("no nextLink")?;
    let (status, _, text) = get(&format!("{first}&nextLink={}", urlencode(next)), &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.starts_with("Graph Error: "));
    Ok(())
}

#[tokio::test]
async fn ignore_errors_turns_cipp_graph_errors_into_200() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let token = cipp_token(&sandbox).await?;
    let url = format!(
        "{}/api/ListGraphRequest?Endpoint=users&tenantFilter=unknown.example&IgnoreErrors=true",
        sandbox.cipp_base_url()
    );
    let (status, _, text) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(text.starts_with("Graph Error: "), "{text}");
    Ok(())
}
