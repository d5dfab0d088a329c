//! The whole story of the quickstart, asserted: the sync engine over the loopback sandbox, with
//! the Graph and the CIPP providers, against the in-memory and the SQLite stores, plus faults,
//! overlapping runs and cancellation.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use entra_core::engine::{CancelToken, ProgressEvent, SyncAllOptions, SyncEngine, SyncOptions};
use entra_core::model::{Contact, InactiveSource};
use entra_core::provider::EntraProvider;
use entra_core::store::{
    ApplyFault, MemoryStore, QueueState, RunStatus, SqliteStore, SyncStore, TenantOutcome,
};
use entra_providers::sandbox::{
    Faults, Mutation, NewUser, Sandbox, SandboxConfig, TokenFault, UserKind,
};
use support::{TestResult, cipp, contact_of, graph, graph_paged, keyed, onboard};

async fn full_story<P: EntraProvider, S: SyncStore>(
    sandbox: &Sandbox,
    engine: SyncEngine<P, S>,
    expect_delta: bool,
) -> TestResult {
    let mapped = onboard(sandbox, &engine).await?;

    // A dry run plans everything and writes nothing.
    let before = engine.store().snapshot().await?;
    let dry = engine
        .sync_all(SyncAllOptions {
            sync: SyncOptions {
                dry_run: true,
                use_delta: true,
            },
            ..keyed("dry")
        })
        .await?;
    assert_eq!(dry.run.status, RunStatus::Completed);
    assert!(dry.run.counters.created > 0);
    assert_eq!(engine.store().snapshot().await?, before);

    let initial = engine.sync_all(keyed("initial")).await?;
    assert_eq!(
        initial.run.status,
        RunStatus::Completed,
        "{:?}",
        initial.results
    );
    assert_eq!(initial.run.counters.created, dry.run.counters.created);
    assert!(
        initial.run.counters.linked > 0,
        "{:?}",
        initial.run.counters
    );
    assert!(
        initial.run.counters.excluded > 0,
        "service accounts, guests, …"
    );

    // Upstream changes in the first mapped tenant.
    let tenant = mapped.first().ok_or("no mapped tenant")?.clone();
    let domain = sandbox
        .tenants()
        .into_iter()
        .find(|t| t.tenant_id == tenant)
        .ok_or("tenant")?
        .default_domain;
    let linked: BTreeSet<String> = engine
        .store()
        .snapshot()
        .await?
        .links
        .into_iter()
        .filter(|l| l.active && l.entra_tenant_id == tenant)
        .map(|l| l.entra_object_id)
        .collect();
    let people: Vec<_> = sandbox
        .users(&tenant)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person && u.account_enabled && linked.contains(&u.id))
        .collect();
    assert!(people.len() >= 3, "the estate has enough people");
    let (disabled, deleted, renamed) = (&people[0], &people[1], &people[2]);
    sandbox.mutate(Mutation::Disable {
        user_id: disabled.id.clone(),
    })?;
    sandbox.mutate(Mutation::HardDelete {
        user_id: deleted.id.clone(),
    })?;
    sandbox.mutate(Mutation::Rename {
        user_id: renamed.id.clone(),
        display_name: "Renamed Person".into(),
        given_name: None,
        surname: None,
    })?;
    let new_email = format!("renamed.person@{domain}");
    sandbox.mutate(Mutation::ChangeEmail {
        user_id: renamed.id.clone(),
        email: new_email.clone(),
    })?;
    let added = sandbox.mutate(Mutation::AddUser {
        tenant_id: tenant.clone(),
        user: NewUser {
            display_name: "Nora Newcomer".into(),
            given_name: Some("Nora".into()),
            surname: Some("Newcomer".into()),
            email: format!("nora.newcomer@{domain}"),
            job_title: None,
            account_enabled: true,
        },
    })?;
    // An existing CRM contact of the tenant's client that nobody matched: a new user gets its
    // address as an alias.
    let client = engine
        .store()
        .load_mapped_tenants()
        .await?
        .into_iter()
        .find(|m| m.entra_tenant_id == tenant)
        .and_then(|m| m.client_id)
        .ok_or("client")?;
    let mut legacy = Contact::new("crm-legacy", client.clone());
    legacy.email = Some(format!("pat.legacy@{domain}"));
    engine
        .store()
        .upsert_contacts(std::slice::from_ref(&legacy))
        .await?;
    let pat = sandbox.mutate(Mutation::AddUser {
        tenant_id: tenant.clone(),
        user: NewUser {
            display_name: "Patricia Legacy".into(),
            given_name: None,
            surname: None,
            email: format!("patricia.legacy@{domain}"),
            job_title: None,
            account_enabled: true,
        },
    })?;
    sandbox.mutate(Mutation::AddAlias {
        user_id: pat.clone(),
        address: format!("pat.legacy@{domain}"),
    })?;

    let second = engine.sync_all(keyed("second")).await?;
    assert_eq!(
        second.run.status,
        RunStatus::Completed,
        "{:?}",
        second.results
    );
    let result = second
        .results
        .iter()
        .find(|r| r.entra_tenant_id == tenant)
        .ok_or("result")?;
    if expect_delta {
        assert_eq!(result.mode, Some(entra_core::store::ListingMode::Delta));
    }
    let c = result.counters;
    assert_eq!(c.inactivated, 2, "{c:?}");
    assert_eq!(c.created, 1, "{c:?}");
    assert_eq!(c.linked, 1, "{c:?}");
    assert!(c.updated >= 1, "{c:?}");

    let (contact, active) = contact_of(engine.store(), &tenant, &disabled.id).await?;
    assert!(
        contact.is_inactive && active,
        "disabled: inactive, link kept"
    );
    assert_eq!(contact.inactive_source, Some(InactiveSource::EntraSync));
    let (contact, active) = contact_of(engine.store(), &tenant, &deleted.id).await?;
    assert!(
        contact.is_inactive && !active,
        "deleted: inactive, link closed"
    );
    let (contact, _) = contact_of(engine.store(), &tenant, &renamed.id).await?;
    assert_eq!(contact.full_name.as_deref(), Some("Renamed Person"));
    assert_eq!(contact.email.as_deref(), Some(new_email.as_str()));
    let (contact, _) = contact_of(engine.store(), &tenant, &added).await?;
    assert_eq!(contact.full_name.as_deref(), Some("Nora Newcomer"));
    let (contact, active) = contact_of(engine.store(), &tenant, &pat).await?;
    assert_eq!(contact.contact_id, "crm-legacy");
    assert!(active);

    // Idempotency: a third sync changes nothing.
    let third = engine.sync_all(keyed("third")).await?;
    let c = third.run.counters;
    assert_eq!(
        (c.created, c.linked, c.updated, c.inactivated, c.reactivated),
        (0, 0, 0, 0, 0),
        "{c:?}"
    );
    // Operator decisions stick: dismissing every open item empties the queue for good.
    let open: Vec<_> = engine
        .store()
        .load_queue(None)
        .await?
        .into_iter()
        .filter(|i| i.state == QueueState::Open)
        .collect();
    for item in &open {
        engine
            .store()
            .resolve_queue_item(
                &item.entra_tenant_id,
                &entra_core::model::Resolution {
                    entra_object_id: item.entra_object_id.clone(),
                    decision: entra_core::model::ResolutionDecision::Dismissed,
                    contact_id: None,
                },
            )
            .await?;
    }
    let fourth = engine.sync_all(keyed("fourth")).await?;
    assert_eq!(fourth.run.status, RunStatus::Completed);
    assert!(
        engine
            .store()
            .load_queue(None)
            .await?
            .iter()
            .all(|i| i.state != QueueState::Open)
    );
    Ok(())
}

#[tokio::test]
async fn graph_story_with_sqlite() -> TestResult {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("sync.sqlite"))?;
    full_story(&sandbox, SyncEngine::new(graph(&sandbox)?, store), true).await
}

#[tokio::test]
async fn graph_story_with_memory() -> TestResult {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    full_story(
        &sandbox,
        SyncEngine::new(graph(&sandbox)?, MemoryStore::new()),
        true,
    )
    .await
}

#[tokio::test]
async fn cipp_story_with_sqlite() -> TestResult {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let store = SqliteStore::open_in_memory()?;
    full_story(&sandbox, SyncEngine::new(cipp(&sandbox)?, store), false).await
}

#[tokio::test]
async fn faults_stay_within_their_tenant() -> TestResult {
    let sandbox = Sandbox::start(SandboxConfig {
        tenants: 10,
        crm_clients: 10,
        ..SandboxConfig::default()
    })
    .await?;
    // Small pages, so a listing can fail after its first page.
    let engine = SyncEngine::new(graph_paged(&sandbox, 5)?, SqliteStore::open_in_memory()?);
    let mapped = onboard(&sandbox, &engine).await?;
    assert!(mapped.len() >= 4, "{mapped:?}");
    let initial = engine.sync_all(keyed("initial")).await?;
    assert_eq!(initial.run.status, RunStatus::Completed);

    // Throttling everywhere (retried), no consent in one tenant, a listing failing half-way in
    // another, and a store failure in the middle of a third tenant's write.
    let (no_consent, half, broken_store) = (&mapped[0], &mapped[1], &mapped[2]);
    for person in sandbox
        .users(half)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person)
        .take(3)
    {
        sandbox.mutate(Mutation::HardDelete { user_id: person.id })?;
    }
    sandbox.set_faults(Faults {
        graph_throttle_rate: 0.2,
        retry_after_secs: 0,
        token_errors: [(no_consent.clone(), TokenFault::ConsentMissing)].into(),
        failing_page: [(half.clone(), 1)].into(),
        ..Faults::default()
    });
    // Cached access tokens stop working, so the consent failure shows on the next token request.
    sandbox.revoke_access_tokens();
    let before = engine.store().snapshot().await?;
    engine.store().set_apply_fault(Some(ApplyFault {
        entra_tenant_id: Some(broken_store.clone()),
        after_writes: 0,
    }));
    // A full listing this time (no delta), so a failing page matters.
    let report = engine
        .sync_all(SyncAllOptions {
            sync: SyncOptions {
                dry_run: false,
                use_delta: false,
            },
            ..keyed("faulty")
        })
        .await?;
    assert_eq!(
        report.run.status,
        RunStatus::Partial,
        "{:?}",
        report.results
    );
    let result = |t: &str| report.results.iter().find(|r| r.entra_tenant_id == t);
    let consent = result(no_consent).ok_or("no result")?;
    assert_eq!(consent.outcome, TenantOutcome::Failed);
    assert_eq!(
        consent.error.as_ref().map(|e| e.code.as_str()),
        Some("consent_required")
    );
    let halfway = result(half).ok_or("no result")?;
    assert!(!halfway.listing_complete);
    assert_eq!(
        halfway.counters.inactivated, 0,
        "no inactivation on a cut listing"
    );
    let broken = result(broken_store).ok_or("no result")?;
    assert_eq!(
        broken.error.as_ref().map(|e| e.code.as_str()),
        Some("injected_fault")
    );
    // Nothing of the failed tenants changed: their contacts and links are as before. The
    // tenants that were listed only moved their links' `lastSeenAt` (a touch, not a change).
    let after = engine.store().snapshot().await?;
    assert_eq!(after.contacts, before.contacts, "nothing was half-written");
    let unseen = |links: &[entra_core::model::ContactLink]| -> Vec<_> {
        links
            .iter()
            .cloned()
            .map(|mut l| {
                l.last_seen_at = None;
                l
            })
            .collect()
    };
    assert_eq!(unseen(&after.links), unseen(&before.links));
    let of = |links: &[entra_core::model::ContactLink], tenant: &str| -> Vec<_> {
        links
            .iter()
            .filter(|l| l.entra_tenant_id == tenant)
            .cloned()
            .collect()
    };
    for failed in [no_consent, broken_store] {
        assert_eq!(
            of(&after.links, failed),
            of(&before.links, failed),
            "the failed tenant {failed} was not touched"
        );
    }
    Ok(())
}

#[tokio::test]
async fn overlapping_runs_join_and_cancelled_runs_resume() -> TestResult {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let engine = SyncEngine::new(graph(&sandbox)?, SqliteStore::open_in_memory()?);
    let mapped = onboard(&sandbox, &engine).await?;
    sandbox.set_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });

    let first = engine.sync_all(keyed("double-click"));
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        engine.sync_all(keyed("double-click")).await
    };
    let (a, b) = tokio::join!(first, second);
    let (a, b) = (a?, b?);
    assert_eq!(a.run.run_id, b.run.run_id);
    assert!(b.joined && !a.joined);
    assert_eq!(a.run.status, RunStatus::Completed);
    assert_eq!(engine.store().snapshot().await?.runs.len(), 1);

    // Cancel after the first tenant finishes; resume with the same key.
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let options = SyncAllOptions {
        concurrency: 1,
        cancel: Some(cancel),
        progress: Some(Arc::new(move |e: &ProgressEvent| {
            if matches!(e, ProgressEvent::TenantFinished { .. }) {
                token.cancel();
            }
        })),
        ..keyed("nightly")
    };
    let cancelled = engine.sync_all(options).await?;
    assert_eq!(cancelled.run.status, RunStatus::Cancelled);
    assert_eq!(cancelled.results.len(), 1);
    let resumed = engine.sync_all(keyed("nightly")).await?;
    assert_eq!(resumed.run.run_id, cancelled.run.run_id);
    assert_eq!(resumed.run.status, RunStatus::Completed);
    assert_eq!(resumed.results.len(), mapped.len());
    assert_eq!(resumed.plans.len(), mapped.len() - 1);
    Ok(())
}

/// Group-scoped sync through the engine: an included group limits who becomes a contact; a user
/// leaving the scope has the link closed and the contact left as it is; a group listing that
/// breaks off unlinks and inactivates nobody and says why. Each run keeps the tenant's licence
/// summary with its result.
#[tokio::test]
async fn group_scope_and_licence_summary_through_the_engine() -> TestResult {
    use entra_core::filter::ExclusionReason;
    use entra_core::reconcile::{ActionKind, ActionReason};
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let store = SqliteStore::open_in_memory()?;
    let engine = SyncEngine::new(graph(&sandbox)?, store);
    let mapped = onboard(&sandbox, &engine).await?;
    let tenant = mapped.first().ok_or("nothing mapped")?.clone();
    let staff = sandbox.group_id(&tenant, "All Staff");
    let sales = sandbox.group_id(&tenant, "Sales");
    let staff_ids: BTreeSet<String> = sandbox
        .expected_group_members(&tenant, &staff)
        .ok_or("no All Staff")?
        .into_iter()
        .collect();
    let sales_ids: BTreeSet<String> = sandbox
        .expected_group_members(&tenant, &sales)
        .ok_or("no Sales")?
        .into_iter()
        .collect();
    let mut settings = engine.store().load_sync_settings(&tenant).await?;
    settings.filter.include_group_ids = vec![staff.clone()];
    engine
        .store()
        .save_sync_settings(&tenant, &settings)
        .await?;

    let first = engine.sync_all(keyed("groups-1")).await?;
    let plan = first
        .plans
        .iter()
        .find(|p| p.entra_tenant_id == tenant)
        .ok_or("no plan")?;
    for action in plan.actions.iter().filter(|a| a.kind == ActionKind::Create) {
        assert!(
            staff_ids.contains(&action.entra_object_id),
            "created outside the scope"
        );
    }
    assert!(
        plan.excluded
            .iter()
            .any(|e| e.reason == ExclusionReason::NotInIncludedGroup)
    );
    let result = first
        .results
        .iter()
        .find(|r| r.entra_tenant_id == tenant)
        .ok_or("no result")?;
    let summary = result
        .license_summary
        .as_ref()
        .ok_or("no licence summary")?;
    assert!(summary.totals.licensed_users > 0);
    assert!(summary.skus.iter().any(|s| s.sku_part_number == "SPB"));
    let stored = engine
        .store()
        .load_tenant_results(&first.run.run_id)
        .await?;
    assert_eq!(
        stored
            .iter()
            .find(|r| r.entra_tenant_id == tenant)
            .and_then(|r| r.license_summary.as_ref()),
        Some(summary),
        "the summary is kept with the run"
    );

    // Narrow the scope to `Sales`, but the listing breaks off: nobody is unlinked.
    settings.filter.include_group_ids = vec![sales.clone()];
    engine
        .store()
        .save_sync_settings(&tenant, &settings)
        .await?;
    sandbox.update_faults(|f| {
        f.failing_group_page.insert(sales.clone(), 0);
    });
    let broken = engine.sync_all(keyed("groups-2")).await?;
    let plan = broken
        .plans
        .iter()
        .find(|p| p.entra_tenant_id == tenant)
        .ok_or("no plan")?;
    assert!(
        !plan
            .actions
            .iter()
            .any(|a| matches!(a.kind, ActionKind::Unlink | ActionKind::Inactivate)),
        "{:?}",
        plan.actions
    );
    let result = broken
        .results
        .iter()
        .find(|r| r.entra_tenant_id == tenant)
        .ok_or("no result")?;
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.code == "group_listing_failed")
    );

    // The listing works again: users of `All Staff` outside `Sales` leave the scope.
    sandbox.update_faults(|f| f.failing_group_page.clear());
    let narrowed = engine.sync_all(keyed("groups-3")).await?;
    let plan = narrowed
        .plans
        .iter()
        .find(|p| p.entra_tenant_id == tenant)
        .ok_or("no plan")?;
    let unlinked: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Unlink)
        .map(|a| a.entra_object_id.as_str())
        .collect();
    assert!(!unlinked.is_empty());
    for id in &unlinked {
        assert!(!sales_ids.contains(*id), "{id} is still in scope");
        let (contact, active) = contact_of(engine.store(), &tenant, id).await?;
        assert!(!active, "the link is closed");
        assert!(!contact.is_inactive, "the contact is left as it is");
    }
    assert!(!plan.actions.iter().any(
        |a| a.reason == Some(ActionReason::LeftGroupScope) && a.kind == ActionKind::Inactivate
    ));
    Ok(())
}
