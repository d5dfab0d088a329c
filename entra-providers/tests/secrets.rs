//! Secrets: redaction, the in-memory store, the credential chain and connection switching.

mod graph_support;

use std::collections::HashMap;
use std::sync::Arc;

use entra_core::model::ConnectionType;
use entra_core::provider::EntraProvider;
use entra_providers::auth::{TokenSet, load_token_set, store_token_set};
use entra_providers::graph::{GraphOptions, GraphProvider};
use entra_providers::secrets::{
    APP_SCOPE, CredentialChain, CredentialSource, EnvSecrets, MemorySecrets, Secret, SecretError,
    SecretProvider, names, switch_connection_type,
};
use graph_support::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

/// Writes a secret, panicking on a store error.
trait Put {
    async fn put(&self, tenant: &str, name: &str, value: &str);
}

impl<S: SecretProvider + ?Sized> Put for S {
    async fn put(&self, tenant: &str, name: &str, value: &str) {
        self.set(tenant, name, Secret::new(value))
            .await
            .expect("the secret is stored");
    }
}

/// A store holding `pairs` for `msp-1`.
async fn msp1_store(pairs: &[(&str, &str)]) -> Arc<MemorySecrets> {
    let store = Arc::new(MemorySecrets::new());
    for (name, value) in pairs {
        store.put("msp-1", name, value).await;
    }
    store
}

fn env(pairs: &[(&str, &str)]) -> EnvSecrets {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    EnvSecrets::from_lookup(move |k| map.get(k).cloned())
}

#[test]
fn secrets_never_print_their_value() {
    let s = Secret::new("hunter2-value");
    assert_eq!(format!("{s}"), "[redacted]");
    assert_eq!(format!("{s:?}"), "[redacted]");
    assert_eq!(s.expose(), "hunter2-value");
    let e = env(&[("MICROSOFT_CLIENT_SECRET", "env-secret-value")]);
    assert!(!format!("{e:?}").contains("env-secret-value"));
}

#[tokio::test]
async fn the_memory_store_gets_sets_and_deletes_per_tenant() {
    let store = MemorySecrets::new();
    store.put("msp-1", names::MICROSOFT_CLIENT_ID, "id-1").await;
    assert_eq!(
        store
            .get("msp-1", names::MICROSOFT_CLIENT_ID)
            .await
            .unwrap(),
        Some(Secret::new("id-1"))
    );
    assert_eq!(
        store
            .get("msp-2", names::MICROSOFT_CLIENT_ID)
            .await
            .unwrap(),
        None
    );
    store
        .delete("msp-1", names::MICROSOFT_CLIENT_ID)
        .await
        .unwrap();
    store
        .delete("msp-1", names::MICROSOFT_CLIENT_ID)
        .await
        .unwrap();
    assert_eq!(
        store
            .get("msp-1", names::MICROSOFT_CLIENT_ID)
            .await
            .unwrap(),
        None
    );
    let e = env(&[]);
    assert_eq!(
        e.set("t", "x", Secret::new("v")).await.unwrap_err().code(),
        "secret_store_read_only"
    );
}

#[tokio::test]
async fn the_chain_prefers_tenant_then_environment_then_app_and_never_mixes_a_pair() {
    let tenant_store = Arc::new(MemorySecrets::new());
    let app_store = Arc::new(MemorySecrets::new());
    app_store
        .put(APP_SCOPE, names::MICROSOFT_CLIENT_ID, "app-id")
        .await;
    app_store
        .put(APP_SCOPE, names::MICROSOFT_CLIENT_SECRET, "app-secret")
        .await;
    let full_env = env(&[
        ("MICROSOFT_CLIENT_ID", "env-id"),
        ("MICROSOFT_CLIENT_SECRET", "env-secret"),
        ("MICROSOFT_TENANT_ID", "env-tenant"),
    ]);
    let chain = CredentialChain::new(tenant_store.clone())
        .with_environment(full_env)
        .with_app_secrets(app_store.clone());

    // Only an id in the tenant store: that source is skipped entirely, the environment wins.
    tenant_store
        .put("msp-1", names::MICROSOFT_CLIENT_ID, "tenant-id")
        .await;
    let found = chain.resolve("msp-1").await.unwrap();
    assert_eq!(found.source, CredentialSource::Environment);
    assert_eq!(found.client_id, "env-id");
    assert_eq!(found.client_secret, Secret::new("env-secret"));
    assert_eq!(found.tenant_id.as_deref(), Some("env-tenant"));

    // A full tenant pair wins.
    tenant_store
        .put("msp-1", names::MICROSOFT_CLIENT_SECRET, "tenant-secret")
        .await;
    let found = chain.resolve("msp-1").await.unwrap();
    assert_eq!(found.source, CredentialSource::TenantSecrets);
    assert_eq!(
        (found.client_id.as_str(), found.client_secret.expose()),
        ("tenant-id", "tenant-secret")
    );
    assert_eq!(found.tenant_id, None);

    // Half an environment pair is skipped too: the app pair is used, whole.
    let chain = CredentialChain::new(Arc::new(MemorySecrets::new()))
        .with_environment(env(&[("MICROSOFT_CLIENT_ID", "env-id")]))
        .with_app_secrets(app_store.clone());
    let found = chain.resolve("msp-1").await.unwrap();
    assert_eq!(found.source, CredentialSource::AppSecrets);
    assert_eq!(
        (found.client_id.as_str(), found.client_secret.expose()),
        ("app-id", "app-secret")
    );

    // Nothing anywhere.
    let chain = CredentialChain::new(Arc::new(MemorySecrets::new())).with_environment(env(&[]));
    assert_eq!(
        chain.resolve("msp-1").await.unwrap_err().code(),
        "configuration"
    );
}

#[tokio::test]
async fn switching_the_connection_type_clears_the_other_types_secrets() {
    let store = MemorySecrets::new();
    for name in names::DIRECT_CONNECTION
        .iter()
        .chain(names::CIPP_CONNECTION.iter())
    {
        store.put("msp-1", name, "v").await;
    }
    store.put("msp-1", names::MICROSOFT_CLIENT_ID, "id").await;
    store
        .put("msp-2", names::ENTRA_CIPP_CLIENT_SECRET, "other-tenant")
        .await;

    let deleted = switch_connection_type(&store, "msp-1", ConnectionType::Direct)
        .await
        .unwrap();
    assert_eq!(deleted, names::CIPP_CONNECTION.to_vec());
    let mut left = store.names("msp-1").await;
    left.sort();
    let mut expected: Vec<String> = names::DIRECT_CONNECTION
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.push(names::MICROSOFT_CLIENT_ID.to_string());
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(
        store.names("msp-2").await,
        vec![names::ENTRA_CIPP_CLIENT_SECRET.to_string()]
    );

    switch_connection_type(&store, "msp-1", ConnectionType::Cipp)
        .await
        .unwrap();
    assert_eq!(
        store.names("msp-1").await,
        vec![names::MICROSOFT_CLIENT_ID.to_string()]
    );
}

#[test]
fn canonical_names_are_stable() {
    let table = [
        (names::MICROSOFT_CLIENT_ID, "microsoft_client_id"),
        (names::MICROSOFT_CLIENT_SECRET, "microsoft_client_secret"),
        (names::MICROSOFT_TENANT_ID, "microsoft_tenant_id"),
        (
            names::ENTRA_DIRECT_ACCESS_TOKEN,
            "entra_direct_access_token",
        ),
        (
            names::ENTRA_DIRECT_REFRESH_TOKEN,
            "entra_direct_refresh_token",
        ),
        (
            names::ENTRA_DIRECT_TOKEN_EXPIRES_AT,
            "entra_direct_token_expires_at",
        ),
        (
            names::ENTRA_DIRECT_PARTNER_TENANT_ID,
            "entra_direct_partner_tenant_id",
        ),
        (names::ENTRA_DIRECT_TOKEN_SCOPE, "entra_direct_token_scope"),
        (names::ENTRA_CIPP_BASE_URL, "entra_cipp_base_url"),
        (names::ENTRA_CIPP_CLIENT_ID, "entra_cipp_client_id"),
        (names::ENTRA_CIPP_CLIENT_SECRET, "entra_cipp_client_secret"),
        (names::ENTRA_CIPP_TENANT_ID, "entra_cipp_tenant_id"),
        (names::ENTRA_CIPP_API_TOKEN, "entra_cipp_api_token"),
    ];
    for (name, expected) in table {
        assert_eq!(name, expected);
    }
}

#[tokio::test]
async fn a_provider_from_secrets_persists_the_rotated_refresh_token() {
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{PARTNER}/oauth2/v2.0/token")))
        .and(body_string_contains("refresh_token=RT-stored"))
        .and(body_string_contains("client_id=tenant-app"))
        .and(body_string_contains("client_secret=tenant-app-secret"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_body("AT-new", Some("RT-next"))),
        )
        .expect(1)
        .mount(&fx.login)
        .await;
    fx.answer(DISCOVERY, ok(json!({"value": []}))).await;
    let store = msp1_store(&[
        (names::MICROSOFT_CLIENT_ID, "tenant-app"),
        (names::MICROSOFT_CLIENT_SECRET, "tenant-app-secret"),
        (names::ENTRA_DIRECT_PARTNER_TENANT_ID, PARTNER),
        (names::ENTRA_DIRECT_REFRESH_TOKEN, "RT-stored"),
    ])
    .await;
    let chain = CredentialChain::new(store.clone()).with_environment(env(&[]));
    let provider =
        GraphProvider::from_secrets(store.clone(), &chain, "msp-1", fx.config(no_enrichment()))
            .await
            .unwrap();
    provider.list_managed_tenants().await.unwrap();
    let get = |name: &'static str| {
        let store = store.clone();
        async move {
            store
                .get("msp-1", name)
                .await
                .unwrap()
                .map(|s| s.expose().to_string())
        }
    };
    assert_eq!(
        get(names::ENTRA_DIRECT_REFRESH_TOKEN).await.as_deref(),
        Some("RT-next")
    );
    assert_eq!(
        get(names::ENTRA_DIRECT_ACCESS_TOKEN).await.as_deref(),
        Some("AT-new")
    );
    let expires: u64 = get(names::ENTRA_DIRECT_TOKEN_EXPIRES_AT)
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires > entra_providers::auth::unix_now() + 3000);
}

#[tokio::test]
async fn a_provider_from_secrets_without_tokens_is_a_configuration_error() {
    let fx = Fixture::start().await;
    let store = msp1_store(&[
        (names::MICROSOFT_CLIENT_ID, "tenant-app"),
        (names::MICROSOFT_CLIENT_SECRET, "tenant-app-secret"),
        (names::MICROSOFT_TENANT_ID, PARTNER),
    ])
    .await;
    let chain = CredentialChain::new(store.clone());
    let err =
        GraphProvider::from_secrets(store, &chain, "msp-1", fx.config(GraphOptions::default()))
            .await
            .unwrap_err();
    assert_eq!(err.code(), "configuration");
}

/// A vault without transactions that dies after `writes_left` single writes (the default
/// `set_many` writes one by one), recording the names it wrote.
struct CrashingVault {
    inner: MemorySecrets,
    writes_left: std::sync::Mutex<usize>,
    written: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl SecretProvider for CrashingVault {
    async fn get(&self, tenant: &str, name: &str) -> Result<Option<Secret>, SecretError> {
        self.inner.get(tenant, name).await
    }
    async fn set(&self, tenant: &str, name: &str, value: Secret) -> Result<(), SecretError> {
        {
            let mut left = self.writes_left.lock().unwrap();
            if *left == 0 {
                return Err(SecretError::Unavailable {
                    message: "the vault process died".into(),
                });
            }
            *left -= 1;
        }
        self.written.lock().unwrap().push(name.to_string());
        self.inner.set(tenant, name, value).await
    }
    async fn delete(&self, tenant: &str, name: &str) -> Result<(), SecretError> {
        self.inner.delete(tenant, name).await
    }
}

impl CrashingVault {
    fn new() -> Self {
        Self {
            inner: MemorySecrets::new(),
            writes_left: std::sync::Mutex::new(usize::MAX),
            written: std::sync::Mutex::new(Vec::new()),
        }
    }
}

fn token_set(rt: &str, at: &str, expires_at: u64, scope: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new(at),
        refresh_token: Some(Secret::new(rt)),
        expires_at,
        scope: Some(scope.into()),
    }
}

#[tokio::test]
async fn a_token_set_write_interrupted_anywhere_keeps_the_newest_refresh_token_and_a_truthful_expiry()
 {
    let old = token_set("RT-old", "AT-old", 1_000, "scope-old");
    let new = token_set("RT-new", "AT-new", 5_000, "scope-new");
    for crash_after in 0..=4 {
        let vault = CrashingVault::new();
        store_token_set(&vault, "msp-1", &old).await.unwrap();
        vault.written.lock().unwrap().clear();
        *vault.writes_left.lock().unwrap() = crash_after;
        let result = store_token_set(&vault, "msp-1", &new).await;
        assert_eq!(
            result.is_ok(),
            crash_after == 4,
            "crash after {crash_after}"
        );
        let stored = load_token_set(&vault, "msp-1").await.unwrap().unwrap();
        let case = format!("crash after {crash_after} writes: {stored:?}");
        // The refresh token is written first: once anything new is stored, it is the new one.
        assert_eq!(
            stored.refresh_token,
            Some(Secret::new(if crash_after == 0 {
                "RT-old"
            } else {
                "RT-new"
            })),
            "{case}"
        );
        // The expiry never belongs to a newer access token than the stored one.
        let pair = (stored.access_token.expose(), stored.expires_at);
        assert!(
            [("AT-old", 1_000), ("AT-new", 1_000), ("AT-new", 5_000)].contains(&pair),
            "{case}: {pair:?}"
        );
    }
    // The documented order.
    let vault = CrashingVault::new();
    store_token_set(&vault, "msp-1", &new).await.unwrap();
    assert_eq!(
        *vault.written.lock().unwrap(),
        [
            names::ENTRA_DIRECT_REFRESH_TOKEN,
            names::ENTRA_DIRECT_ACCESS_TOKEN,
            names::ENTRA_DIRECT_TOKEN_EXPIRES_AT,
            names::ENTRA_DIRECT_TOKEN_SCOPE,
        ]
    );
}

#[tokio::test]
async fn the_memory_store_writes_a_token_set_as_one_unit() {
    let store = Arc::new(MemorySecrets::new());
    let new = token_set("RT-new", "AT-new", 5_000, "scope-new");
    // Through `Arc<dyn SecretProvider>`, as providers hold it, the atomic override is used.
    let shared: Arc<dyn SecretProvider> = store.clone();
    store_token_set(shared.as_ref(), "msp-1", &new)
        .await
        .unwrap();
    assert_eq!(
        load_token_set(store.as_ref(), "msp-1").await.unwrap(),
        Some(new)
    );
    shared
        .set_many("msp-1", &[("a", Secret::new("1")), ("b", Secret::new("2"))])
        .await
        .unwrap();
    assert_eq!(
        store.get("msp-1", "b").await.unwrap(),
        Some(Secret::new("2"))
    );
    // A read-only store refuses the unit at its first value.
    let env = env(&[]);
    assert_eq!(
        env.set_many("msp-1", &[("a", Secret::new("1"))])
            .await
            .unwrap_err()
            .code(),
        "secret_store_read_only"
    );
}
