//! The direct provider against loopback fakes of the Microsoft login endpoint and Graph.

mod graph_support;

use entra_core::provider::{EntraProvider, RemovalReason};
use entra_providers::auth::{CustomerGrant, TokenSet};
use entra_providers::graph::{GraphOptions, GraphProvider};
use entra_providers::secrets::Secret;
use graph_support::*;
use serde_json::json;
use std::sync::Arc;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn discovery_pages_through_gdap_customers_with_top_300() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", Some("RT-partner-0002"))
        .await;
    let page2 =
        fx.graph_url("v1.0/tenantRelationships/delegatedAdminCustomers?$top=300&$skiptoken=p2");
    get(DISCOVERY)
        .and(query_param("$skiptoken", "p2"))
        .and(header("authorization", "Bearer AT-partner-1"))
        .respond_with(ok(json!({
            "value": [{"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "id": FABRIKAM,
                       "tenantId": FABRIKAM, "displayName": "Fabrikam"}]})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    get(DISCOVERY)
        .and(query_param("$top", "300"))
        .and(header("authorization", "Bearer AT-partner-1"))
        .respond_with(ok(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminCustomers",
            "@odata.nextLink": page2,
            "value": [{"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "@odata.etag": "W/\"JyIxODAw\"",
                       "id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminRelationships"))
        .and(query_param("$filter", "status eq 'active'"))
        .respond_with(ok(json!({"value": [{
            "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
            "id": "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
            "displayName": "Contoso admin relationship", "duration": "P730D",
            "customer": {"tenantId": CONTOSO, "displayName": "Contoso Inc"},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"}]},
            "status": "active", "autoExtendDuration": "P180D"}]})))
        .expect(1)
        .mount(&fx.graph)
        .await;

    let provider = fx.provider(GraphOptions::default());
    let listing = provider.list_managed_tenants().await.unwrap();
    assert!(listing.complete);
    let ids = tenant_ids(&listing.tenants);
    assert_eq!(ids, vec![FABRIKAM, CONTOSO]);
    let contoso = &listing.tenants[1];
    assert_eq!(contoso.display_name.as_deref(), Some("Contoso Inc"));
    assert_eq!(contoso.health_note, None);
    let fabrikam = &listing.tenants[0];
    assert!(
        fabrikam
            .health_note
            .as_deref()
            .unwrap_or("")
            .contains("no active GDAP relationship")
    );
    // The refresh token rotated during the partner refresh.
    let tokens = provider.partner_tokens().await;
    assert_eq!(tokens.refresh_token, Some(Secret::new("RT-partner-0002")));
}

#[tokio::test]
async fn lighthouse_domain_comes_from_the_contract_and_domains_are_verified_only() {
    let fx = Fixture::signed_in().await;
    fx.mount_customer_token("34298981-4fc8-4974-9486-c8909ed1521b", "AT-fourth")
        .await;
    fx.answer(
        DISCOVERY,
        ok(json!({"value": [
            {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})),
    )
    .await;
    fx.answer(LIGHTHOUSE, ok(json!({"value": [{
            "id": "34298981-4fc8-4974-9486-c8909ed1521b", "tenantId": "34298981-4fc8-4974-9486-c8909ed1521b",
            "displayName": "Fourth Coffee",
            "contract": {"displayName": "Fourth Coffee", "defaultDomainName": "fourthcoffee.com", "contractType": 2},
            "tenantStatusInformation": {"onboardingStatus": "active", "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges"},
            "createdDateTime": "2012-02-20T00:00:00Z", "lastUpdatedDateTime": "2021-02-20T00:00:00Z"}]}))).await;
    get(DOMAINS)
        .and(header("authorization", "Bearer AT-contoso"))
        .respond_with(ok(json!({"value": [
            {"id": "contoso.onmicrosoft.com", "isDefault": false, "isInitial": true, "isVerified": true},
            {"id": "Contoso.com", "isDefault": true, "isInitial": false, "isVerified": true},
            {"id": "pending.contoso.com", "isDefault": false, "isInitial": false, "isVerified": false}]})))
        .mount(&fx.graph)
        .await;
    get(DOMAINS)
        .and(header("authorization", "Bearer AT-fourth"))
        .respond_with(graph_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ))
        .mount(&fx.graph)
        .await;

    let provider = fx.provider(GraphOptions {
        enrich_from_relationships: false,
        include_lighthouse: true,
        include_domains: true,
        ..GraphOptions::default()
    });
    let listing = provider.list_managed_tenants().await.unwrap();
    assert!(listing.complete);
    let fourth = listing
        .tenants
        .iter()
        .find(|t| t.entra_tenant_id == "34298981-4fc8-4974-9486-c8909ed1521b")
        .unwrap();
    assert_eq!(fourth.primary_domain.as_deref(), Some("fourthcoffee.com"));
    let contoso = listing
        .tenants
        .iter()
        .find(|t| t.entra_tenant_id == CONTOSO)
        .unwrap();
    assert_eq!(contoso.primary_domain.as_deref(), Some("contoso.com"));
    assert_eq!(
        contoso.domains,
        vec!["contoso.com", "contoso.onmicrosoft.com"]
    );
    assert!(
        listing
            .warnings
            .iter()
            .any(|w| w.code == "domains_unreadable"
                && w.message.contains("34298981-4fc8-4974-9486-c8909ed1521b"))
    );
}

#[tokio::test]
async fn users_are_read_per_customer_tenant_with_select_and_top_999_across_pages() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains(format!("refresh_token={PARTNER_RT}")))
        .and(body_string_contains("client_id=app-client-id"))
        .and(body_string_contains("%2F.default"))
        .respond_with(ok(token_body("AT-contoso", None)))
        .expect(1)
        .mount(&fx.login)
        .await;
    let page2 = fx.graph_url("v1.0/users?$select=id&$top=999&$skiptoken=RFNwdAIAAQ");
    get(USERS)
        .and(query_param("$skiptoken", "RFNwdAIAAQ"))
        .and(header("authorization", "Bearer AT-contoso"))
        .respond_with(ok(json!({
            "value": [user_row("u3", "c@contoso.com", false)]})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    get(USERS)
        .and(query_param("$top", "999"))
        .and(header("authorization", "Bearer AT-contoso"))
        .respond_with(move |req: &wiremock::Request| {
            let select = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "$select")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            for field in ["accountEnabled", "userType", "mail", "otherMails", "proxyAddresses", "assignedLicenses"] {
                if !select.split(',').any(|f| f == field) {
                    return ResponseTemplate::new(400).set_body_string(format!("missing {field}"));
                }
            }
            ok(json!({
                "@odata.nextLink": page2.clone(),
                "value": [user_row("u1", "a@contoso.com", true), user_row("u2", "b@contoso.com", true)]}))
        })
        .expect(1)
        .mount(&fx.graph)
        .await;

    let listing = fx.users().await;
    assert!(listing.complete);
    assert!(listing.error.is_none());
    let ids = user_ids(&listing.users);
    assert_eq!(ids, vec!["u1", "u2", "u3"]);
    let u3 = &listing.users[2];
    assert_eq!(u3.entra_tenant_id, CONTOSO);
    assert!(!u3.account_enabled);
    assert_eq!(u3.email.as_deref(), Some("c@contoso.com"));
    assert_eq!(
        u3.assigned_license_sku_ids,
        vec!["c7df2760-2c81-4ef7-b578-5b5392b571df"]
    );
}

#[tokio::test]
async fn a_page_failing_half_way_leaves_the_listing_incomplete() {
    let fx = Fixture::signed_in().await;
    let page2 = fx.graph_url("v1.0/users?$skiptoken=second");
    get(USERS)
        .and(query_param("$skiptoken", "second"))
        .respond_with(graph_error(
            503,
            "serviceNotAvailable",
            "Service unavailable",
        ))
        .expect(4)
        .mount(&fx.graph)
        .await;
    fx.answer(
        USERS,
        ok(json!({
            "@odata.nextLink": page2, "value": [user_row("u1", "a@contoso.com", true)]})),
    )
    .await;

    let listing = fx.users().await;
    let err = assert_cut_short(&listing, 1, "upstream_unavailable");
    assert_eq!(err.status, Some(503));
}

#[tokio::test]
async fn a_user_row_without_account_enabled_is_left_out_naming_the_field() {
    let fx = Fixture::signed_in().await;
    let mut row = user_row("u2", "b@contoso.com", true);
    row.as_object_mut().unwrap().remove("accountEnabled");
    fx.answer(
        USERS,
        ok(json!({
            "value": [user_row("u1", "a@contoso.com", true), row, "not a user"]})),
    )
    .await;
    let listing = fx.users().await;
    assert!(
        !listing.complete,
        "a listing with a left-out row must not count absence"
    );
    assert!(listing.error.is_none());
    assert_eq!(listing.users.len(), 1);
    assert_eq!(listing.users[0].entra_object_id, "u1");
    let messages: Vec<&str> = listing
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(listing.warnings.len(), 2, "{messages:?}");
    assert!(
        listing
            .warnings
            .iter()
            .all(|w| w.code == "user_row_skipped")
    );
    assert!(
        messages[0].contains("user u2") && messages[0].contains("value[1].accountEnabled"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("position 2 of page 1"),
        "{}",
        messages[1]
    );
}

#[tokio::test]
async fn a_repeating_next_link_stops_with_paging_guard() {
    let fx = Fixture::signed_in().await;
    let again = fx.graph_url("v1.0/users?$skiptoken=loop");
    get(USERS)
        .respond_with(ok(json!({
            "@odata.nextLink": again, "value": [user_row("u1", "a@contoso.com", true)]})))
        .expect(2)
        .mount(&fx.graph)
        .await;
    let listing = fx.users().await;
    assert!(!listing.complete);
    assert_eq!(listing.error.unwrap().code(), "paging_guard");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_never_followed() {
    let fx = Fixture::start().await;
    let foreign = server().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"value": []})))
        .expect(0)
        .mount(&foreign)
        .await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    fx.answer(
        USERS,
        ok(json!({
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken=x", foreign.uri()),
            "value": [user_row("u1", "a@contoso.com", true)]})),
    )
    .await;
    let listing = fx.users().await;
    assert_cut_short(&listing, 1, "paging_guard");
}

#[tokio::test]
async fn a_401_refreshes_the_customer_token_once_and_retries() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(ok(token_body("AT-contoso-old", None)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&fx.login)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(ok(token_body("AT-contoso-new", None)))
        .expect(1)
        .mount(&fx.login)
        .await;
    let body = json!({"value": [user_row("u1", "a@contoso.com", true)]});
    fx.refused_then_accepted(USERS, "AT-contoso-old", "AT-contoso-new", body)
        .await;
    let listing = fx.users().await;
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 1);
}

#[tokio::test]
async fn a_401_on_discovery_refreshes_the_partner_token_and_reports_the_rotation() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .and(body_string_contains("refresh_token=RT-stale"))
        .respond_with(ok(token_body("AT-fresh", Some("RT-rotated"))))
        .expect(1)
        .mount(&fx.login)
        .await;
    let body =
        json!({"value": [{"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]});
    fx.refused_then_accepted(DISCOVERY, "AT-revoked", "AT-fresh", body)
        .await;
    let tokens = TokenSet {
        access_token: Secret::new("AT-revoked"),
        refresh_token: Some(Secret::new("RT-stale")),
        expires_at: entra_providers::auth::unix_now() + 3000,
        scope: None,
    };
    let rotations = Rotations::default();
    let provider = GraphProvider::with_rotation_sink(
        fx.settings(no_enrichment(), tokens),
        Arc::new(rotations.clone()),
    )
    .unwrap();
    let listing = provider.list_managed_tenants().await.unwrap();
    assert_eq!(listing.tenants.len(), 1);
    let seen = rotations.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].refresh_token, Some(Secret::new("RT-rotated")));
    assert_eq!(seen[0].access_token, Secret::new("AT-fresh"));
}

#[tokio::test]
async fn a_token_expiring_within_a_minute_is_refreshed_before_use() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-next", None).await;
    get(DISCOVERY)
        .and(header("authorization", "Bearer AT-next"))
        .respond_with(ok(json!({"value": []})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    let tokens = TokenSet {
        access_token: Secret::new("AT-expiring"),
        refresh_token: Some(Secret::new(PARTNER_RT)),
        expires_at: entra_providers::auth::unix_now() + 30,
        scope: None,
    };
    let provider = GraphProvider::new(fx.settings(no_enrichment(), tokens)).unwrap();
    let listing = provider.list_managed_tenants().await.unwrap();
    assert!(listing.complete);
    // The old refresh token is kept when the endpoint sends no new one.
    assert_eq!(
        provider.partner_tokens().await.refresh_token,
        Some(Secret::new(PARTNER_RT))
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh_per_tenant() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .respond_with(
            ok(token_body("AT-partner-1", None)).set_delay(std::time::Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&fx.login)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(
            ok(token_body("AT-contoso", None)).set_delay(std::time::Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&fx.login)
        .await;
    get(DISCOVERY)
        .respond_with(ok(json!({"value": []})))
        .expect(5)
        .mount(&fx.graph)
        .await;
    get(USERS)
        .respond_with(ok(json!({"value": []})))
        .expect(5)
        .mount(&fx.graph)
        .await;
    let provider = Arc::new(fx.provider(no_enrichment()));
    let discovery = (0..5).map(|_| {
        let p = provider.clone();
        tokio::spawn(async move { p.list_managed_tenants().await.map(|_| ()) })
    });
    let users = (0..5).map(|_| {
        let p = provider.clone();
        tokio::spawn(async move { p.list_users(CONTOSO).await.map(|_| ()) })
    });
    for handle in discovery.chain(users).collect::<Vec<_>>() {
        handle.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn client_credentials_mint_customer_tokens_when_configured() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("%2F.default"))
        .respond_with(ok(token_body("AT-app", None)))
        .expect(1)
        .mount(&fx.login)
        .await;
    get(USERS)
        .and(header("authorization", "Bearer AT-app"))
        .respond_with(ok(json!({
            "value": [user_row("u1", "a@contoso.com", true)]})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    let provider = fx.provider(GraphOptions {
        enrich_from_relationships: false,
        customer_grant: CustomerGrant::ClientCredentials,
        ..GraphOptions::default()
    });
    assert_eq!(provider.list_users(CONTOSO).await.unwrap().users.len(), 1);
}

#[tokio::test]
async fn delta_follows_pages_to_the_delta_link_and_reports_removals() {
    let fx = Fixture::signed_in().await;
    let page2 = fx.graph_url("v1.0/users/delta?$skiptoken=oEBwdSP6uehIAxQOWq");
    let delta_link = fx.graph_url("v1.0/users/delta?$deltatoken=oEcOySpF_hWYmTIUZBOIf");
    get(DELTA)
        .and(query_param("$skiptoken", "oEBwdSP6uehIAxQOWq"))
        .respond_with(ok(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "@odata.deltaLink": delta_link.clone(),
            "value": [{"id": "gone-soft", "@removed": {"reason": "changed"}},
                      user_row("u1", "a2@contoso.com", false)]})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    get(DELTA)
        .respond_with(move |req: &wiremock::Request| {
            let has_top = req.url.query_pairs().any(|(k, _)| k == "$top");
            let select = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "$select")
                .map(|(_, v)| v.into_owned());
            if has_top || !select.is_some_and(|s| s.contains("accountEnabled")) {
                return graph_error(400, "BadRequest", "bad query");
            }
            ok(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                "@odata.nextLink": page2.clone(),
                "value": [user_row("u1", "a@contoso.com", true),
                          {"id": "gone-hard", "@removed": {"reason": "deleted"}}]}))
        })
        .expect(1)
        .mount(&fx.graph)
        .await;

    let provider = fx.provider(no_enrichment());
    assert!(provider.supports_delta());
    let delta = provider.list_users_delta(CONTOSO, None).await.unwrap();
    assert!(delta.complete);
    assert!(delta.full_enumeration);
    assert!(!delta.resync_required);
    assert_eq!(delta.delta_link.as_deref(), Some(delta_link.as_str()));
    // u1 appeared twice; the later state wins.
    assert_eq!(delta.users.len(), 1);
    assert!(!delta.users[0].account_enabled);
    assert_eq!(
        removals(&delta.removed),
        [
            ("gone-hard", RemovalReason::Deleted),
            ("gone-soft", RemovalReason::Changed)
        ]
    );
}

#[tokio::test]
async fn an_expired_delta_token_requires_a_full_resync() {
    let fx = Fixture::signed_in().await;
    get(DELTA)
        .and(query_param("$deltatoken", "expired"))
        .respond_with(graph_error(
            400,
            "syncStateNotFound",
            "The sync state generation is not found.",
        ))
        .mount(&fx.graph)
        .await;
    get(DELTA)
        .and(query_param("$deltatoken", "gone"))
        .respond_with(ResponseTemplate::new(410).insert_header(
            "Location",
            fx.graph_url("v1.0/users/delta?$deltatoken=").as_str(),
        ))
        .mount(&fx.graph)
        .await;
    let provider = fx.provider(no_enrichment());
    for token in ["expired", "gone"] {
        let link = fx.graph_url(&format!("v1.0/users/delta?$deltatoken={token}"));
        let delta = provider
            .list_users_delta(CONTOSO, Some(&link))
            .await
            .unwrap();
        assert!(delta.resync_required, "{token}");
        assert!(!delta.complete);
        assert!(delta.users.is_empty() && delta.removed.is_empty());
        assert_eq!(delta.delta_link, None);
        assert!(!delta.full_enumeration);
    }
}

#[tokio::test]
async fn a_stored_delta_link_to_another_host_is_refused() {
    let fx = Fixture::start().await;
    let provider = fx.provider(no_enrichment());
    let err = provider
        .list_users_delta(
            CONTOSO,
            Some("https://evil.example/v1.0/users/delta?$deltatoken=x"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "paging_guard");
}

#[tokio::test]
async fn tenant_ids_that_would_change_the_url_are_refused() {
    let fx = Fixture::start().await;
    let provider = fx.provider(no_enrichment());
    for bad in ["../common", "a/b", "", "x?y"] {
        assert_eq!(
            provider.list_users(bad).await.unwrap_err().code(),
            "configuration",
            "{bad}"
        );
    }
}
