//! The direct connection's validation report.

mod graph_support;

use std::sync::Arc;

use entra_providers::graph::{CheckStatus, GraphOptions, GraphProvider};
use entra_providers::secrets::{CredentialChain, MemorySecrets};
use graph_support::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

async fn mount_customers(fx: &Fixture) {
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})))
        .mount(&fx.graph)
        .await;
}

#[tokio::test]
async fn a_healthy_connection_passes_every_check() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", Some("RT-2")).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    mount_customers(&fx).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "u1", "accountEnabled": true}]})))
        .expect(1)
        .mount(&fx.graph)
        .await;
    let report = fx
        .provider(GraphOptions::default())
        .validate_direct_connection()
        .await;
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "credentials_resolvable",
            "token_refreshable",
            "discovery_readable",
            "customer_users_readable"
        ]
    );
    assert!(report.ok, "{report:?}");
}

#[tokio::test]
async fn a_customer_without_consent_fails_only_the_users_check() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    mount_customers(&fx).await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(aad_error(
            "invalid_grant",
            65001,
            "The user or administrator has not consented to use the application.",
        )))
        .mount(&fx.login)
        .await;
    let report = fx
        .provider(GraphOptions::default())
        .validate_direct_connection()
        .await;
    assert!(!report.ok);
    assert_eq!(
        report.check("discovery_readable").unwrap().status,
        CheckStatus::Passed
    );
    let users = report.check("customer_users_readable").unwrap();
    assert_eq!(users.status, CheckStatus::Failed);
    assert_eq!(users.error_code.as_deref(), Some("consent_required"));
}

#[tokio::test]
async fn an_expired_refresh_token_fails_the_token_check_and_skips_the_rest() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(aad_error(
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity.",
        )))
        .mount(&fx.login)
        .await;
    let report = fx
        .provider(GraphOptions::default())
        .validate_direct_connection()
        .await;
    let token = report.check("token_refreshable").unwrap();
    assert_eq!(token.status, CheckStatus::Failed);
    assert_eq!(token.error_code.as_deref(), Some("refresh_token_expired"));
    assert_eq!(
        report.check("discovery_readable").unwrap().status,
        CheckStatus::Skipped
    );
    assert_eq!(
        report.check("customer_users_readable").unwrap().status,
        CheckStatus::Skipped
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["checks"][1]["errorCode"], "refresh_token_expired");
}

#[tokio::test]
async fn missing_credentials_fail_the_first_check() {
    let fx = Fixture::start().await;
    let store = Arc::new(MemorySecrets::new());
    let chain = CredentialChain::new(store.clone());
    let report = GraphProvider::validate_from_secrets(
        store,
        &chain,
        "msp-1",
        fx.config(GraphOptions::default()),
    )
    .await;
    assert!(!report.ok);
    let creds = report.check("credentials_resolvable").unwrap();
    assert_eq!(creds.status, CheckStatus::Failed);
    assert_eq!(creds.error_code.as_deref(), Some("configuration"));
    assert_eq!(report.checks.len(), 4);
}
