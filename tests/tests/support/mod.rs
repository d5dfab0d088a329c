//! Support shared by the cross-crate tests: providers pointed at a sandbox, onboarding an estate
//! into a store, and the invariants every sync over a faulty upstream must keep.
//!
//! Each test file uses part of it, so unused items are expected in any one of them.
#![allow(dead_code)]

pub mod estate;
pub mod invariants;
pub mod listing;

use std::collections::BTreeSet;

use entra_core::engine::{SyncAllOptions, SyncEngine};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{Contact, FieldSync, SyncSettings};
use entra_core::provider::EntraProvider;
use entra_core::store::SyncStore;
use entra_providers::auth::{CloudEndpoints, TokenSet};
use entra_providers::cipp::{CippConfig, CippProvider};
use entra_providers::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use entra_providers::http::HttpPolicy;
use entra_providers::sandbox::Sandbox;
use entra_providers::secrets::Secret;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;
pub type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Asserts that a provider call failed with the error `code`; `why` says what the case shows.
pub fn assert_code<T: std::fmt::Debug>(
    result: Result<T, entra_core::provider::ProviderError>,
    code: &str,
    why: &str,
) {
    match result {
        Ok(value) => panic!("{why}: expected `{code}`, got {value:?}"),
        Err(err) => assert_eq!(err.code(), code, "{why}: {err}"),
    }
}

/// The Graph provider over the sandbox, reading users in pages of 999.
pub fn graph(sandbox: &Sandbox) -> AnyResult<GraphProvider> {
    graph_paged(sandbox, 999)
}

/// The Graph provider over the sandbox, reading users in pages of `users_page_size`.
pub fn graph_paged(sandbox: &Sandbox, users_page_size: u32) -> AnyResult<GraphProvider> {
    graph_with(sandbox, users_page_size, HttpPolicy::fast_for_tests())
}

/// The Graph provider over the sandbox with its own HTTP policy (e.g. a short request timeout).
pub fn graph_with(
    sandbox: &Sandbox,
    users_page_size: u32,
    policy: HttpPolicy,
) -> AnyResult<GraphProvider> {
    let c = sandbox.credentials();
    Ok(GraphProvider::new(GraphSettings {
        client_id: c.client_id,
        client_secret: Secret::new(c.client_secret),
        partner_tenant_id: c.partner_tenant_id,
        tokens: TokenSet::from_refresh_token(Secret::new(c.partner_refresh_token)),
        config: GraphConfig {
            endpoints: CloudEndpoints::custom(
                &sandbox.login_base_url(),
                &sandbox.graph_base_url(),
            )?,
            options: GraphOptions {
                include_domains: true,
                users_page_size,
                ..GraphOptions::default()
            },
            policy,
        },
    })?)
}

/// The CIPP provider over the sandbox.
pub fn cipp(sandbox: &Sandbox) -> AnyResult<CippProvider> {
    cipp_with(sandbox, HttpPolicy::fast_for_tests())
}

/// The CIPP provider over the sandbox with its own HTTP policy.
pub fn cipp_with(sandbox: &Sandbox, policy: HttpPolicy) -> AnyResult<CippProvider> {
    let c = sandbox.credentials();
    let mut config = CippConfig::new(
        sandbox.cipp_base_url(),
        c.cipp_tenant_id,
        c.cipp_client_id,
        Secret::new(c.cipp_client_secret),
    );
    config.login_base = sandbox.login_base_url();
    config.partner_tenant_id = Some(c.partner_tenant_id);
    config.policy = policy;
    Ok(CippProvider::new(config)?)
}

/// Options of a run keyed by `key`, so every call with a new key is a new run.
pub fn keyed(key: &str) -> SyncAllOptions {
    SyncAllOptions {
        request_key: Some(key.into()),
        ..SyncAllOptions::default()
    }
}

/// The settings onboarding saves: names and addresses follow Entra, phones, titles and UPNs do
/// not (their toggles are off).
pub fn names_and_addresses() -> SyncSettings {
    SyncSettings {
        field_sync: FieldSync {
            display_name: true,
            email: true,
            ..FieldSync::default()
        },
        ..SyncSettings::default()
    }
}

/// Imports the CRM, discovers, confirms every auto-match and the best candidate of the first
/// tenant to review, saves [`names_and_addresses`] for each; returns the mapped tenant ids.
pub async fn onboard<P: EntraProvider, S: SyncStore>(
    sandbox: &Sandbox,
    engine: &SyncEngine<P, S>,
) -> AnyResult<Vec<String>> {
    engine
        .store()
        .upsert_clients(&sandbox.crm_clients())
        .await?;
    engine
        .store()
        .upsert_contacts(&sandbox.crm_contacts())
        .await?;
    let discovery = engine.discover().await?;
    assert!(discovery.listing_complete);
    let stored: BTreeSet<String> = engine
        .store()
        .load_tenants()
        .await?
        .into_iter()
        .map(|t| t.entra_tenant_id)
        .collect();
    let expected: BTreeSet<String> = sandbox.tenants().into_iter().map(|t| t.tenant_id).collect();
    assert_eq!(stored, expected);

    let preview = engine.preview_mappings(PreviewOptions::default()).await?;
    assert!(!preview.auto_matched.is_empty(), "{preview:?}");
    let mut ops: Vec<MappingOperation> = preview
        .auto_matched
        .iter()
        .map(|m| MappingOperation::Confirm {
            entra_tenant_id: m.entra_tenant_id.clone(),
            client_id: m.suggestion.client_id.clone(),
        })
        .collect();
    if let Some(group) = preview.fuzzy_candidates.first()
        && let Some(best) = group.candidates.first()
    {
        ops.push(MappingOperation::Confirm {
            entra_tenant_id: group.entra_tenant_id.clone(),
            client_id: best.client_id.clone(),
        });
    }
    // Every auto-match is the client the estate meant for that tenant.
    for m in &preview.auto_matched {
        let tenant = sandbox
            .tenants()
            .into_iter()
            .find(|t| t.tenant_id == m.entra_tenant_id)
            .ok_or("unknown tenant")?;
        assert_eq!(
            tenant.crm_client_id.as_deref(),
            Some(m.suggestion.client_id.as_str())
        );
    }
    engine.apply_mapping_changes(ops).await?;
    let mapped: Vec<String> = engine
        .store()
        .load_mapped_tenants()
        .await?
        .into_iter()
        .map(|m| m.entra_tenant_id)
        .collect();
    assert!(!mapped.is_empty());
    let settings = names_and_addresses();
    for tenant in &mapped {
        engine.store().save_sync_settings(tenant, &settings).await?;
    }
    Ok(mapped)
}

/// The contact linked to a user (its active link first) and whether that link is active.
pub async fn contact_of<S: SyncStore>(
    store: &S,
    tenant: &str,
    object_id: &str,
) -> AnyResult<(Contact, bool)> {
    let snapshot = store.snapshot().await?;
    let link = snapshot
        .links
        .iter()
        .filter(|l| l.entra_tenant_id == tenant && l.entra_object_id == object_id)
        .max_by_key(|l| l.active)
        .ok_or("no link")?;
    let contact = snapshot
        .contacts
        .iter()
        .find(|c| c.contact_id == link.contact_id)
        .ok_or("no contact")?;
    Ok((contact.clone(), link.active))
}
