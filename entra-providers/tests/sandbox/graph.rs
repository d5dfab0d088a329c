//! The sandbox's Graph: user paging and query rules, GDAP and Lighthouse discovery, delta rounds,
//! throttling, outages and failing pages.

use super::*;
use entra_providers::auth::NationalCloud;
use serde_json::json;

#[tokio::test]
async fn users_page_with_skiptoken_and_enforce_graph_query_rules() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].clone();
    let token = customer_token(&sandbox, &tenant.tenant_id).await?;
    let base = sandbox.graph_base_url();
    let (rows, pages) = all_pages(
        &format!("{base}/v1.0/users?$select=id,accountEnabled&$top=4"),
        &token,
    )
    .await?;
    assert_eq!(rows.len(), 15);
    assert_eq!(pages, 4);
    assert_eq!(ids(&rows).len(), 15, "no user twice");
    let (_, first) = get_json(&format!("{base}/v1.0/users?$select=id&$top=4"), &token).await?;
    let next = first["@odata.nextLink"].as_str().ok_or("no nextLink")?;
    assert!(next.starts_with(&format!("{base}/v1.0/users?")), "{next}");
    assert!(next.contains("$skiptoken="));
    assert!(next.contains("$select=id"));

    // Without $select, only the eleven default properties.
    let (_, body) = get_json(&format!("{base}/v1.0/users?$top=1"), &token).await?;
    let row = body["value"][0].as_object().ok_or("no row")?;
    assert_eq!(row.len(), 11, "{row:?}");
    assert!(!row.contains_key("accountEnabled"));

    let (status, body) = get_json(&format!("{base}/v1.0/users?$top=1000"), &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    );
    let (status, body) = get_json(&format!("{base}/v1.0/users?$select=id,nope"), &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "BadRequest");

    // Basic filters work; advanced operators need ConsistencyLevel + $count.
    let (rows, _) = all_pages(
        &format!("{base}/v1.0/users?$select=id,accountEnabled&$filter=accountEnabled%20eq%20false"),
        &token,
    )
    .await?;
    let disabled = sandbox
        .users(&tenant.tenant_id)
        .iter()
        .filter(|u| !u.account_enabled)
        .count();
    assert_eq!(rows.len(), disabled);
    assert!(rows.iter().all(|r| r["accountEnabled"] == false));
    let (rows, _) = all_pages(
        &format!("{base}/v1.0/users?$select=id,userType&$filter=userType%20eq%20%27Guest%27"),
        &token,
    )
    .await?;
    assert_eq!(rows.len(), 1);
    let advanced =
        format!("{base}/v1.0/users?$select=id&$filter=accountEnabled%20ne%20true&$count=true");
    let (status, body) = get_json(&advanced, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    let response = http()
        .get(&advanced)
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await?;
    assert_eq!(body["@odata.count"], disabled);
    Ok(())
}

#[tokio::test]
async fn partner_discovery_endpoints_follow_the_gdap_and_lighthouse_contracts() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let token = partner_token(&sandbox).await?;
    let base = sandbox.graph_base_url();
    let (rows, pages) = all_pages(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminCustomers?$top=2"),
        &token,
    )
    .await?;
    assert_eq!(pages, 3);
    let expected: BTreeSet<String> = sandbox.tenants().into_iter().map(|t| t.tenant_id).collect();
    let listed: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| r["tenantId"].as_str().map(str::to_string))
        .collect();
    assert_eq!(listed, expected);
    let (status, _) = get_json(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminCustomers?$top=301"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (all, _) = all_pages(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminRelationships"),
        &token,
    )
    .await?;
    let (active, _) = all_pages(
        &format!("{base}/v1.0/tenantRelationships/delegatedAdminRelationships?$filter=status%20eq%20%27active%27"),
        &token,
    )
    .await?;
    assert!(
        all.len() > active.len(),
        "expired relationships are filtered out"
    );
    assert!(active.iter().all(|r| r["status"] == "active"));
    assert_eq!(active.len(), 5);
    let (lighthouse, _) = all_pages(
        &format!("{base}/beta/tenantRelationships/managedTenants/tenants"),
        &token,
    )
    .await?;
    let onboarded: Vec<_> = sandbox
        .tenants()
        .into_iter()
        .filter(|t| t.lighthouse)
        .collect();
    assert_eq!(lighthouse.len(), onboarded.len());
    for row in &lighthouse {
        let t = onboarded
            .iter()
            .find(|t| row["tenantId"] == t.tenant_id.as_str())
            .ok_or("unknown tenant")?;
        assert_eq!(
            row["contract"]["defaultDomainName"],
            t.default_domain.as_str()
        );
        assert!(row.get("defaultDomainName").is_none());
    }
    let (status, body) = get_json(
        &format!("{base}/beta/tenantRelationships/managedTenants/users"),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'users'."
    );
    // Domains of a customer tenant, with the customer's token.
    let tenant = sandbox.tenants()[1].clone();
    let customer = customer_token(&sandbox, &tenant.tenant_id).await?;
    let (_, body) = get_json(&format!("{base}/v1.0/domains"), &customer).await?;
    let verified: BTreeSet<String> = body["value"]
        .as_array()
        .ok_or("no value")?
        .iter()
        .filter(|d| d["isVerified"] == true)
        .filter_map(|d| d["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(verified, tenant.domains.iter().cloned().collect());
    Ok(())
}

#[tokio::test]
async fn a_tenant_without_a_gdap_role_answers_403() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[2].tenant_id.clone();
    sandbox.update_faults(|f| {
        f.gdap_role_missing.insert(tenant.clone());
    });
    let token = customer_token(&sandbox, &tenant).await?;
    let (status, body) = get_json(
        &format!("{}/v1.0/users?$select=id", sandbox.graph_base_url()),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    Ok(())
}

#[tokio::test]
async fn delta_reports_changes_and_removals_after_mutations() -> TestResult {
    let sandbox = start(SandboxConfig {
        delta_page_size: 4,
        ..SandboxConfig::default()
    })
    .await;
    let tenant = sandbox.tenants()[0].clone();
    let token = customer_token(&sandbox, &tenant.tenant_id).await?;
    let first = format!(
        "{}/v1.0/users/delta?$select=id,displayName,mail,accountEnabled",
        sandbox.graph_base_url()
    );
    // Full enumeration: nextLink pages, then a deltaLink.
    let mut url = first.clone();
    let mut rows = Vec::new();
    let mut pages = 0;
    let delta_link = loop {
        let (status, body) = get_json(&url, &token).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        rows.extend(body["value"].as_array().cloned().unwrap_or_default());
        if let Some(next) = body["@odata.nextLink"].as_str() {
            url = next.to_string();
        } else {
            break body["@odata.deltaLink"]
                .as_str()
                .ok_or("no deltaLink")?
                .to_string();
        }
    };
    assert_eq!(pages, 4);
    assert_eq!(rows.len(), 15);
    assert!(delta_link.contains("$deltatoken="));

    let people: Vec<_> = sandbox
        .users(&tenant.tenant_id)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person && u.account_enabled)
        .collect();
    let disabled = sandbox.mutate(Mutation::Disable {
        user_id: people[0].id.clone(),
    })?;
    let soft = sandbox.mutate(Mutation::SoftDelete {
        user_id: people[1].id.clone(),
    })?;
    let hard = sandbox.mutate(Mutation::HardDelete {
        user_id: people[2].id.clone(),
    })?;
    let renamed = sandbox.mutate(Mutation::Rename {
        user_id: people[3].id.clone(),
        display_name: "Renamed Person".into(),
        given_name: Some("Renamed".into()),
        surname: Some("Person".into()),
    })?;
    let new_mail = format!("new.address@{}", tenant.default_domain);
    let moved = sandbox.mutate(Mutation::ChangeEmail {
        user_id: people[4].id.clone(),
        email: new_mail.clone(),
    })?;
    let added = sandbox.mutate(Mutation::AddUser {
        tenant_id: tenant.tenant_id.clone(),
        user: NewUser {
            display_name: "Nora Newhire".into(),
            given_name: Some("Nora".into()),
            surname: Some("Newhire".into()),
            email: format!("nora.newhire@{}", tenant.default_domain),
            job_title: None,
            account_enabled: true,
        },
    })?;
    // A change to an unselected property does not show.
    let unselected = people
        .iter()
        .find(|u| ![&disabled, &soft, &hard, &renamed, &moved].contains(&&u.id))
        .ok_or("no spare person")?;
    sandbox.mutate(Mutation::AddAlias {
        user_id: unselected.id.clone(),
        address: format!("extra.alias@{}", tenant.default_domain),
    })?;

    let (changes, pages) = all_pages(&delta_link, &token).await?;
    assert_eq!(pages, 2, "six changes in pages of four");
    let find = |id: &str| changes.iter().find(|r| r["id"] == id).cloned();
    assert_eq!(
        find(&disabled).ok_or("disabled missing")?["accountEnabled"],
        false
    );
    assert_eq!(
        find(&soft).ok_or("soft missing")?["@removed"]["reason"],
        "changed"
    );
    assert_eq!(
        find(&hard).ok_or("hard missing")?["@removed"]["reason"],
        "deleted"
    );
    assert_eq!(
        find(&renamed).ok_or("renamed missing")?["displayName"],
        "Renamed Person"
    );
    assert_eq!(
        find(&moved).ok_or("moved missing")?["mail"],
        new_mail.as_str()
    );
    assert_eq!(
        find(&added).ok_or("added missing")?["displayName"],
        "Nora Newhire"
    );
    assert!(find(&unselected.id).is_none());
    assert_eq!(changes.len(), 6);
    // Deleted users are gone from the listing.
    assert!(
        !sandbox
            .users(&tenant.tenant_id)
            .iter()
            .any(|u| u.id == soft || u.id == hard)
    );

    // The round's own deltaLink: nothing new.
    let mut url = delta_link.clone();
    let next_link = loop {
        let (_, body) = get_json(&url, &token).await?;
        match body["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => {
                break body["@odata.deltaLink"]
                    .as_str()
                    .ok_or("no link")?
                    .to_string();
            }
        }
    };
    let (_, body) = get_json(&next_link, &token).await?;
    assert_eq!(body["value"], serde_json::json!([]));

    // Prefer: return=minimal sends only what changed.
    sandbox.mutate(Mutation::Rename {
        user_id: renamed.clone(),
        display_name: "Renamed Again".into(),
        given_name: None,
        surname: None,
    })?;
    let response = http()
        .get(&next_link)
        .bearer_auth(&token)
        .header("Prefer", "return=minimal")
        .send()
        .await?;
    let body: Value = response.json().await?;
    let row = body["value"][0].as_object().ok_or("no row")?;
    assert_eq!(row.get("displayName"), Some(&Value::from("Renamed Again")));
    assert!(!row.contains_key("mail"));

    // A delta link is bound to its tenant.
    let other = customer_token(&sandbox, &sandbox.tenants()[1].tenant_id).await?;
    let (status, _) = get_json(&next_link, &other).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

/// The delta link at the end of a full delta round of `id,mail`.
async fn fresh_delta_link(
    sandbox: &Sandbox,
    token: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let url = format!(
        "{}/v1.0/users/delta?$select=id,mail",
        sandbox.graph_base_url()
    );
    let (_, body) = get_json(&url, token).await?;
    Ok(body["@odata.deltaLink"]
        .as_str()
        .ok_or("no deltaLink")?
        .to_string())
}

#[tokio::test]
async fn expired_delta_tokens_force_a_resync() -> TestResult {
    let (sandbox, _tenant, token) = first_tenant_session().await?;
    let link = fresh_delta_link(&sandbox, &token).await?;
    sandbox.expire_delta_tokens();
    let (status, body) = get_json(&link, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "syncStateNotFound");
    // A fresh round works again, and Graph can also force a resync with 410 Gone.
    let link = fresh_delta_link(&sandbox, &token).await?;
    let (status, _) = get_json(&link, &token).await?;
    assert_eq!(status, StatusCode::OK);
    sandbox.update_faults(|f| f.delta = DeltaFault::Gone);
    let (status, headers, _) = get(&link, &token).await?;
    assert_eq!(status, StatusCode::GONE);
    let location = headers.get("location").ok_or("no location")?.to_str()?;
    assert!(location.contains("$deltatoken="), "{location}");
    Ok(())
}

#[tokio::test]
async fn throttling_and_outages_carry_retry_after() -> TestResult {
    let (sandbox, tenant, token) = first_tenant_session().await?;
    let url = format!("{}/v1.0/users?$select=id", sandbox.graph_base_url());
    sandbox.update_faults(|f| {
        f.graph_throttle_next = 2;
        f.retry_after_secs = 3;
    });
    for _ in 0..2 {
        let (status, headers, text) = get(&url, &token).await?;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers.get("retry-after").ok_or("no retry-after")?, "3");
        let scope = headers
            .get("x-ms-throttle-scope")
            .ok_or("no scope")?
            .to_str()?;
        assert!(scope.starts_with("Tenant_Application/ReadWrite/") && scope.ends_with(&tenant));
        let body: Value = serde_json::from_str(&text)?;
        assert_eq!(body["error"]["code"], "TooManyRequests");
    }
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::OK);
    sandbox.update_faults(|f| {
        f.graph_unavailable_next = 1;
        f.unavailable_retry_after_secs = Some(2);
    });
    let (status, headers, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers.get("retry-after").ok_or("no retry-after")?, "2");
    sandbox.update_faults(|f| {
        f.graph_unavailable_next = 1;
        f.unavailable_retry_after_secs = None;
    });
    let (status, headers, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.get("retry-after").is_none());
    // A rate of one throttles everything; a rate of zero nothing.
    sandbox.update_faults(|f| f.graph_throttle_rate = 1.0);
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    sandbox.update_faults(|f| f.graph_throttle_rate = 0.0);
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_page_can_fail_half_way() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    sandbox.update_faults(|f| {
        f.failing_page.insert(tenant.clone(), 1);
    });
    let token = customer_token(&sandbox, &tenant).await?;
    let (status, body) = get_json(
        &format!("{}/v1.0/users?$select=id&$top=5", sandbox.graph_base_url()),
        &token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let next = body["@odata.nextLink"].as_str().ok_or("no nextLink")?;
    let (status, body) = get_json(next, &token).await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["error"]["innerError"]["request-id"].is_string());
    Ok(())
}

#[tokio::test]
async fn throttling_can_come_without_retry_after() -> TestResult {
    let (sandbox, _tenant, token) = first_tenant_session().await?;
    sandbox.update_faults(|f| {
        f.graph_throttle_next = 1;
        f.retry_after_secs = 3;
        f.omit_retry_after = true;
    });
    let url = format!("{}/v1.0/users?$select=id", sandbox.graph_base_url());
    let (status, headers, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.get("retry-after").is_none());
    Ok(())
}

/// Each page fault on the second page of a listing, as a client meets it.
#[tokio::test]
async fn page_faults_break_the_listing_at_their_page() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let first = format!(
        "{}/v1.0/users?$select=id,accountEnabled&$top=5",
        sandbox.graph_base_url()
    );
    let set = |kind: PageFaultKind, times: u32| {
        sandbox.update_faults(|f| {
            f.page_faults.insert(
                tenant.clone(),
                PageFault {
                    page: 1,
                    kind,
                    times,
                },
            );
            f.page_stall = std::time::Duration::from_millis(300);
        })
    };
    let token = customer_token(&sandbox, &tenant).await?;
    let (_, page0) = get_json(&first, &token).await?;
    let second = page0["@odata.nextLink"]
        .as_str()
        .ok_or("no nextLink")?
        .to_string();

    set(PageFaultKind::ForeignNextLink, 0);
    let (status, body) = get_json(&second, &token).await?;
    assert_eq!(status, StatusCode::OK);
    let next = body["@odata.nextLink"].as_str().ok_or("no nextLink")?;
    assert!(
        next.starts_with(&format!("{FOREIGN_HOST}/v1.0/users?")),
        "{next}"
    );

    set(PageFaultKind::RepeatedNextLink, 0);
    let (_, body) = get_json(&second, &token).await?;
    assert_eq!(body["@odata.nextLink"].as_str(), Some(second.as_str()));

    set(PageFaultKind::MissingAccountEnabled, 0);
    let (_, body) = get_json(&second, &token).await?;
    let rows = body["value"].as_array().ok_or("no rows")?;
    assert!(rows[0].get("accountEnabled").is_none() && rows[1].get("accountEnabled").is_some());

    set(PageFaultKind::MalformedJson, 0);
    let (status, _, text) = get(&second, &token).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    // Cut and stalled answers go through a client of their own, leaving no broken connection in
    // the shared pool.
    let unpooled = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()?;
    set(PageFaultKind::ConnectionReset, 0);
    let cut = match unpooled.get(&second).bearer_auth(&token).send().await {
        Ok(response) => response.text().await.map(drop),
        Err(e) => Err(e),
    };
    assert!(cut.is_err(), "the answer is cut off");

    // A stall answers late but whole; a client with a shorter timeout gives up.
    set(PageFaultKind::Stall, 1);
    let impatient = unpooled
        .get(&second)
        .bearer_auth(&token)
        .timeout(std::time::Duration::from_millis(50))
        .send()
        .await;
    assert!(impatient.is_err_and(|e| e.is_timeout()));
    let (status, _) = get_json(&second, &token).await?;
    assert_eq!(status, StatusCode::OK, "struck once, then served");

    // The token expires as the page is asked for; a new token reads it.
    set(PageFaultKind::TokenExpired, 1);
    let (status, body) = get_json(&second, &token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let (status, _) = get_json(&second, &token).await?;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token stays expired"
    );
    let fresh = customer_token(&sandbox, &tenant).await?;
    let (status, _) = get_json(&second, &fresh).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        sandbox.faults().page_faults.is_empty(),
        "spent faults are removed"
    );

    // The first page is untouched by a fault on the second.
    set(PageFaultKind::MalformedJson, 0);
    let (status, body) = get_json(&first, &fresh).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(5));
    Ok(())
}

#[tokio::test]
async fn user_count_is_an_advanced_query() -> TestResult {
    let (sandbox, tenant, token) = first_tenant_session().await?;
    let url = format!("{}/v1.0/users/$count", sandbox.graph_base_url());
    let (status, _, _) = get(&url, &token).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response = http()
        .get(&url)
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await?,
        sandbox.users(&tenant).len().to_string()
    );
    Ok(())
}

#[tokio::test]
async fn large_tenants_page_at_most_999_users() -> TestResult {
    let sandbox = start(SandboxConfig {
        tenants: 1,
        users_per_tenant: 1_200,
        crm_clients: 1,
        ..SandboxConfig::default()
    })
    .await;
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    let token = customer_token(&sandbox, &tenant).await?;
    let (rows, pages) = all_pages(
        &format!(
            "{}/v1.0/users?$select=id&$top=999",
            sandbox.graph_base_url()
        ),
        &token,
    )
    .await?;
    assert_eq!(pages, 2);
    assert_eq!(ids(&rows).len(), 1_200);
    // Without $top, Graph's default page of 100.
    let (_, pages) = all_pages(
        &format!("{}/v1.0/users?$select=id", sandbox.graph_base_url()),
        &token,
    )
    .await?;
    assert_eq!(pages, 12);
    Ok(())
}

/// The discovery endpoints added for fallbacks answer in the real contracts' shapes: a
/// `text/plain` `$count` that needs `ConsistencyLevel: eventual`, the partner-side
/// `tenantInformation`, and each switch that makes one unavailable.
#[tokio::test]
async fn count_tenant_information_and_their_faults_follow_the_graph_contracts() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].clone();
    let base = sandbox.graph_base_url();
    let customer = customer_token(&sandbox, &tenant.tenant_id).await?;
    let partner = partner_token(&sandbox).await?;
    let count_url = format!("{base}/v1.0/users/$count");

    let (status, _, body) = get(&count_url, &customer).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("Request_UnsupportedQuery"));
    let response = http()
        .get(&count_url)
        .bearer_auth(&customer)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()?
            .starts_with("text/plain")
    );
    assert_eq!(
        response.text().await?,
        sandbox.users(&tenant.tenant_id).len().to_string()
    );

    let info_url = format!(
        "{base}/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{}')",
        tenant.tenant_id
    );
    let (status, body) = get_json(&info_url, &partner).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tenantId"], tenant.tenant_id.as_str());
    assert_eq!(body["defaultDomainName"], tenant.default_domain.as_str());
    assert_eq!(body["displayName"], tenant.display_name.as_str());
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap_or_default()
            .ends_with("#microsoft.graph.tenantInformation")
    );

    // Each switch, and the status and code the endpoint then answers.
    let lighthouse = format!("{base}/beta/tenantRelationships/managedTenants/tenants");
    let customers = format!("{base}/v1.0/tenantRelationships/delegatedAdminCustomers");
    let contracts = format!("{base}/v1.0/contracts");
    let domains = format!("{base}/v1.0/domains");
    let cases: Vec<(&str, serde_json::Value, &str, bool)> = vec![
        (
            "gdapUnavailable",
            json!({"gdapUnavailable": true}),
            &customers,
            false,
        ),
        (
            "lighthouseUnavailable",
            json!({"lighthouseUnavailable": true}),
            &lighthouse,
            false,
        ),
        (
            "contractsUnavailable",
            json!({"contractsUnavailable": true}),
            &contracts,
            false,
        ),
        (
            "tenantInformationUnavailable",
            json!({"tenantInformationUnavailable": true}),
            &info_url,
            false,
        ),
        (
            "domainsDenied",
            json!({"domainsDenied": [tenant.tenant_id]}),
            &domains,
            true,
        ),
        (
            "dapOnly",
            json!({"dapOnly": [tenant.tenant_id]}),
            &domains,
            true,
        ),
    ];
    for (name, faults, url, as_customer) in cases {
        sandbox.set_faults(Faults::from_json(&faults)?);
        let token = if as_customer { &customer } else { &partner };
        let (status, body) = get_json(url, token).await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {body}");
        assert_eq!(
            body["error"]["code"], "Authorization_RequestDenied",
            "{name}"
        );
    }
    sandbox.set_faults(Faults::from_json(
        &json!({"userCountDenied": [tenant.tenant_id]}),
    )?);
    let response = http()
        .get(&count_url)
        .bearer_auth(&customer)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A DAP-only tenant leaves the GDAP listing and joins the contracts.
    sandbox.set_faults(Faults::from_json(&json!({"dapOnly": [tenant.tenant_id]}))?);
    let (rows, _) = all_pages(&customers, &partner).await?;
    assert!(!ids(&rows).contains(&tenant.tenant_id));
    let (rows, _) = all_pages(&contracts, &partner).await?;
    assert!(
        rows.iter()
            .any(|r| r["customerId"] == tenant.tenant_id.as_str())
    );
    Ok(())
}

/// A sandbox playing a national cloud mints tokens for that cloud's Graph resource only and
/// answers the APIs that cloud lacks as Graph answers an unknown segment.
#[tokio::test]
async fn a_national_cloud_sandbox_offers_only_that_clouds_apis() -> TestResult {
    let cases = [
        (
            NationalCloud::UsGovHigh,
            "https://graph.microsoft.us",
            true,
            false,
        ),
        (
            NationalCloud::UsGovDod,
            "https://dod-graph.microsoft.us",
            true,
            false,
        ),
        (
            NationalCloud::China,
            "https://microsoftgraph.chinacloudapi.cn",
            false,
            false,
        ),
        (
            NationalCloud::Global,
            "https://graph.microsoft.com",
            true,
            true,
        ),
    ];
    for (cloud, resource, gdap, lighthouse) in cases {
        let sandbox = start(SandboxConfig {
            cloud,
            ..SandboxConfig::default()
        })
        .await;
        let partner = sandbox.credentials().partner_tenant_id;
        let scope = format!("{resource}/.default offline_access");
        let token = Form::partner_refresh(&sandbox, &scope)
            .mint(&sandbox, &partner)
            .await?;
        let base = sandbox.graph_base_url();
        let status = |url: String| {
            let token = token.clone();
            async move { get(&url, &token).await.map(|(s, _, _)| s) }
        };
        let expect = |offered: bool| {
            if offered {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            }
        };
        assert_eq!(
            status(format!(
                "{base}/v1.0/tenantRelationships/delegatedAdminCustomers"
            ))
            .await?,
            expect(gdap),
            "{cloud:?} GDAP"
        );
        assert_eq!(
            status(format!(
                "{base}/beta/tenantRelationships/managedTenants/tenants"
            ))
            .await?,
            expect(lighthouse),
            "{cloud:?} Lighthouse"
        );
        assert_eq!(
            status(format!("{base}/v1.0/contracts")).await?,
            StatusCode::OK,
            "{cloud:?} contracts"
        );
        if cloud != NationalCloud::Global {
            // A token for the global resource is refused at the token endpoint.
            let (status, body) = Form::partner_refresh(&sandbox, PARTNER_SCOPE)
                .send(&sandbox, &partner)
                .await?;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{cloud:?}: {body}");
            assert_eq!(body["error"], "invalid_resource", "{cloud:?}");
        }
    }
    Ok(())
}
