//! Partner OAuth: authorize URL, signed state, code exchange, refresh rotation and the token
//! endpoint's error codes.

mod graph_support;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entra_core::provider::EntraProvider;
use entra_core::store::{MemoryStore, NonceStore, StoreError};
use entra_providers::auth::{
    CloudEndpoints, NationalCloud, Pkce, SignInConfig, StateExpectation, StateSigner, TokenClient,
    begin_authorization, unix_now,
};
use entra_providers::graph::GraphOptions;
use entra_providers::http::{HttpClient, HttpPolicy};
use entra_providers::secrets::Secret;
use graph_support::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, ResponseTemplate};

const KEY: &str = "0123456789abcdef0123456789abcdef-state-key";
const REDIRECT: &str = "https://psa.example/api/auth/microsoft/entra/callback";

fn signer() -> StateSigner {
    StateSigner::new(Secret::new(KEY)).unwrap()
}

fn expectation() -> StateExpectation {
    StateExpectation {
        tenant: "msp-1".into(),
        user: "user-7".into(),
        redirect_uri: REDIRECT.into(),
    }
}

fn sign_in() -> SignInConfig {
    SignInConfig {
        client_id: CLIENT_ID.into(),
        authority: "organizations".into(),
        redirect_uri: REDIRECT.into(),
        scopes: None,
        prompt: None,
    }
}

#[test]
fn the_authorize_url_carries_pkce_s256_scopes_and_a_verifiable_state() {
    let endpoints = CloudEndpoints::default();
    let start = begin_authorization(&endpoints, &signer(), &sign_in(), "msp-1", "user-7").unwrap();
    assert!(
        start
            .url
            .as_str()
            .starts_with("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?")
    );
    let query: HashMap<String, String> = start.url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["redirect_uri"], REDIRECT);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(
        query["code_challenge"],
        Pkce::challenge_for(start.code_verifier.expose())
    );
    assert_eq!(
        query["scope"],
        "openid offline_access https://graph.microsoft.com/DelegatedAdminRelationship.Read.All"
    );
    assert!(!query.contains_key("prompt"));
    assert_eq!(query["state"], start.state);
    let claims = signer().verify(&query["state"], &expectation()).unwrap();
    assert_eq!(claims.tenant, "msp-1");
    assert_eq!(claims.user, "user-7");
    // The verifier never appears in the URL.
    assert!(!start.url.as_str().contains(start.code_verifier.expose()));
}

#[test]
fn the_authority_and_scopes_are_configurable() {
    let endpoints = CloudEndpoints::for_cloud(NationalCloud::UsGovHigh);
    let config = SignInConfig {
        authority: "partner-tenant".into(),
        scopes: Some(vec![
            "openid".into(),
            "offline_access".into(),
            "https://graph.microsoft.us/User.Read".into(),
        ]),
        prompt: Some("select_account".into()),
        ..sign_in()
    };
    let start = begin_authorization(&endpoints, &signer(), &config, "msp-1", "user-7").unwrap();
    assert!(
        start
            .url
            .as_str()
            .starts_with("https://login.microsoftonline.us/partner-tenant/oauth2/v2.0/authorize?")
    );
    let query: HashMap<String, String> = start.url.query_pairs().into_owned().collect();
    assert_eq!(
        query["scope"],
        "openid offline_access https://graph.microsoft.us/User.Read"
    );
    assert_eq!(query["prompt"], "select_account");
}

#[test]
fn verify_state_rejects_each_failure_with_its_own_code() {
    let s = signer();
    let now = unix_now();
    let claims = entra_providers::auth::StateClaims {
        tenant: "msp-1".into(),
        user: "user-7".into(),
        nonce: "n-1".into(),
        issued_at: now,
        redirect_uri: REDIRECT.into(),
    };
    let state = s.sign(&claims);
    assert!(s.verify_at(&state, &expectation(), now).is_ok());

    // A tampered payload or signature.
    let (payload, sig) = state.split_once('.').unwrap();
    let mut forged = claims.clone();
    forged.tenant = "msp-2".into();
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
    let code =
        |st: &str, exp: &StateExpectation, at: u64| s.verify_at(st, exp, at).unwrap_err().code();
    assert_eq!(
        code(&format!("{forged_payload}.{sig}"), &expectation(), now),
        "state_bad_signature"
    );
    let other_key = StateSigner::new(Secret::new("another-key-that-is-long-enough-0000")).unwrap();
    assert_eq!(
        code(&other_key.sign(&claims), &expectation(), now),
        "state_bad_signature"
    );
    // Expired after the default 10 minutes, fine just before.
    assert!(s.verify_at(&state, &expectation(), now + 599).is_ok());
    assert_eq!(code(&state, &expectation(), now + 601), "state_expired");
    // Another tenant, user or redirect.
    let mut other = expectation();
    other.tenant = "msp-2".into();
    assert_eq!(code(&state, &other, now), "state_tenant_mismatch");
    let mut other = expectation();
    other.user = "user-8".into();
    assert_eq!(code(&state, &other, now), "state_user_mismatch");
    let mut other = expectation();
    other.redirect_uri = "https://evil.example/cb".into();
    assert_eq!(code(&state, &other, now), "state_redirect_mismatch");
    // Garbage.
    assert_eq!(code("no-dot-here", &expectation(), now), "state_malformed");
    assert_eq!(
        code(&format!("{payload}.!!!"), &expectation(), now),
        "state_malformed"
    );
    // A shorter lifetime is honoured.
    let short = signer().with_ttl(Duration::from_secs(60));
    assert_eq!(
        short
            .verify_at(&state, &expectation(), now + 61)
            .unwrap_err()
            .code(),
        "state_expired"
    );
    // Weak keys are refused.
    assert_eq!(
        StateSigner::new(Secret::new("short")).unwrap_err().code(),
        "state_weak_key"
    );
}

/// A nonce store that is down.
struct NonceStoreDown;

#[async_trait::async_trait]
impl NonceStore for NonceStoreDown {
    async fn consume_nonce(&self, _nonce: &str, _expires_at_ms: u64) -> Result<bool, StoreError> {
        Err(StoreError::Backend {
            message: "database is locked".into(),
        })
    }
}

#[tokio::test]
async fn a_replayed_state_is_refused_with_state_replayed() {
    let s = signer();
    let store = MemoryStore::new();
    let state = s.sign(&StateSigner::claims("msp-1", "user-7", REDIRECT));
    let claims = s.verify_once(&state, &expectation(), &store).await.unwrap();
    assert_eq!(claims.user, "user-7");
    let replay = s
        .verify_once(&state, &expectation(), &store)
        .await
        .unwrap_err();
    assert_eq!(replay.code(), "state_replayed");
    assert!(!replay.to_string().contains(&claims.nonce));

    // A state refused for another reason consumes nothing: the right callback still works.
    let fresh = s.sign(&StateSigner::claims("msp-1", "user-7", REDIRECT));
    let mut other = expectation();
    other.user = "user-8".into();
    assert_eq!(
        s.verify_once(&fresh, &other, &store)
            .await
            .unwrap_err()
            .code(),
        "state_user_mismatch"
    );
    assert!(s.verify_once(&fresh, &expectation(), &store).await.is_ok());

    // An expired state is refused as expired, before any nonce is consumed.
    let now = unix_now();
    let old = s.sign(&StateSigner::claims("msp-1", "user-7", REDIRECT));
    assert_eq!(
        s.verify_once_at(&old, &expectation(), now + 601, &store)
            .await
            .unwrap_err()
            .code(),
        "state_expired"
    );
    // A store that cannot say whether the state was used refuses it.
    let down = s
        .verify_once(&old, &expectation(), &NonceStoreDown)
        .await
        .unwrap_err();
    assert_eq!(down.code(), "state_nonce_unavailable");
    assert!(s.verify_once(&old, &expectation(), &store).await.is_ok());
    // Each consumed state is remembered until it expires.
    assert_eq!(store.remembered_nonces(), 3);
}

fn token_client(fx: &Fixture) -> TokenClient {
    TokenClient::new(
        HttpClient::new(HttpPolicy::fast_for_tests()).unwrap(),
        fx.endpoints(),
        CLIENT_ID,
        Secret::new(CLIENT_SECRET),
    )
}

#[tokio::test]
async fn the_code_exchange_sends_the_verifier_and_returns_the_token_set() {
    let fx = Fixture::start().await;
    let pkce = Pkce::generate();
    Mock::given(method("POST"))
        .and(path("/organizations/oauth2/v2.0/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=auth-code-1"))
        .and(body_string_contains(format!(
            "code_verifier={}",
            pkce.verifier.expose()
        )))
        .and(body_string_contains(
            "redirect_uri=https%3A%2F%2Fpsa.example%2Fapi%2Fauth%2Fmicrosoft%2Fentra%2Fcallback",
        ))
        .and(body_string_contains(format!(
            "client_secret={CLIENT_SECRET}"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "AT-1", "token_type": "Bearer", "expires_in": 3599,
            "scope": "https://graph.microsoft.com/DelegatedAdminRelationship.Read.All",
            "refresh_token": "RT-1", "id_token": "eyJ0eXAi.e30.sig"})))
        .expect(1)
        .mount(&fx.login)
        .await;
    let endpoints = fx.endpoints();
    let tokens = token_client(&fx)
        .exchange_code(
            "organizations",
            &Secret::new("auth-code-1"),
            REDIRECT,
            &pkce.verifier,
            &endpoints.partner_scopes(),
        )
        .await
        .unwrap();
    assert_eq!(tokens.access_token, Secret::new("AT-1"));
    assert_eq!(tokens.refresh_token, Some(Secret::new("RT-1")));
    assert!(tokens.expires_at >= unix_now() + 3500);
}

#[tokio::test]
async fn refresh_returns_the_rotated_token_or_keeps_the_old_one() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .and(body_string_contains("refresh_token=RT-a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("AT-b", Some("RT-b"))))
        .mount(&fx.login)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .and(body_string_contains("refresh_token=RT-b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("AT-c", None)))
        .mount(&fx.login)
        .await;
    let client = token_client(&fx);
    let scope = fx.endpoints().graph_default_scope();
    let first = client
        .refresh(PARTNER, &Secret::new("RT-a"), &scope)
        .await
        .unwrap();
    assert_eq!(first.refresh_token, Some(Secret::new("RT-b")));
    let second = client
        .refresh(PARTNER, &Secret::new("RT-b"), &scope)
        .await
        .unwrap();
    assert_eq!(second.access_token, Secret::new("AT-c"));
    assert_eq!(second.refresh_token, Some(Secret::new("RT-b")));
}

#[tokio::test]
async fn each_aadsts_error_becomes_its_operator_code() {
    let cases: [(u16, &str, u64, &str); 8] = [
        (400, "invalid_grant", 65001, "consent_required"),
        (400, "invalid_grant", 50076, "mfa_or_conditional_access"),
        (400, "invalid_grant", 53003, "mfa_or_conditional_access"),
        (400, "invalid_grant", 700082, "refresh_token_expired"),
        (401, "invalid_client", 7000215, "invalid_client"),
        (400, "invalid_grant", 90094, "admin_consent_required"),
        (400, "invalid_grant", 50020, "gdap_role_missing"),
        (400, "invalid_grant", 70008, "refresh_token_expired"),
    ];
    for (status, error, number, expected) in cases {
        let fx = Fixture::start().await;
        fx.mount_partner_refresh("AT-partner-1", None).await;
        Mock::given(method("POST"))
            .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
            .respond_with(ResponseTemplate::new(status).set_body_json(aad_error(
                error,
                number,
                "Something went wrong.",
            )))
            .expect(1)
            .mount(&fx.login)
            .await;
        let err = fx
            .provider(GraphOptions::default())
            .list_users(CONTOSO)
            .await
            .unwrap_err();
        assert_eq!(err.code(), expected, "AADSTS{number}");
        assert_eq!(
            err.upstream_code.as_deref(),
            Some(format!("AADSTS{number}").as_str())
        );
        assert_eq!(err.status, Some(status));
        assert_eq!(
            err.request_id.as_deref(),
            Some("0000aaaa-11bb-cccc-dd22-eeeeee333333")
        );
    }
}

#[tokio::test]
async fn a_claims_challenge_is_mfa_or_conditional_access() {
    // From the token endpoint…
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "insufficient_claims", "error_description": "AADSTS50076: more auth needed",
            "claims": "{\"access_token\":{\"capolids\":{\"essential\":true}}}"})))
        .mount(&fx.login)
        .await;
    let err = fx
        .provider(GraphOptions::default())
        .list_managed_tenants()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mfa_or_conditional_access");

    // …and from Graph, which is not retried with a refresh.
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Bearer realm=\"\", error=\"insufficient_claims\", claims=\"eyJhY2Nlc3NfdG9rZW4iOnt9fQ==\"")
                .set_body_json(graph_error_body("InvalidAuthenticationToken", "Continuous access evaluation resulted in claims challenge")),
        )
        .expect(1)
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider(GraphOptions::default())
        .list_managed_tenants()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mfa_or_conditional_access");
}

fn jwt_for_tenant(tid: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"RS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"aud":"https://graph.microsoft.com","tid":"{tid}"}}"#
    ));
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[tokio::test]
async fn a_token_minted_for_the_wrong_tenant_is_refused_before_use() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_body(&jwt_for_tenant(FABRIKAM), None)),
        )
        .mount(&fx.login)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(0)
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider(GraphOptions::default())
        .list_users(CONTOSO)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unexpected_response");
    assert!(err.message.contains(FABRIKAM), "{}", err.message);
}

#[tokio::test]
async fn graph_refusing_the_tenant_token_twice_is_unauthorized() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("POST"))
        .and(path(format!("/{CONTOSO}/oauth2/v2.0/token")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_body(&jwt_for_tenant(CONTOSO), None)),
        )
        .expect(2)
        .mount(&fx.login)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error_body(
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        )))
        .expect(2)
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider(GraphOptions::default())
        .list_users(CONTOSO)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(
        err.upstream_code.as_deref(),
        Some("InvalidAuthenticationToken")
    );
}

#[test]
fn national_cloud_presets_set_login_graph_and_scopes() {
    let cases = [
        (
            NationalCloud::Global,
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        ),
        (
            NationalCloud::UsGovHigh,
            "https://login.microsoftonline.us",
            "https://graph.microsoft.us",
        ),
        (
            NationalCloud::UsGovDod,
            "https://login.microsoftonline.us",
            "https://dod-graph.microsoft.us",
        ),
        (
            NationalCloud::China,
            "https://login.partner.microsoftonline.cn",
            "https://microsoftgraph.chinacloudapi.cn",
        ),
    ];
    for (cloud, login, graph) in cases {
        let e = CloudEndpoints::for_cloud(cloud);
        assert_eq!(e.login_base(), login);
        assert_eq!(e.graph_base(), graph);
        assert_eq!(e.graph_default_scope(), format!("{graph}/.default"));
        assert_eq!(
            e.partner_scopes()[2],
            format!("{graph}/DelegatedAdminRelationship.Read.All")
        );
        assert_eq!(
            e.token_url("contoso.onmicrosoft.com").unwrap().as_str(),
            format!("{login}/contoso.onmicrosoft.com/oauth2/v2.0/token")
        );
    }
}
