//! Delta rounds, resyncs and incomplete listings: nobody is inactivated or marked `not_listed`
//! on a listing that is not complete.

use super::*;

async fn delta_rounds_and_resync<S: Harness>(store: S) {
    let engine = estate(store, true).await;
    let mapping = engine
        .store()
        .load_mapped_tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.entra_tenant_id == "t-a")
        .unwrap();
    let opts = SyncOptions::default();
    let first = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(first.mode, ListingMode::Full);
    let link = delta_link(engine.store(), "t-a").await;
    assert!(link.is_some());

    // A dry delta round plans the change but does not move the link.
    engine.provider().delete_user("t-a", "t-a-u1");
    let dry = engine.sync_tenant(&mapping, &dry_delta()).await.unwrap();
    assert_eq!(dry.mode, ListingMode::Delta);
    assert_eq!(dry.plan.counters.inactivated, 1);
    assert_eq!(delta_link(engine.store(), "t-a").await, link);

    let second = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(second.mode, ListingMode::Delta);
    assert_eq!(second.users_listed, 0);
    assert_eq!(second.plan.counters.inactivated, 1);
    assert!(
        second
            .warnings
            .iter()
            .all(|w| w.code != "listing_incomplete"),
        "a whole delta round is not an incomplete listing: {:?}",
        second.warnings
    );
    assert_ne!(delta_link(engine.store(), "t-a").await, link);

    // Unchanged users are not in a delta round and are never inactivated by absence.
    let third = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(third.mode, ListingMode::Delta);
    assert_eq!(third.plan.counters.inactivated, 0);

    engine.provider().expire_delta_links("t-a");
    let resync = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(resync.mode, ListingMode::Full);
    assert!(resync.warnings.iter().any(|w| w.code == "delta_resync"));
    assert_eq!(resync.plan.counters.inactivated, 0);
    assert_eq!(resync.plan.counters.unchanged, 2);
    let k = contact(engine.store(), "k-t-a").await;
    assert!(!k.is_inactive);
    let replaced = delta_link(engine.store(), "t-a").await;
    assert!(replaced.is_some(), "the resync's link is stored");
    assert_ne!(replaced, link);
    let after_resync = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(
        after_resync.mode,
        ListingMode::Delta,
        "the new link is used"
    );

    // A refused link whose fallback listing stops early is forgotten, not retried, and the
    // partial listing inactivates nobody.
    engine.provider().expire_delta_links("t-a");
    engine.provider().cut_listing("t-a", Some(1));
    let cut = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(cut.mode, ListingMode::Full);
    assert!(!cut.listing_complete);
    assert_eq!(cut.plan.counters.inactivated, 0);
    assert_eq!(delta_link(engine.store(), "t-a").await, None);
    engine.provider().cut_listing("t-a", None);
    let whole = engine.sync_tenant(&mapping, &opts).await.unwrap();
    assert_eq!(whole.mode, ListingMode::Full);
    assert!(
        whole.warnings.iter().all(|w| w.code != "delta_resync"),
        "no refused link was asked for again: {:?}",
        whole.warnings
    );
    assert!(delta_link(engine.store(), "t-a").await.is_some());
}

/// An incomplete listing of `t-a` (how `break_listing` breaks it): the tenant succeeds, the listing
/// counts as incomplete, nobody of `c-a` is inactivated, and the tenant's warnings are returned.
async fn incomplete_listing_inactivates_nobody<S: Harness>(
    store: S,
    key: &str,
    break_listing: impl FnOnce(&FakeProvider),
) -> Vec<entra_core::model::Warning> {
    let engine = estate(store, false).await;
    engine.sync_all(keyed("initial")).await.unwrap();
    break_listing(engine.provider());
    let report = engine.sync_all(keyed(key)).await.unwrap();
    let a = result_of(&report.results, "t-a");
    assert_eq!(a.outcome, TenantOutcome::Succeeded);
    assert!(!a.listing_complete);
    assert_eq!(a.counters.inactivated, 0);
    let snapshot = engine.store().snapshot().await.unwrap();
    assert!(
        snapshot
            .contacts
            .iter()
            .filter(|c| c.client_id.as_deref() == Some("c-a"))
            .all(|c| !c.is_inactive)
    );
    a.warnings.clone()
}

async fn half_failed_listing_inactivates_nobody<S: Harness>(store: S) {
    let warnings =
        incomplete_listing_inactivates_nobody(store, "cut", |p| p.cut_listing("t-a", Some(1)))
            .await;
    let codes: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
    assert!(codes.contains(&"listing_incomplete"), "{codes:?}");
    assert!(codes.contains(&"listing_failed"), "{codes:?}");
}

/// A row the provider could not read is left out of the listing with a warning: the warning
/// reaches the tenant's run result, the listing counts as incomplete, and the user whose row
/// was unreadable is not inactivated for its absence.
async fn unreadable_rows_are_reported_and_inactivate_nobody<S: Harness>(store: S) {
    let warnings = incomplete_listing_inactivates_nobody(store, "unreadable", |p| {
        p.skip_rows("t-a", &["t-a-u0"])
    })
    .await;
    let skipped: Vec<&str> = warnings
        .iter()
        .filter(|w| w.code == "user_row_skipped")
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(skipped.len(), 1, "{warnings:?}");
    assert!(skipped[0].contains("t-a-u0"), "{skipped:?}");
}

/// An incomplete or empty tenant listing never marks known tenants `not_listed`; a complete one
/// does, and never deletes them.
async fn discovery_marks_not_listed_only_after_a_complete_listing<S: Harness>(store: S) {
    use entra_core::model::TenantStatus;
    let engine = estate(store, false).await;
    let status = |tenants: Vec<ManagedTenant>, id: &str| {
        tenants
            .into_iter()
            .find(|t| t.entra_tenant_id == id)
            .map(|t| t.status)
    };

    engine.provider().cut_tenant_listing(Some(1));
    let partial = engine.discover().await.unwrap();
    assert!(!partial.listing_complete);
    assert!(partial.merge.not_listed.is_empty());
    engine.provider().cut_tenant_listing(Some(0));
    let empty = engine.discover().await.unwrap();
    assert!(empty.merge.not_listed.is_empty(), "{:?}", empty.merge);
    let tenants = engine.store().load_tenants().await.unwrap();
    assert_eq!(tenants.len(), 3);
    assert!(tenants.iter().all(|t| t.status != TenantStatus::NotListed));

    // A complete listing without t-c marks it not_listed; it stays stored and is not synced.
    engine.provider().cut_tenant_listing(None);
    engine.provider().remove_tenant("t-c");
    let whole = engine.discover().await.unwrap();
    assert!(whole.listing_complete);
    let tenants = engine.store().load_tenants().await.unwrap();
    assert_eq!(tenants.len(), 3, "nothing is deleted");
    assert_eq!(status(tenants, "t-c"), Some(TenantStatus::NotListed));
    let run = engine.sync_all(keyed("after-discovery")).await.unwrap();
    assert_eq!(run.results.len(), 2);
    assert!(run.results.iter().all(|r| r.entra_tenant_id != "t-c"));
}

for_each_store!(
    delta_rounds_and_resync,
    half_failed_listing_inactivates_nobody,
    unreadable_rows_are_reported_and_inactivate_nobody,
    discovery_marks_not_listed_only_after_a_complete_listing,
);
