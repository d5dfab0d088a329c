//! The direct provider on the less common answers real Graph and the login endpoint give:
//! redirects, sparse rows, rows keyed only by `id`, string lifetimes, claims challenges,
//! replays inside one delta round, request ids carried only in headers, unreadable or repeated
//! user rows, Lighthouse names on the contract only and domain lists without `isVerified`.

mod graph_support;

use entra_core::provider::{EntraProvider, RemovalReason};
use entra_providers::graph::GraphOptions;
use graph_support::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

fn no_enrichment() -> GraphOptions {
    GraphOptions {
        enrich_from_relationships: false,
        ..GraphOptions::default()
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_with_the_bearer_token() {
    let fx = Fixture::start().await;
    let elsewhere = server().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "Location",
            format!("{}/v1.0/users", elsewhere.uri()).as_str(),
        ))
        .expect(1)
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let err = fx
        .provider(no_enrichment())
        .list_users(CONTOSO)
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(302));
    assert_eq!(err.code(), "unexpected_response");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_gone_delta_token_is_a_resync_and_its_location_is_not_followed() {
    let fx = Fixture::start().await;
    let elsewhere = server().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(410).insert_header(
            "Location",
            format!("{}/v1.0/users/delta?$deltatoken=", elsewhere.uri()).as_str(),
        ))
        .expect(1)
        .mount(&fx.graph)
        .await;
    let link = fx.graph_url("v1.0/users/delta?$deltatoken=old");
    let delta = fx
        .provider(no_enrichment())
        .list_users_delta(CONTOSO, Some(&link))
        .await
        .unwrap();
    assert!(delta.resync_required);
    assert!(!delta.complete);
    assert!(delta.users.is_empty() && delta.removed.is_empty());
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_resync_required_code_is_a_resync_too() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error_body(
            "resyncRequired",
            "Resync required. Replace any local cached data with a new full synchronization.",
        )))
        .mount(&fx.graph)
        .await;
    let link = fx.graph_url("v1.0/users/delta?$deltatoken=old");
    let delta = fx
        .provider(no_enrichment())
        .list_users_delta(CONTOSO, Some(&link))
        .await
        .unwrap();
    assert!(delta.resync_required);
    assert_eq!(delta.delta_link, None);
}

#[tokio::test]
async fn sparse_user_rows_with_nulls_are_read() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,accountEnabled)",
            "value": [
                {"id": "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e", "userPrincipalName": "admin@contoso.com",
                 "mail": null, "otherMails": null, "proxyAddresses": null, "displayName": "MOD Administrator",
                 "givenName": null, "surname": null, "accountEnabled": true, "userType": null,
                 "jobTitle": null, "mobilePhone": null, "businessPhones": null, "department": null,
                 "companyName": null, "onPremisesSyncEnabled": null, "assignedLicenses": null,
                 "createdDateTime": null},
                {"id": "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0", "accountEnabled": false,
                 "assignedLicenses": [{"disabledPlans": [], "skuId": null}, {"skuId": "sku-2"}]}
            ]})))
        .mount(&fx.graph)
        .await;
    let listing = fx
        .provider(no_enrichment())
        .list_users(CONTOSO)
        .await
        .unwrap();
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 2);
    let admin = &listing.users[0];
    assert_eq!(admin.entra_tenant_id, CONTOSO);
    assert_eq!(admin.email, None);
    assert!(admin.other_mails.is_empty() && admin.proxy_addresses.is_empty());
    assert!(admin.business_phones.is_empty() && admin.assigned_license_sku_ids.is_empty());
    let room = &listing.users[1];
    assert!(!room.account_enabled);
    assert_eq!(room.assigned_license_sku_ids, vec!["sku-2"]);
}

#[tokio::test]
async fn a_null_account_enabled_is_never_taken_as_enabled() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "u1", "accountEnabled": null}]})))
        .mount(&fx.graph)
        .await;
    let listing = fx
        .provider(no_enrichment())
        .list_users(CONTOSO)
        .await
        .unwrap();
    assert!(listing.users.is_empty());
    assert!(!listing.complete);
    assert_eq!(listing.warnings.len(), 1);
    assert_eq!(listing.warnings[0].code, "user_row_skipped");
    assert!(
        listing.warnings[0].message.contains("user u1")
            && listing.warnings[0].message.contains("accountEnabled"),
        "{}",
        listing.warnings[0].message
    );
}

#[tokio::test]
async fn gdap_customers_keyed_only_by_id_are_still_listed() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .and(query_param("$top", "300"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminCustomers",
            "value": [
                {"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "id": FABRIKAM.to_uppercase(), "displayName": null},
                {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"},
                {"id": "", "tenantId": null, "displayName": "No id at all"}
            ]})))
        .mount(&fx.graph)
        .await;
    let listing = fx
        .provider(no_enrichment())
        .list_managed_tenants()
        .await
        .unwrap();
    assert!(listing.complete);
    let ids: Vec<&str> = listing
        .tenants
        .iter()
        .map(|t| t.entra_tenant_id.as_str())
        .collect();
    assert_eq!(ids, vec![FABRIKAM, CONTOSO]);
    assert_eq!(listing.tenants[0].display_name, None);
    assert_eq!(
        listing.tenants[1].display_name.as_deref(),
        Some("Contoso Inc")
    );
}

#[tokio::test]
async fn a_lifetime_sent_as_a_string_is_understood() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": "3599", "ext_expires_in": "3599",
            "access_token": "AT-partner-1", "refresh_token": "RT-2"})))
        .expect(1)
        .mount(&fx.login)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(2)
        .mount(&fx.graph)
        .await;
    let provider = fx.provider(no_enrichment());
    provider.list_managed_tenants().await.unwrap();
    provider.list_managed_tenants().await.unwrap();
    let tokens = provider.partner_tokens().await;
    assert!(tokens.expires_at > entra_providers::auth::unix_now() + 3000);
}

#[tokio::test]
async fn a_claims_challenge_on_graph_is_not_retried_with_a_refresh() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("AT-partner-1", None)))
        .expect(1)
        .mount(&fx.login)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header(
                    "WWW-Authenticate",
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"eyJhY2Nlc3NfdG9rZW4iOnt9fQ==\"",
                )
                .set_body_json(graph_error_body(
                    "InvalidAuthenticationToken",
                    "Continuous access evaluation resulted in challenge with result: InteractionRequired",
                )),
        )
        .expect(1)
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider(no_enrichment())
        .list_managed_tenants()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mfa_or_conditional_access");
    assert_eq!(
        err.request_id.as_deref(),
        Some("2bd5b4b8-f877-4bf9-9390-1d9fca785d26")
    );
}

#[tokio::test]
async fn a_claims_challenge_at_the_token_endpoint_is_mfa() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "AADSTS50158: External security challenge not satisfied. User will be redirected to another page or authentication provider to satisfy additional authentication challenges.\r\nTrace ID: t",
            "error_codes": [50158],
            "suberror": "basic_action",
            "claims": "{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"1\"]}}}",
            "trace_id": "t-1"})))
        .mount(&fx.login)
        .await;
    let err = fx
        .provider(no_enrichment())
        .list_users(CONTOSO)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mfa_or_conditional_access");
    assert_eq!(err.upstream_code.as_deref(), Some("AADSTS50158"));
}

#[tokio::test]
async fn the_last_appearance_in_a_delta_round_wins() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    let delta_link = fx.graph_url("v1.0/users/delta?$deltatoken=next");
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "@odata.deltaLink": delta_link,
        "value": [
            // Changed, then removed: removed.
            user_row("changed-then-removed", "a@contoso.com", true),
            {"id": "changed-then-removed", "@removed": {"reason": "changed"}},
            // Removed, then restored: a user again.
            {"id": "restored", "@removed": {"reason": "changed"}},
            user_row("restored", "r@contoso.com", true),
            // Removed twice: reported once.
            {"id": "purged", "@removed": {"reason": "changed"}},
            {"id": "purged", "@removed": {"reason": "deleted"}}
        ]})))
        .mount(&fx.graph)
        .await;
    let link = fx.graph_url("v1.0/users/delta?$deltatoken=old");
    let delta = fx
        .provider(no_enrichment())
        .list_users_delta(CONTOSO, Some(&link))
        .await
        .unwrap();
    assert!(delta.complete);
    let users: Vec<&str> = delta
        .users
        .iter()
        .map(|u| u.entra_object_id.as_str())
        .collect();
    assert_eq!(users, vec!["restored"]);
    let removed: Vec<(&str, RemovalReason)> = delta
        .removed
        .iter()
        .map(|r| (r.entra_object_id.as_str(), r.reason))
        .collect();
    assert_eq!(
        removed,
        vec![
            ("changed-then-removed", RemovalReason::Changed),
            ("purged", RemovalReason::Deleted)
        ]
    );
}

#[tokio::test]
async fn request_id_and_date_come_from_headers_when_the_body_has_none() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("request-id", "5b1c9a3e-0000-4000-8000-000000000001")
                .insert_header("Date", "Sun, 22 Nov 2026 03:00:00 GMT")
                .set_body_string("Service Unavailable"),
        )
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider(no_enrichment())
        .list_managed_tenants()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert_eq!(err.status, Some(503));
    assert_eq!(
        err.request_id.as_deref(),
        Some("5b1c9a3e-0000-4000-8000-000000000001")
    );
    assert_eq!(err.date.as_deref(), Some("Sun, 22 Nov 2026 03:00:00 GMT"));
}

#[tokio::test]
async fn a_429_storm_on_users_is_throttled_with_graphs_code() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .insert_header(
                    "x-ms-throttle-scope",
                    "Tenant_Application/ReadWrite/app/tenant",
                )
                .set_body_json(json!({"error": {"code": "TooManyRequests",
                    "message": "Too many requests from Identifier:d3590ed6 under category:throttle.aad.ags.appId.large. Please try again later.",
                    "innerError": {"date": "2023-10-24T19:57:57"}}})),
        )
        .expect(4)
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider(no_enrichment())
        .list_users(CONTOSO)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "throttled");
    assert_eq!(err.upstream_code.as_deref(), Some("TooManyRequests"));
    assert_eq!(err.date.as_deref(), Some("2023-10-24T19:57:57"));
}

#[tokio::test]
async fn an_upstream_echoing_an_opaque_token_or_secret_never_leaks_it() {
    let fx = Fixture::start().await;
    // The token endpoint echoes everything it was sent.
    Mock::given(method("POST"))
        .and(path(format!("/{FABRIKAM}/oauth2/v2.0/token")))
        .respond_with(|req: &wiremock::Request| {
            // Only the values, so no `refresh_token=` marker gives them away.
            let sent: Vec<String> = url::form_urlencoded::parse(&req.body)
                .map(|(_, v)| v.into_owned())
                .collect();
            let sent = sent.join(" ");
            ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_request",
                "error_description": format!("AADSTS9002313: Invalid request: {sent}"),
                "error_codes": [9002313]}))
        })
        .mount(&fx.login)
        .await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "opaque-contoso-token")
        .await;
    // Graph echoes the bearer token it refused.
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(|req: &wiremock::Request| {
            let auth = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim_start_matches("Bearer ")
                .to_string();
            ResponseTemplate::new(400).set_body_json(graph_error_body(
                "BadRequest",
                &format!("The token {auth} cannot be used here"),
            ))
        })
        .mount(&fx.graph)
        .await;
    let provider = fx.provider(no_enrichment());
    let err = provider.list_users(CONTOSO).await.unwrap_err();
    assert_eq!(err.code(), "bad_request");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("opaque-contoso-token"), "{shown}");
    assert!(shown.contains("cannot be used here"), "{shown}");

    let err = provider.list_users(FABRIKAM).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    for secret in [CLIENT_SECRET, PARTNER_RT] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("Invalid request"), "{shown}");
}

#[tokio::test]
async fn a_delta_link_to_another_host_is_not_handed_out() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.deltaLink": "https://graph.evil.example/v1.0/users/delta?$deltatoken=x",
            "value": [user_row("u1", "a@contoso.com", true)]})))
        .mount(&fx.graph)
        .await;
    let delta = fx
        .provider(no_enrichment())
        .list_users_delta(CONTOSO, None)
        .await
        .unwrap();
    assert!(!delta.complete);
    assert_eq!(delta.delta_link, None);
    assert!(!delta.resync_required);
    assert_eq!(delta.users.len(), 1);
}

#[tokio::test]
async fn a_multi_tenant_authority_is_not_a_customer_tenant() {
    let fx = Fixture::start().await;
    let provider = fx.provider(no_enrichment());
    for authority in ["common", "organizations", "Consumers"] {
        let err = provider.list_users(authority).await.unwrap_err();
        assert_eq!(err.code(), "configuration", "{authority}");
        let err = provider
            .list_users_delta(authority, None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "configuration", "{authority}");
    }
    assert!(fx.login.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_user_repeated_across_pages_keeps_its_last_copy() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    let page2 = fx.graph_url("v1.0/users?$top=999&$skiptoken=p2");
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [user_row("u1", "new@contoso.com", false)]})))
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": page2,
            "value": [user_row("u1", "old@contoso.com", true), user_row("u2", "b@contoso.com", true)]})))
        .mount(&fx.graph)
        .await;
    let listing = fx
        .provider(no_enrichment())
        .list_users(CONTOSO)
        .await
        .unwrap();
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 2);
    let u1 = listing
        .users
        .iter()
        .find(|u| u.entra_object_id == "u1")
        .unwrap();
    assert_eq!(u1.user_principal_name.as_deref(), Some("new@contoso.com"));
    assert!(!u1.account_enabled);
    assert_eq!(listing.warnings.len(), 1);
    assert_eq!(listing.warnings[0].code, "user_listed_twice");
}

#[tokio::test]
async fn an_unreadable_delta_row_is_left_out_and_the_round_is_incomplete() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    let delta_link = fx.graph_url("v1.0/users/delta?$deltatoken=next");
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "@odata.deltaLink": delta_link,
        "value": [
            user_row("good", "g@contoso.com", true),
            {"id": "no-state", "displayName": "No accountEnabled"},
            {"@removed": {"reason": "deleted"}},
            {"id": "gone", "@removed": {"reason": "deleted"}}
        ]})))
        .mount(&fx.graph)
        .await;
    // A full enumeration: the left-out user must not count as absent.
    let delta = fx
        .provider(no_enrichment())
        .list_users_delta(CONTOSO, None)
        .await
        .unwrap();
    assert!(!delta.complete);
    assert!(!delta.resync_required);
    assert_eq!(
        delta.delta_link, None,
        "an incomplete round hands on no link"
    );
    let users: Vec<&str> = delta
        .users
        .iter()
        .map(|u| u.entra_object_id.as_str())
        .collect();
    assert_eq!(users, ["good"]);
    assert_eq!(delta.removed_object_ids(), ["gone"]);
    let codes: Vec<&str> = delta.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["user_row_skipped", "user_row_skipped"]);
    assert!(delta.warnings[0].message.contains("user no-state"));
    assert!(delta.warnings[1].message.contains("without an id"));
}

#[tokio::test]
async fn a_lighthouse_tenant_named_only_on_its_contract_gets_that_name() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/tenantRelationships/managedTenants/tenants"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": "34298981-4fc8-4974-9486-c8909ed1521b", "tenantId": "34298981-4fc8-4974-9486-c8909ed1521b",
            "contract": {"displayName": "Fourth Coffee", "defaultDomainName": "fourthcoffee.com", "contractType": 2},
            "tenantStatusInformation": {"onboardingStatus": "active"}}]})))
        .mount(&fx.graph)
        .await;
    let listing = fx
        .provider(GraphOptions {
            enrich_from_relationships: false,
            include_lighthouse: true,
            include_domains: false,
            ..GraphOptions::default()
        })
        .list_managed_tenants()
        .await
        .unwrap();
    assert_eq!(listing.tenants.len(), 1);
    assert_eq!(
        listing.tenants[0].display_name.as_deref(),
        Some("Fourth Coffee")
    );
}

#[tokio::test]
async fn domains_without_is_verified_are_refused_with_a_warning() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})))
        .mount(&fx.graph)
        .await;
    // As in the `list domains` documentation example with a reduced property set.
    Mock::given(method("GET"))
        .and(path("/v1.0/domains"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "contoso.com", "isDefault": true, "isInitial": false},
            {"id": "verified.contoso.com", "isDefault": false, "isVerified": true},
            {"id": "pending.contoso.com", "isDefault": false, "isVerified": false}]})))
        .mount(&fx.graph)
        .await;
    let listing = fx
        .provider(no_enrichment())
        .list_managed_tenants()
        .await
        .unwrap();
    let contoso = &listing.tenants[0];
    assert_eq!(contoso.domains, ["verified.contoso.com"]);
    assert_eq!(contoso.primary_domain, None);
    let warning = listing
        .warnings
        .iter()
        .find(|w| w.code == "domains_unverified")
        .expect("a domains_unverified warning");
    assert!(warning.message.contains(CONTOSO), "{}", warning.message);
    assert!(
        warning.message.contains("contoso.com"),
        "{}",
        warning.message
    );
    assert!(!warning.message.contains("pending"), "{}", warning.message);
}
