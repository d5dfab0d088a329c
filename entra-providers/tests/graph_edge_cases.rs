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

/// Error answers of Graph (a missing GDAP role, malformed JSON, a claims challenge, ids only in
/// headers, a 429 storm), and the code, status, request id, date and upstream code the provider
/// keeps from each. Every row mints exactly one token: none is retried with a refresh.
#[tokio::test]
async fn graph_error_answers_keep_their_code_status_and_request_id() {
    let denied = graph_error_body(
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    );
    let challenged = graph_error_body(
        "InvalidAuthenticationToken",
        "Continuous access evaluation resulted in challenge with result: InteractionRequired",
    );
    let storm = json!({"error": {"code": "TooManyRequests",
        "message": "Too many requests from Identifier:d3590ed6 under category:throttle.aad.ags.appId.large. Please try again later.",
        "innerError": {"date": "2023-10-24T19:57:57"}}});
    let rows = [
        (
            Call::Tenants,
            ErrorCase::json("no GDAP role", 403, denied, "gdap_role_missing")
                .keeps_status()
                .request_id(BODY_REQUEST_ID)
                .dated("2024-09-24T13:40:08"),
        ),
        (
            Call::Users,
            ErrorCase::plain("malformed JSON", 200, "{\"value\": [ {\"id\": ", "unexpected_response"),
        ),
        (
            Call::Tenants,
            ErrorCase::json("claims challenge on Graph", 401, challenged, "mfa_or_conditional_access")
                .header("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"eyJhY2Nlc3NfdG9rZW4iOnt9fQ==\"")
                .requested(1)
                .request_id(BODY_REQUEST_ID),
        ),
        (
            Call::Tenants,
            ErrorCase::plain(
                "request id and date only in headers",
                503,
                "Service Unavailable",
                "upstream_unavailable",
            )
            .keeps_status()
            .header("request-id", "5b1c9a3e-0000-4000-8000-000000000001")
            .header("Date", "Sun, 22 Nov 2026 03:00:00 GMT")
            .request_id("5b1c9a3e-0000-4000-8000-000000000001")
            .dated("Sun, 22 Nov 2026 03:00:00 GMT"),
        ),
        (
            Call::Users,
            ErrorCase::json("429 storm", 429, storm, "throttled")
                .header("Retry-After", "0")
                .header("x-ms-throttle-scope", "Tenant_Application/ReadWrite/app/tenant")
                .requested(4)
                .upstream("TooManyRequests")
                .dated("2023-10-24T19:57:57"),
        ),
    ];
    for (call, case) in &rows {
        let fx = Fixture::run_error_case(*call, case).await;
        let mints = requests_to(&fx.login, None).await;
        assert_eq!(mints, 1, "{}: one token, never refreshed", case.name);
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_with_the_bearer_token() {
    let fx = Fixture::signed_in().await;
    let elsewhere = fx.redirect_elsewhere(USERS, 302, "/v1.0/users").await;
    let err = fx.call(Call::Users).await.unwrap_err();
    assert_eq!(err.status, Some(302));
    assert_eq!(err.code(), "unexpected_response");
    assert_eq!(requests_to(&elsewhere, None).await, 0);
}

#[tokio::test]
async fn a_gone_delta_token_is_a_resync_and_its_location_is_not_followed() {
    let fx = Fixture::signed_in().await;
    let elsewhere = fx
        .redirect_elsewhere(DELTA, 410, "/v1.0/users/delta?$deltatoken=")
        .await;
    let delta = fx.delta_from_old_link().await;
    assert!(delta.resync_required);
    assert!(!delta.complete);
    assert!(delta.users.is_empty() && delta.removed.is_empty());
    assert_eq!(requests_to(&elsewhere, None).await, 0);
}

#[tokio::test]
async fn a_resync_required_code_is_a_resync_too() {
    let fx = Fixture::signed_in().await;
    fx.answer(
        DELTA,
        graph_error(
            400,
            "resyncRequired",
            "Resync required. Replace any local cached data with a new full synchronization.",
        ),
    )
    .await;
    let delta = fx.delta_from_old_link().await;
    assert!(delta.resync_required);
    assert_eq!(delta.delta_link, None);
}

#[tokio::test]
async fn sparse_user_rows_with_nulls_are_read() {
    let fx = Fixture::signed_in().await;
    fx.answer(USERS, ok(json!({
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
            ]}))).await;
    let listing = fx.users().await;
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
    let fx = Fixture::signed_in().await;
    fx.answer(
        USERS,
        ok(json!({
            "value": [{"id": "u1", "accountEnabled": null}]})),
    )
    .await;
    let listing = fx.users().await;
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
    get(DISCOVERY)
        .and(query_param("$top", "300"))
        .respond_with(ok(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminCustomers",
            "value": [
                {"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "id": FABRIKAM.to_uppercase(), "displayName": null},
                {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"},
                {"id": "", "tenantId": null, "displayName": "No id at all"}
            ]})))
        .mount(&fx.graph)
        .await;
    let listing = fx.tenants().await;
    assert!(listing.complete);
    let ids = tenant_ids(&listing.tenants);
    assert_eq!(ids, vec![FABRIKAM, CONTOSO]);
    assert_eq!(tenant_names(&listing.tenants), [None, Some("Contoso Inc")]);
}

#[tokio::test]
async fn a_lifetime_sent_as_a_string_is_understood() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ok(json!({
            "token_type": "Bearer", "expires_in": "3599", "ext_expires_in": "3599",
            "access_token": "AT-partner-1", "refresh_token": "RT-2"})))
        .expect(1)
        .mount(&fx.login)
        .await;
    get(DISCOVERY)
        .respond_with(ok(json!({"value": []})))
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
    let err = fx.call(Call::Users).await.unwrap_err();
    assert_eq!(err.code(), "mfa_or_conditional_access");
    assert_eq!(err.upstream_code.as_deref(), Some("AADSTS50158"));
}

#[tokio::test]
async fn the_last_appearance_in_a_delta_round_wins() {
    let fx = Fixture::signed_in().await;
    fx.answer_delta_round(json!([
        // Changed, then removed: removed.
        user_row("changed-then-removed", "a@contoso.com", true),
        {"id": "changed-then-removed", "@removed": {"reason": "changed"}},
        // Removed, then restored: a user again.
        {"id": "restored", "@removed": {"reason": "changed"}},
        user_row("restored", "r@contoso.com", true),
        // Removed twice: reported once.
        {"id": "purged", "@removed": {"reason": "changed"}},
        {"id": "purged", "@removed": {"reason": "deleted"}}
    ]))
    .await;
    let delta = fx.delta_from_old_link().await;
    assert!(delta.complete);
    let users = user_ids(&delta.users);
    assert_eq!(users, vec!["restored"]);
    assert_eq!(
        removals(&delta.removed),
        [
            ("changed-then-removed", RemovalReason::Changed),
            ("purged", RemovalReason::Deleted)
        ]
    );
}

#[tokio::test]
async fn an_upstream_echoing_an_opaque_token_or_secret_never_leaks_it() {
    let fx = Fixture::start().await;
    // The token endpoint echoes everything it was sent.
    Mock::given(method("POST"))
        .and(path(format!("/{FABRIKAM}/oauth2/v2.0/token")))
        .respond_with(|req: &wiremock::Request| {
            let sent = form_values(req);
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
    fx.answer(USERS, |req: &wiremock::Request| {
        let auth = bearer_of(req);
        ResponseTemplate::new(400).set_body_json(graph_error_body(
            "BadRequest",
            &format!("The token {auth} cannot be used here"),
        ))
    })
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
    let fx = Fixture::signed_in().await;
    fx.answer(
        DELTA,
        ok(json!({
            "@odata.deltaLink": "https://graph.evil.example/v1.0/users/delta?$deltatoken=x",
            "value": [user_row("u1", "a@contoso.com", true)]})),
    )
    .await;
    let delta = fx.delta(None).await;
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
    assert_eq!(requests_to(&fx.login, None).await, 0);
}

#[tokio::test]
async fn a_user_repeated_across_pages_keeps_its_last_copy() {
    let fx = Fixture::signed_in().await;
    let [first, second]: [Vec<serde_json::Value>; 2] =
        last_copy_pages(user_row).try_into().expect("two pages");
    let page2 = fx.graph_url("v1.0/users?$top=999&$skiptoken=p2");
    get(USERS)
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ok(json!({"value": second})))
        .mount(&fx.graph)
        .await;
    get(USERS)
        .and(query_param("$top", "999"))
        .respond_with(ok(json!({"@odata.nextLink": page2, "value": first})))
        .mount(&fx.graph)
        .await;
    let listing = fx.users().await;
    assert_last_copy_kept(&listing);
}

#[tokio::test]
async fn an_unreadable_delta_row_is_left_out_and_the_round_is_incomplete() {
    let fx = Fixture::signed_in().await;
    fx.answer_delta_round(json!([
        user_row("good", "g@contoso.com", true),
        {"id": "no-state", "displayName": "No accountEnabled"},
        {"@removed": {"reason": "deleted"}},
        {"id": "gone", "@removed": {"reason": "deleted"}}
    ]))
    .await;
    // A full enumeration: the left-out user must not count as absent.
    let delta = fx.delta(None).await;
    assert!(!delta.complete);
    assert!(!delta.resync_required);
    assert_eq!(
        delta.delta_link, None,
        "an incomplete round hands on no link"
    );
    let users = user_ids(&delta.users);
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
    fx.answer(DISCOVERY, ok(json!({"value": []}))).await;
    fx.answer(LIGHTHOUSE, ok(json!({"value": [{
            "id": "34298981-4fc8-4974-9486-c8909ed1521b", "tenantId": "34298981-4fc8-4974-9486-c8909ed1521b",
            "contract": {"displayName": "Fourth Coffee", "defaultDomainName": "fourthcoffee.com", "contractType": 2},
            "tenantStatusInformation": {"onboardingStatus": "active"}}]}))).await;
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
    assert_eq!(tenant_names(&listing.tenants), [Some("Fourth Coffee")]);
}

#[tokio::test]
async fn domains_without_is_verified_are_refused_with_a_warning() {
    let fx = Fixture::signed_in().await;
    fx.answer(
        DISCOVERY,
        ok(json!({"value": [
            {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})),
    )
    .await;
    // As in the `list domains` documentation example with a reduced property set.
    fx.answer(
        DOMAINS,
        ok(json!({"value": [
            {"id": "contoso.com", "isDefault": true, "isInitial": false},
            {"id": "verified.contoso.com", "isDefault": false, "isVerified": true},
            {"id": "pending.contoso.com", "isDefault": false, "isVerified": false}]})),
    )
    .await;
    let listing = fx.tenants().await;
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
