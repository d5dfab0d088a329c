//! Partner refresh-token rotation under concurrency: customer tokens minted at once from one
//! partner refresh token, an upstream that refuses a second redemption, rotations that complete
//! out of order, and rotation sinks that fail.

mod graph_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use entra_core::provider::{EntraProvider, ProviderError};
use entra_providers::auth::{CallbackSink, TokenSet};
use entra_providers::graph::{GraphOptions, GraphProvider};
use entra_providers::secrets::Secret;
use graph_support::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

const OTHER: &str = "0b6f6f3e-2c7e-4d55-9a55-1e0c8f1f7a01";

fn no_enrichment() -> GraphOptions {
    GraphOptions {
        enrich_from_relationships: false,
        ..GraphOptions::default()
    }
}

/// A provider whose partner access token is fresh, so only customer mints redeem `rt`.
fn provider_with(fx: &Fixture, rt: &str, rotations: &Rotations) -> GraphProvider {
    let tokens = TokenSet {
        access_token: Secret::new("AT-partner"),
        refresh_token: Some(Secret::new(rt)),
        expires_at: entra_providers::auth::unix_now() + 3000,
        scope: None,
    };
    GraphProvider::with_rotation_sink(
        fx.settings(no_enrichment(), tokens),
        Arc::new(rotations.clone()),
    )
    .unwrap()
}

/// A customer mint at `tenant` that redeems `rt` (and only `rt`).
fn mint(tenant: &str, rt: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(format!("/{tenant}/oauth2/v2.0/token")))
        .and(body_string_contains(format!("refresh_token={rt}")))
}

fn already_redeemed() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(aad_error(
        "invalid_grant",
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
    ))
}

/// Mounts one expected redemption of `rt` for `tenant` that answers `access` and rotates to
/// `rotated`, after `delay`.
async fn rotation(fx: &Fixture, tenant: &str, rt: &str, access: &str, rotated: &str, delay: u64) {
    mint(tenant, rt)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body(access, Some(rotated)))
                .set_delay(Duration::from_millis(delay)),
        )
        .expect(1)
        .mount(&fx.login)
        .await;
}

/// Mints Contoso's and Fabrikam's tokens at once.
async fn mint_both(
    provider: &GraphProvider,
) -> (Result<Secret, ProviderError>, Result<Secret, ProviderError>) {
    let tokens = provider.tokens();
    tokio::join!(
        tokens.customer_token(CONTOSO),
        tokens.customer_token(FABRIKAM)
    )
}

fn persisted_refresh_tokens(rotations: &Rotations) -> Vec<String> {
    rotations
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.refresh_token.as_ref().unwrap().expose().to_string())
        .collect()
}

#[tokio::test]
async fn a_refused_redemption_waits_for_the_concurrent_rotation_and_retries_with_the_newest() {
    let fx = Fixture::start().await;
    // Contoso redeems RT-0 slowly and rotates it to RT-A.
    rotation(&fx, CONTOSO, "RT-0", "AT-contoso", "RT-A", 300).await;
    // Fabrikam's redemption of the same RT-0 is refused at once (one-time use) ...
    mint(FABRIKAM, "RT-0")
        .respond_with(already_redeemed())
        .expect(1)
        .mount(&fx.login)
        .await;
    // ... and succeeds with the rotated RT-A, rotating it again.
    rotation(&fx, FABRIKAM, "RT-A", "AT-fabrikam", "RT-B", 0).await;
    let rotations = Rotations::default();
    let provider = provider_with(&fx, "RT-0", &rotations);
    let (contoso, fabrikam) = mint_both(&provider).await;
    assert_eq!(contoso.unwrap(), Secret::new("AT-contoso"));
    assert_eq!(fabrikam.unwrap(), Secret::new("AT-fabrikam"));
    assert_eq!(
        provider.partner_tokens().await.refresh_token,
        Some(Secret::new("RT-B"))
    );
    assert_eq!(persisted_refresh_tokens(&rotations), ["RT-A", "RT-B"]);
}

#[tokio::test]
async fn a_refused_redemption_with_no_newer_token_is_refresh_token_expired_without_retrying() {
    let fx = Fixture::start().await;
    mint(OTHER, "RT-0")
        .respond_with(already_redeemed())
        .expect(1)
        .mount(&fx.login)
        .await;
    let rotations = Rotations::default();
    let provider = provider_with(&fx, "RT-0", &rotations);
    let err = provider.tokens().customer_token(OTHER).await.unwrap_err();
    assert_eq!(err.code(), "refresh_token_expired");
    assert!(persisted_refresh_tokens(&rotations).is_empty());
}

#[tokio::test]
async fn a_late_rotation_never_replaces_a_newer_refresh_token() {
    let fx = Fixture::start().await;
    // Both redeem RT-0 (an upstream that tolerates reuse); Contoso's answer arrives last.
    rotation(&fx, CONTOSO, "RT-0", "AT-contoso", "RT-late", 300).await;
    rotation(&fx, FABRIKAM, "RT-0", "AT-fabrikam", "RT-first", 0).await;
    let rotations = Rotations::default();
    let provider = provider_with(&fx, "RT-0", &rotations);
    let (contoso, fabrikam) = mint_both(&provider).await;
    contoso.unwrap();
    fabrikam.unwrap();
    assert_eq!(
        provider.partner_tokens().await.refresh_token,
        Some(Secret::new("RT-first"))
    );
    assert_eq!(persisted_refresh_tokens(&rotations), ["RT-first"]);
}

#[tokio::test]
async fn a_rotation_that_cannot_be_persisted_fails_the_operation_with_token_persist_failed() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-fresh", Some("RT-rotated-7f3a"))
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": CONTOSO, "tenantId": CONTOSO, "displayName": "Contoso Inc"}]})))
        .mount(&fx.graph)
        .await;
    let vault_down = Arc::new(AtomicBool::new(true));
    let written: Arc<std::sync::Mutex<Vec<TokenSet>>> = Arc::default();
    let sink = {
        let vault_down = vault_down.clone();
        let written = written.clone();
        CallbackSink(move |tokens: &TokenSet| -> Result<(), String> {
            let rt = tokens.refresh_token.as_ref().map(Secret::expose);
            if vault_down.load(Ordering::SeqCst) {
                // A careless host error that quotes the value it failed to write.
                return Err(format!("vault refused the value {}", rt.unwrap_or("")));
            }
            written.lock().unwrap().push(tokens.clone());
            Ok(())
        })
    };
    let provider = GraphProvider::with_rotation_sink(
        fx.settings(
            no_enrichment(),
            TokenSet::from_refresh_token(Secret::new(PARTNER_RT)),
        ),
        Arc::new(sink),
    )
    .unwrap();

    let err = provider.list_managed_tenants().await.unwrap_err();
    assert_eq!(err.code(), "token_persist_failed");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("RT-rotated-7f3a"), "{text}");
    assert!(!text.contains("AT-fresh"), "{text}");
    // The rotation is kept in memory (the old token may be spent) and written once possible.
    assert_eq!(
        provider.partner_tokens().await.refresh_token,
        Some(Secret::new("RT-rotated-7f3a"))
    );
    vault_down.store(false, Ordering::SeqCst);
    provider.tokens().persist_rotated().await.unwrap();
    provider.tokens().persist_rotated().await.unwrap();
    let written = written.lock().unwrap().clone();
    assert_eq!(written.len(), 1, "the newest set is written once");
    assert_eq!(
        written[0].refresh_token,
        Some(Secret::new("RT-rotated-7f3a"))
    );
    assert_eq!(
        provider.list_managed_tenants().await.unwrap().tenants.len(),
        1
    );
}
