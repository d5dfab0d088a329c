//! The CIPP provider on the less common answers a real instance gives: null rows among users,
//! a caller-supplied paging link to another host, redirects from App Service authentication,
//! upstream token failures CIPP relays as text, and a 401 answered by one fresh token.

mod cipp_support;

use cipp_support::*;
use entra_core::provider::EntraProvider;
use entra_providers::cipp::{CippConfig, CippProvider};
use entra_providers::http::HttpPolicy;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn null_user_rows_are_skipped_and_the_listing_stays_complete() -> TestResult {
    let server = server().await?;
    mount_token_any(&server, TOKEN_1).await;
    Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(query_param("tenantFilter", CONTOSO))
        .respond_with(users_page(
            vec![
                Value::Null,
                json!({"id": "u1", "userPrincipalName": "adele@contoso.com", "mail": null,
                       "otherMails": null, "proxyAddresses": null, "businessPhones": null,
                       "assignedLicenses": null, "accountEnabled": true,
                       "Tenant": CONTOSO, "CippStatus": "Good"}),
            ],
            None,
        ))
        .mount(&server)
        .await;
    let listing = list_contoso(&server).await?;
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 1);
    assert_eq!(listing.users[0].entra_object_id, "u1");
    assert_eq!(listing.users[0].email, None);
    Ok(())
}

#[tokio::test]
async fn a_caller_supplied_next_link_to_another_host_is_never_sent() -> TestResult {
    let server = users_never_requested().await?;
    let cipp = provider(&server);
    for link in [
        "https://graph.evil.example/v1.0/users?$skiptoken=x",
        "http://graph.microsoft.com/v1.0/users?$skiptoken=x",
        "not a link",
    ] {
        let err = cipp.list_users_page(CONTOSO, Some(link)).await.unwrap_err();
        assert_eq!(err.code(), "paging_guard", "{link}");
    }
    Ok(())
}

#[tokio::test]
async fn a_redirect_to_a_sign_in_page_is_not_followed() -> TestResult {
    let elsewhere = server().await?;
    let server = server().await?;
    mount_token_any(&server, TOKEN_1).await;
    tenants_mock()
        .respond_with(
            ResponseTemplate::new(302).insert_header(
                "Location",
                format!(
                    "{}/.auth/login/aad?post_login_redirect_uri=/api/ListTenants",
                    elsewhere.uri()
                )
                .as_str(),
            ),
        )
        .mount(&server)
        .await;
    let err = list_tenants(&server).await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(err.status, Some(302));
    assert_eq!(requests_to(&elsewhere, None).await, 0);
    Ok(())
}

#[tokio::test]
async fn upstream_token_failures_relayed_as_text_keep_their_meaning() -> TestResult {
    let rows = [
        ErrorCase::text(
            "relayed token failure",
            400,
            "Graph Error: Could not get token: invalid_grant:AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication. - Endpoint: users",
            "mfa_or_conditional_access",
        ),
        ErrorCase::text(
            "relayed token failure",
            400,
            "Graph Error: invalid_client:AADSTS7000215: Invalid client secret provided. - Endpoint: users",
            "invalid_client",
        ),
        ErrorCase::text(
            "relayed token failure",
            400,
            "Graph Error: AADSTS90095: Admin consent is required for the permissions requested. - Endpoint: users",
            "admin_consent_required",
        ),
        ErrorCase::text(
            "relayed token failure",
            400,
            "\"Graph Error: We cannot access this tenant as consent has not been given, please try refreshing the CPV permissions in the application settings menu. - Endpoint: users\"",
            "consent_required",
        ),
        ErrorCase::text(
            "relayed token failure",
            503,
            "This feature has been disabled: ListGraphRequest",
            "upstream_unavailable",
        ),
    ];
    for case in &rows {
        run_error_case(Call::Users, case).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_rejected_token_is_replaced_by_a_fresh_one_mid_listing() -> TestResult {
    let server = server().await?;
    // First mint answers TOKEN_1, the re-mint TOKEN_2.
    mount_remint(&server).await;
    let link = "https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=p2";
    Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(bearer_is(TOKEN_1))
        .and(query_param("nextLink", link))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(bearer_is(TOKEN_2))
        .and(query_param("nextLink", link))
        .respond_with(users_page(
            vec![json!({"id": "u2", "accountEnabled": false})],
            None,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/ListGraphRequest"))
        .and(bearer_is(TOKEN_1))
        .respond_with(users_page(
            vec![json!({"id": "u1", "accountEnabled": true})],
            Some(link),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let listing = list_contoso(&server).await?;
    assert!(listing.complete);
    let ids = user_ids(&listing.users);
    assert_eq!(ids, vec!["u1", "u2"]);
    Ok(())
}

#[tokio::test]
async fn an_api_key_header_is_never_sent() -> TestResult {
    let server = server().await?;
    mount_token_any(&server, TOKEN_1).await;
    tenants_mock()
        .respond_with(ok(json!([])))
        .mount(&server)
        .await;
    let listing = list_tenants(&server).await?;
    assert!(listing.complete && listing.tenants.is_empty());
    let requests = server.received_requests().await.unwrap_or_default();
    let call = requests
        .iter()
        .find(|r| r.url.path() == "/api/ListTenants")
        .expect("ListTenants was called");
    assert!(!call.headers.contains_key("x-api-key"));
    assert!(!call.headers.contains_key("x-functions-key"));
    assert!(call.url.query_pairs().all(|(k, _)| k != "code"));
    assert_eq!(
        call.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {TOKEN_1}").as_str())
    );
    Ok(())
}

#[tokio::test]
async fn cipp_echoing_a_pasted_token_never_leaks_it() -> TestResult {
    let server = server().await?;
    let pasted = "pasted-opaque-cipp-token";
    tenants_mock()
        .respond_with(|req: &wiremock::Request| {
            let auth = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim_start_matches("Bearer ")
                .to_string();
            ResponseTemplate::new(500).set_body_string(format!("Unhandled: header was {auth}"))
        })
        .mount(&server)
        .await;
    let mut config = CippConfig::with_legacy_token(server.uri(), pasted);
    config.policy = HttpPolicy::fast_for_tests();
    let err = CippProvider::new(config)?
        .list_managed_tenants()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(pasted), "{shown}");
    assert!(shown.contains("Unhandled: header was"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn a_token_endpoint_echoing_the_client_secret_never_leaks_it() -> TestResult {
    let server = server().await?;
    token_mock()
        .respond_with(|req: &wiremock::Request| {
            // Only the values, so no `client_secret=` marker gives the secret away.
            let sent: Vec<String> = url::form_urlencoded::parse(&req.body)
                .map(|(_, v)| v.into_owned())
                .collect();
            let sent = sent.join(" ");
            ResponseTemplate::new(401).set_body_json(json!({
                "error": "invalid_client",
                "error_description": format!("AADSTS7000215: Invalid client secret provided: {sent}"),
                "error_codes": [7000215]}))
        })
        .mount(&server)
        .await;
    let err = list_tenants(&server).await.unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    Ok(())
}

#[tokio::test]
async fn the_shared_report_type_serves_both_providers() -> TestResult {
    use entra_providers::validation::{CheckStatus, ValidationReport};
    let server = server().await?;
    token_mock()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "unauthorized_client",
            "error_description": "AADSTS700016: Application with identifier 'x' was not found in the directory.",
            "error_codes": [700016]})))
        .mount(&server)
        .await;
    let mut config = CippConfig::new(server.uri(), CIPP_TENANT, CLIENT_ID, CLIENT_SECRET);
    config.login_base = server.uri();
    config.policy = HttpPolicy::fast_for_tests();
    let report: ValidationReport = entra_providers::cipp::validate_cipp_connection(config).await;
    // The Graph module's names are the same types.
    let same: &entra_providers::graph::ValidationReport = &report;
    assert!(!same.ok);
    let token = report.check("token_minted").expect("token check");
    assert_eq!(token.status, CheckStatus::Failed);
    assert_eq!(token.error_code.as_deref(), Some("consent_required"));
    let later = report.check("users_readable").expect("users check");
    assert_eq!(later.status, CheckStatus::Skipped);
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["checks"][1]["errorCode"], "consent_required");
    Ok(())
}

#[tokio::test]
async fn the_all_tenants_selector_is_never_sent_as_a_tenant() -> TestResult {
    let server = users_never_requested().await?;
    let err = provider(&server)
        .list_users("AllTenants")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "bad_request");
    Ok(())
}

/// An answer cut short (a 200 whose body is not JSON at all) is asked for once more, and the
/// listing completes; a second cut answer fails the listing, and JSON of the wrong shape is
/// never asked for again (the same answer would come back).
#[tokio::test]
async fn a_cut_short_answer_is_asked_for_once_more() -> TestResult {
    let cut =
        || ResponseTemplate::new(200).set_body_raw(r#"[{"id": "u1", "userPr"#, "application/json");
    let good = users_page(
        vec![
            json!({"id": "u1", "userPrincipalName": "adele@contoso.com", "accountEnabled": true,
                    "Tenant": CONTOSO, "CippStatus": "Good"}),
        ],
        None,
    );
    let users = || {
        Mock::given(method("GET"))
            .and(path("/api/ListGraphRequest"))
            .and(query_param("tenantFilter", CONTOSO))
    };
    // (answers before the good one, requests expected, listing read)
    let cases: [(Vec<ResponseTemplate>, u64, bool); 3] = [
        (vec![cut()], 2, true),
        (vec![cut(), cut()], 2, false),
        (
            vec![
                ResponseTemplate::new(200)
                    .set_body_raw(r#"{"unexpected": true}"#, "application/json"),
            ],
            1,
            false,
        ),
    ];
    for (bad, requests, read) in cases {
        let server = server().await?;
        mount_token_any(&server, TOKEN_1).await;
        let count = bad.len() as u64;
        for answer in bad {
            users()
                .respond_with(answer)
                .up_to_n_times(1)
                .mount(&server)
                .await;
        }
        users().respond_with(good.clone()).mount(&server).await;
        let listing = list_contoso(&server).await;
        assert_eq!(listing.is_ok(), read, "{count} bad answers: {listing:?}");
        if let Ok(listing) = listing {
            assert!(listing.complete);
            assert_eq!(listing.users.len(), 1);
        }
        let asked = requests_to(&server, Some("/api/ListGraphRequest")).await;
        assert_eq!(asked as u64, requests, "{count} bad answers");
    }
    Ok(())
}
