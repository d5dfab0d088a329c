//! One conformance suite for every `SyncStore`, written once and run against each store.

use entra_core::ids::{RunScope, RunTrigger};
use entra_core::model::{
    Client, Contact, ContactLink, EntraUser, ManagedTenant, MappingState, Resolution,
    ResolutionDecision, SyncSettings, TenantMapping, TenantStatus,
};
use entra_core::model::{ConnectionType, SettingSource, SettingsOverrides};
use entra_core::reconcile::{Counters, PlanInput, SyncPlan, plan_tenant_sync};
use entra_core::store::{AccountConnection, ConnectionStatus, DEFAULT_ACCOUNT_ID, StoreSnapshot};
use entra_core::store::{
    ApplyFault, MappingUpdate, MemoryStore, NonceStore, QueueItemKind, QueueObservation,
    QueueState, RunRecord, RunStart, RunStatus, SyncStore, TenantChanges, TenantOutcome,
    TenantRunResult, changes_from_plan,
};
use serde_json::json;

/// What the suite needs beyond the trait: a way to interrupt a plan write.
trait Harness: SyncStore + NonceStore {
    fn inject(&self, fault: Option<ApplyFault>);
}

impl Harness for MemoryStore {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.set_apply_fault(fault);
    }
}

#[cfg(feature = "sqlite")]
impl Harness for entra_core::store::SqliteStore {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.set_apply_fault(fault);
    }
}

fn contact(id: &str, client: &str, email: &str) -> Contact {
    let mut c = Contact::new(id, client);
    c.email = Some(email.to_string());
    c
}

fn link(tenant: &str, object: &str, contact: &str, active: bool) -> ContactLink {
    ContactLink {
        entra_tenant_id: tenant.into(),
        entra_object_id: object.into(),
        contact_id: contact.into(),
        client_id: Some("c1".into()),
        active,
        last_seen_at: None,
        last_synced_at: None,
        status: None,
    }
}

fn mapped(tenant: &str, client: &str) -> TenantMapping {
    TenantMapping {
        entra_tenant_id: tenant.into(),
        client_id: Some(client.into()),
        state: MappingState::Mapped,
        confirmed_at: Some("2026-01-01T00:00:00Z".into()),
        closed_at: None,
    }
}

fn changes(tenant: &str) -> TenantChanges {
    TenantChanges {
        entra_tenant_id: tenant.into(),
        contacts: vec![],
        links: vec![],
        queued: vec![],
        settled: vec![],
        expected: vec![],
    }
}

fn run(id: &str) -> RunRecord {
    RunRecord {
        run_id: id.into(),
        scope: RunScope::AllTenants,
        trigger: RunTrigger::Manual,
        entra_tenant_id: None,
        status: RunStatus::Running,
        started_at_ms: 1_000,
        finished_at_ms: None,
        heartbeat_at_ms: Some(1_000),
        tenants_total: 2,
        tenants_succeeded: 0,
        tenants_failed: 0,
        counters: Counters::default(),
        client_id: None,
        tenants_skipped: 0,
        error: None,
        discovery: None,
    }
}

fn result(run_id: &str, tenant: &str) -> TenantRunResult {
    TenantRunResult {
        run_id: run_id.into(),
        entra_tenant_id: tenant.into(),
        client_id: Some("c1".into()),
        outcome: TenantOutcome::Succeeded,
        mode: None,
        listing_complete: true,
        dry_run: false,
        counters: Counters::default(),
        warnings: vec![],
        error: None,
        duration_ms: 5,
        finished_at_ms: 2_000,
        license_summary: None,
        skip_reason: None,
    }
}

async fn tenants_are_upserted_and_never_deleted<S: Harness>(store: &S) {
    let mut a = ManagedTenant::new("t-b");
    a.display_name = Some("Beta".into());
    store
        .upsert_tenants(&[a.clone(), ManagedTenant::new("t-a")])
        .await
        .unwrap();
    a.status = TenantStatus::NotListed;
    store.upsert_tenants(&[a.clone()]).await.unwrap();
    let tenants = store.load_tenants().await.unwrap();
    let ids: Vec<&str> = tenants.iter().map(|t| t.entra_tenant_id.as_str()).collect();
    assert_eq!(ids, ["t-a", "t-b"]);
    assert_eq!(tenants[1], a);

    store
        .upsert_clients(&[Client {
            client_id: "c1".into(),
            client_name: Some("Contoso".into()),
            domains: vec!["contoso.com".into()],
            secondary_domains: vec![],
        }])
        .await
        .unwrap();
    assert_eq!(store.load_clients().await.unwrap().len(), 1);
}

async fn mapping_changes_keep_history<S: Harness>(store: &S) {
    let update = |m: Option<TenantMapping>, at: &str| MappingUpdate {
        entra_tenant_id: "t1".into(),
        mapping: m,
        changed_at: at.into(),
    };
    store
        .write_mapping_changes(&[
            update(Some(mapped("t1", "c1")), "2026-01-01T00:00:00Z"),
            MappingUpdate {
                entra_tenant_id: "t2".into(),
                mapping: Some(TenantMapping {
                    entra_tenant_id: "t2".into(),
                    client_id: None,
                    state: MappingState::Skipped,
                    confirmed_at: None,
                    closed_at: None,
                }),
                changed_at: "2026-01-01T00:00:00Z".into(),
            },
        ])
        .await
        .unwrap();
    store
        .write_mapping_changes(&[update(Some(mapped("t1", "c2")), "2026-01-02T00:00:00Z")])
        .await
        .unwrap();
    assert_eq!(store.load_mappings().await.unwrap().len(), 2);
    let mapped_now = store.load_mapped_tenants().await.unwrap();
    assert_eq!(mapped_now, vec![mapped("t1", "c2")]);

    store
        .write_mapping_changes(&[update(None, "2026-01-03T00:00:00Z")])
        .await
        .unwrap();
    assert!(store.load_mapped_tenants().await.unwrap().is_empty());
    let history = store.load_mapping_history("t1").await.unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0].mapping.client_id.as_deref(), Some("c1"));
    assert_eq!(
        history[0].closed_at.as_deref(),
        Some("2026-01-02T00:00:00Z")
    );
    assert_eq!(history[0].mapping.closed_at, history[0].closed_at);
    assert_eq!(history[1].mapping.client_id.as_deref(), Some("c2"));
    assert_eq!(
        history[1].closed_at.as_deref(),
        Some("2026-01-03T00:00:00Z")
    );

    // Updates of one batch apply in order; an invalid update refuses the whole batch.
    store
        .write_mapping_changes(&[
            update(Some(mapped("t1", "c1")), "2026-01-04T00:00:00Z"),
            update(Some(mapped("t1", "c3")), "2026-01-04T00:00:01Z"),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.load_mapped_tenants().await.unwrap(),
        vec![mapped("t1", "c3")]
    );
    assert_eq!(store.load_mapping_history("t1").await.unwrap().len(), 4);
    let before = store.snapshot().await.unwrap();
    let mut no_client = mapped("t3", "x");
    no_client.client_id = None;
    let err = store
        .write_mapping_changes(&[
            update(None, "2026-01-05T00:00:00Z"),
            MappingUpdate {
                entra_tenant_id: "t3".into(),
                mapping: Some(no_client),
                changed_at: "2026-01-05T00:00:00Z".into(),
            },
        ])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(store.snapshot().await.unwrap(), before);
}

async fn plan_contacts_cover_client_and_matching_addresses<S: Harness>(store: &S) {
    let mut alias = contact("k3", "c2", "other@elsewhere.com");
    alias.additional_emails = vec!["Jane@Contoso.com".into()];
    store
        .upsert_contacts(&[
            contact("k1", "c1", "a@contoso.com"),
            contact("k2", "c1", "b@contoso.com"),
            alias,
            contact("k4", "c2", "nobody@elsewhere.com"),
        ])
        .await
        .unwrap();
    let got = store
        .load_plan_contacts("c1", &["jane@contoso.com".into(), "a@contoso.com".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|c| c.contact_id.as_str()).collect();
    assert_eq!(ids, ["k1", "k2", "k3"]);

    // A changed address is re-indexed: the old one no longer finds the contact.
    store
        .upsert_contacts(&[contact("k3", "c2", "moved@elsewhere.com")])
        .await
        .unwrap();
    let got = store
        .load_plan_contacts("c1", &["jane@contoso.com".into()])
        .await
        .unwrap();
    assert!(got.iter().all(|c| c.contact_id != "k3"));
}

async fn plan_writes_are_all_or_nothing<S: Harness>(store: &S) {
    store
        .upsert_contacts(&[contact("k1", "c1", "a@contoso.com")])
        .await
        .unwrap();
    let mut first = changes("t1");
    first.contacts = vec![contact("k9", "c1", "new@contoso.com")];
    first.links = vec![link("t1", "u1", "k1", true), link("t1", "u9", "k9", true)];
    store.apply_changes(&first).await.unwrap();
    let links = store.load_plan_links("t1", &[]).await.unwrap();
    assert_eq!(links.len(), 2);

    // Links of other tenants come along only when they hold one of the named contacts.
    let mut other = changes("t2");
    other.contacts = vec![contact("k8", "c1", "x@contoso.com")];
    other.links = vec![link("t2", "v1", "k8", true)];
    store.apply_changes(&other).await.unwrap();
    let links = store
        .load_plan_links("t1", &["k8".into(), "k1".into()])
        .await
        .unwrap();
    assert_eq!(links.len(), 3, "{links:?}");

    // A second active link on a contact breaks the rules: nothing of the batch is written.
    let before = store.snapshot().await.unwrap();
    let mut bad = changes("t1");
    bad.contacts = vec![contact("k1", "c1", "changed@contoso.com")];
    bad.links = vec![link("t1", "u2", "k1", true)];
    let err = store.apply_changes(&bad).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(store.snapshot().await.unwrap(), before);

    // Closing the old link and opening a new one on the same contact in one batch is allowed.
    let mut moved = changes("t1");
    moved.links = vec![link("t1", "u1", "k1", false), link("t1", "u2", "k1", true)];
    store.apply_changes(&moved).await.unwrap();

    // A failure half-way through the write leaves the previous state intact.
    let before = store.snapshot().await.unwrap();
    let mut big = changes("t1");
    big.contacts = (0..5)
        .map(|i| contact(&format!("n{i}"), "c1", &format!("n{i}@contoso.com")))
        .collect();
    big.links = (0..5)
        .map(|i| link("t1", &format!("w{i}"), &format!("n{i}"), true))
        .collect();
    big.queued = vec![QueueObservation {
        entra_object_id: "amb".into(),
        kind: QueueItemKind::Ambiguous,
        reason: None,
        candidate_contact_ids: vec!["k1".into(), "k9".into()],
        display_name: Some("Amb Iguous".into()),
        user_principal_name: None,
    }];
    for after_writes in [0, 3, 7, 10] {
        store.inject(Some(ApplyFault {
            entra_tenant_id: Some("t1".into()),
            after_writes,
        }));
        let err = store.apply_changes(&big).await.unwrap_err();
        assert_eq!(err.code(), "injected_fault");
        assert_eq!(
            store.snapshot().await.unwrap(),
            before,
            "after {after_writes}"
        );
    }
    store.inject(None);
    store.apply_changes(&big).await.unwrap();
    let after = store.snapshot().await.unwrap();
    assert_eq!(after.contacts.len(), before.contacts.len() + 5);
    assert_eq!(after.queue.len(), before.queue.len() + 1);
}

async fn queue_decisions_stick<S: Harness>(store: &S) {
    let obs = |id: &str, kind| QueueObservation {
        entra_object_id: id.into(),
        kind,
        reason: Some("why".into()),
        candidate_contact_ids: vec!["k1".into(), "k2".into()],
        display_name: Some(format!("User {id}")),
        user_principal_name: Some(format!("{id}@contoso.com")),
    };
    let mut c = changes("tq");
    c.queued = vec![
        obs("u1", QueueItemKind::Ambiguous),
        obs("u2", QueueItemKind::Ambiguous),
        obs("u3", QueueItemKind::Conflict),
    ];
    store.apply_changes(&c).await.unwrap();
    let queue = store.load_queue(Some("tq")).await.unwrap();
    assert_eq!(queue.len(), 3);
    assert!(queue.iter().all(|i| i.state == QueueState::Open));

    store
        .resolve_queue_item(
            "tq",
            &Resolution {
                entra_object_id: "u1".into(),
                decision: ResolutionDecision::LinkExisting,
                contact_id: Some("k2".into()),
            },
        )
        .await
        .unwrap();
    store
        .resolve_queue_item(
            "tq",
            &Resolution {
                entra_object_id: "u2".into(),
                decision: ResolutionDecision::Dismissed,
                contact_id: None,
            },
        )
        .await
        .unwrap();
    let err = store
        .resolve_queue_item(
            "tq",
            &Resolution {
                entra_object_id: "u3".into(),
                decision: ResolutionDecision::LinkExisting,
                contact_id: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");

    // The next run queues the same identities again: decided ones stay decided; a settled
    // identity's open item is closed.
    let mut again = changes("tq");
    again.queued = vec![
        obs("u1", QueueItemKind::Ambiguous),
        obs("u2", QueueItemKind::Ambiguous),
    ];
    again.settled = vec!["u3".into()];
    store.apply_changes(&again).await.unwrap();
    let queue = store.load_queue(Some("tq")).await.unwrap();
    let states: Vec<(&str, QueueState)> = queue
        .iter()
        .map(|i| (i.entra_object_id.as_str(), i.state))
        .collect();
    assert_eq!(
        states,
        [
            ("u1", QueueState::Resolved),
            ("u2", QueueState::Dismissed),
            ("u3", QueueState::Resolved)
        ]
    );
    let resolutions = store.load_resolutions("tq").await.unwrap();
    assert_eq!(resolutions.len(), 2);
    assert_eq!(resolutions[0].contact_id.as_deref(), Some("k2"));
    assert_eq!(resolutions[1].decision, ResolutionDecision::Dismissed);
    assert!(store.load_resolutions("other").await.unwrap().is_empty());
}

async fn runs_are_never_overwritten<S: Harness>(store: &S) {
    let r = run("run-1");
    assert!(matches!(
        store.begin_run(&r).await.unwrap(),
        RunStart::Started(_)
    ));
    match store.begin_run(&r).await.unwrap() {
        RunStart::AlreadyRunning(existing) => assert_eq!(existing.run_id, "run-1"),
        other => panic!("expected already running, got {other:?}"),
    }
    store
        .record_tenant_result(&result("run-1", "t2"))
        .await
        .unwrap();
    store
        .record_tenant_result(&result("run-1", "t1"))
        .await
        .unwrap();
    let mut done = r.clone();
    done.status = RunStatus::Completed;
    done.finished_at_ms = Some(3_000);
    done.tenants_succeeded = 2;
    store.finish_run(&done).await.unwrap();
    assert_eq!(store.load_run("run-1").await.unwrap(), Some(done.clone()));

    // A finished run is left untouched by a later start, finish or result.
    match store.begin_run(&run("run-1")).await.unwrap() {
        RunStart::Finished(existing) => assert_eq!(existing, done),
        other => panic!("expected finished, got {other:?}"),
    }
    let mut later = done.clone();
    later.status = RunStatus::Failed;
    assert_eq!(
        store.finish_run(&later).await.unwrap_err().code(),
        "store_refused"
    );
    assert_eq!(
        store
            .record_tenant_result(&result("run-1", "t3"))
            .await
            .unwrap_err()
            .code(),
        "store_refused"
    );
    assert_eq!(store.load_run("run-1").await.unwrap(), Some(done));
    let results = store.load_tenant_results("run-1").await.unwrap();
    let tenants: Vec<&str> = results.iter().map(|r| r.entra_tenant_id.as_str()).collect();
    assert_eq!(tenants, ["t1", "t2"]);
    assert_eq!(
        store
            .record_tenant_result(&result("missing", "t1"))
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );

    // A cancelled run is reopened with its completed tenants kept.
    store.begin_run(&run("run-2")).await.unwrap();
    store
        .record_tenant_result(&result("run-2", "t1"))
        .await
        .unwrap();
    let mut cancelled = run("run-2");
    cancelled.status = RunStatus::Cancelled;
    store.finish_run(&cancelled).await.unwrap();
    let mut resume = run("run-2");
    resume.started_at_ms = 9_000;
    resume.heartbeat_at_ms = Some(9_000);
    match store.begin_run(&resume).await.unwrap() {
        RunStart::Resumed(existing) => {
            assert_eq!(existing.status, RunStatus::Running);
            assert_eq!(
                existing.started_at_ms, 1_000,
                "the start is the original one"
            );
            assert_eq!(
                existing.heartbeat_at_ms,
                Some(9_000),
                "the resume is the heartbeat"
            );
            assert_eq!(existing.finished_at_ms, None);
        }
        other => panic!("expected resumed, got {other:?}"),
    }
    assert_eq!(
        store
            .load_run("run-2")
            .await
            .unwrap()
            .unwrap()
            .heartbeat_at_ms,
        Some(9_000),
        "the heartbeat of a resumed run is stored"
    );
    assert_eq!(store.load_tenant_results("run-2").await.unwrap().len(), 1);
    assert!(store.load_run("nope").await.unwrap().is_none());
}

/// A live run's heartbeat only moves forward, and only while the run is running.
async fn run_heartbeats_move_a_running_run_forward_only<S: Harness>(store: &S) {
    store.begin_run(&run("beat")).await.unwrap();
    assert!(store.touch_run("beat", 5_000).await.unwrap());
    assert!(
        store.touch_run("beat", 3_000).await.unwrap(),
        "a late heartbeat is accepted"
    );
    let stored = store.load_run("beat").await.unwrap().unwrap();
    assert_eq!(
        stored.heartbeat_at_ms,
        Some(5_000),
        "but never moves it back"
    );
    assert_eq!(stored.status, RunStatus::Running);
    assert!(!store.touch_run("unknown-run", 6_000).await.unwrap());
    let mut done = stored.clone();
    done.status = RunStatus::Completed;
    done.finished_at_ms = Some(7_000);
    store.finish_run(&done).await.unwrap();
    assert!(
        !store.touch_run("beat", 8_000).await.unwrap(),
        "a finished run takes no heartbeat"
    );
    assert_eq!(store.load_run("beat").await.unwrap().unwrap(), done);
}

/// An OAuth nonce is accepted once; a replay is refused, an empty nonce is invalid input.
async fn nonces_are_consumed_once<S: Harness>(store: &S) {
    let far = entra_core::clock::now_ms() + 600_000;
    assert!(store.consume_nonce("nonce-1", far).await.unwrap());
    assert!(!store.consume_nonce("nonce-1", far).await.unwrap());
    assert!(store.consume_nonce("nonce-2", far).await.unwrap());
    assert_eq!(
        store.consume_nonce("  ", far).await.unwrap_err().code(),
        "invalid_input"
    );
}

async fn delta_links_and_settings<S: Harness>(store: &S) {
    assert_eq!(store.load_delta_link("t1").await.unwrap(), None);
    store
        .save_delta_link("t1", Some("https://graph/delta?token=1"))
        .await
        .unwrap();
    store
        .save_delta_link("t1", Some("https://graph/delta?token=2"))
        .await
        .unwrap();
    assert_eq!(
        store.load_delta_link("t1").await.unwrap().as_deref(),
        Some("https://graph/delta?token=2")
    );
    store.save_delta_link("t1", None).await.unwrap();
    assert_eq!(store.load_delta_link("t1").await.unwrap(), None);

    assert_eq!(
        store.load_sync_settings("t1").await.unwrap(),
        SyncSettings::default()
    );
    let mut settings = SyncSettings::default();
    settings.field_sync.job_title = true;
    settings.filter.custom_exclusion_patterns = vec!["^test-".into()];
    store.save_sync_settings("t1", &settings).await.unwrap();
    assert_eq!(store.load_sync_settings("t1").await.unwrap(), settings);
}

/// Plans tenant `tv` (client `cv`) from what `store` holds, the way the engine does.
async fn plan_from_store<S: Harness>(store: &S, users: &[EntraUser]) -> (PlanInput, SyncPlan) {
    let addresses: Vec<String> = users
        .iter()
        .flat_map(entra_core::store::user_addresses)
        .collect();
    let contacts = store.load_plan_contacts("cv", &addresses).await.unwrap();
    let ids: Vec<String> = contacts.iter().map(|c| c.contact_id.clone()).collect();
    let mut settings = SyncSettings::default();
    settings.field_sync.display_name = true;
    let input = PlanInput {
        entra_tenant_id: "tv".into(),
        client_id: "cv".into(),
        users: users.to_vec(),
        listing_complete: true,
        removed_object_ids: vec![],
        contacts,
        links: store.load_plan_links("tv", &ids).await.unwrap(),
        resolutions: vec![],
        settings,
        now: None,
        synced_by: None,
        group_memberships: Vec::new(),
    };
    let plan = plan_tenant_sync(&input).unwrap();
    (input, plan)
}

/// A contact someone else changes (or creates) between planning and applying is not
/// overwritten: it, its link and the settling of its identity wait for the next run, which
/// plans it again from what is stored. The rest of the plan is applied.
async fn a_contact_changed_since_planning_is_left_for_the_next_run<S: Harness>(store: &S) {
    store
        .upsert_contacts(&[
            contact("v1", "cv", "ann@versions.example"),
            contact("v2", "cv", "bob@versions.example"),
        ])
        .await
        .unwrap();
    let mut open = changes("tv");
    open.queued = vec![QueueObservation {
        entra_object_id: "ann".into(),
        kind: QueueItemKind::Conflict,
        reason: Some("duplicate_upstream_address".into()),
        candidate_contact_ids: vec![],
        display_name: None,
        user_principal_name: None,
    }];
    store.apply_changes(&open).await.unwrap();
    let user = |id: &str, name: &str| {
        let mut u = EntraUser::new("tv", id);
        u.email = Some(format!("{id}@versions.example"));
        u.display_name = Some(name.into());
        u
    };
    let users = [
        user("ann", "Ann Planned"),
        user("bob", "Bob Planned"),
        user("cat", "Cat New"),
    ];
    let (input, plan) = plan_from_store(store, &users).await;
    let created = plan
        .actions
        .iter()
        .find_map(|a| a.contact.as_ref())
        .expect("cat is created")
        .contact_id
        .clone();
    let planned = changes_from_plan(&input, &plan).unwrap();

    // Meanwhile an operator edits v1 and another writer inserts a contact with the created id.
    let mut edited = contact("v1", "cv", "ann@versions.example");
    edited.role = Some("Edited by hand".into());
    let mut squatter = contact(&created, "cv", "someone@versions.example");
    squatter.full_name = Some("Someone Else".into());
    store
        .upsert_contacts(&[edited.clone(), squatter.clone()])
        .await
        .unwrap();

    let applied = store.apply_changes(&planned).await.unwrap();
    let mut expected_skips = vec!["v1".to_string(), created.clone()];
    expected_skips.sort();
    assert_eq!(applied.skipped_contact_ids, expected_skips);
    let snap = store.snapshot().await.unwrap();
    let stored = |id: &str| snap.contacts.iter().find(|c| c.contact_id == id).cloned();
    assert_eq!(
        stored("v1"),
        Some(edited.clone()),
        "an edited contact was overwritten"
    );
    assert_eq!(
        stored(&created),
        Some(squatter),
        "a contact created meanwhile was overwritten"
    );
    assert_eq!(
        stored("v2").and_then(|c| c.full_name).as_deref(),
        Some("Bob Planned")
    );
    let active = |object: &str| {
        snap.links
            .iter()
            .any(|l| l.entra_tenant_id == "tv" && l.entra_object_id == object && l.active)
    };
    assert!(!active("ann") && !active("cat") && active("bob"));
    let queue = store.load_queue(Some("tv")).await.unwrap();
    assert_eq!(
        queue[0].state,
        QueueState::Open,
        "a skipped identity was settled"
    );

    // The next run plans v1 again from what is stored and keeps the operator's edit.
    let (input, plan) = plan_from_store(store, &users).await;
    let applied = store
        .apply_changes(&changes_from_plan(&input, &plan).unwrap())
        .await
        .unwrap();
    assert!(applied.skipped_contact_ids.is_empty());
    let snap = store.snapshot().await.unwrap();
    let v1 = snap.contacts.iter().find(|c| c.contact_id == "v1").unwrap();
    assert_eq!(v1.full_name.as_deref(), Some("Ann Planned"));
    assert_eq!(v1.role.as_deref(), Some("Edited by hand"));
    let queue = store.load_queue(Some("tv")).await.unwrap();
    assert_eq!(queue[0].state, QueueState::Resolved);
}

/// What `apply_plan` outputs as sync metadata is what the store gives back to the next plan:
/// who synced a contact and when, its upstream state and sync status, and a link's status and
/// times. A re-run with no upstream change writes only the seen links' `lastSeenAt`.
async fn sync_metadata_is_persisted<S: Harness>(store: &S) {
    store
        .upsert_contacts(&[contact("m1", "cv", "ann@meta.example")])
        .await
        .unwrap();
    let mut ann = EntraUser::new("tv", "meta-ann");
    ann.email = Some("ann@meta.example".into());
    ann.display_name = Some("Ann".into());
    let (mut input, _) = plan_from_store(store, std::slice::from_ref(&ann)).await;
    input.now = Some("2026-12-03T15:00:00.000Z".into());
    input.synced_by = Some("entra-sync:direct".into());
    let plan = plan_tenant_sync(&input).unwrap();
    let changes = changes_from_plan(&input, &plan).unwrap();
    store.apply_changes(&changes).await.unwrap();

    let (stored, _) = plan_from_store(store, std::slice::from_ref(&ann)).await;
    let contact = stored
        .contacts
        .iter()
        .find(|c| c.contact_id == "m1")
        .unwrap();
    assert_eq!(contact.last_synced_by.as_deref(), Some("entra-sync:direct"));
    assert_eq!(
        contact.last_synced_at.as_deref(),
        Some("2026-12-03T15:00:00.000Z")
    );
    assert_eq!(contact.upstream_enabled, Some(true));
    assert_eq!(
        contact.sync_status.map(|s| s.status),
        Some(entra_core::model::SyncState::Active)
    );
    let link = stored
        .links
        .iter()
        .find(|l| l.entra_object_id == "meta-ann")
        .unwrap();
    assert_eq!(link.status, Some(entra_core::model::LinkStatus::Active));
    assert_eq!(
        link.last_synced_at.as_deref(),
        Some("2026-12-03T15:00:00.000Z")
    );
    assert_eq!(
        link.last_seen_at.as_deref(),
        Some("2026-12-03T15:00:00.000Z")
    );

    let mut again = stored.clone();
    again.now = Some("2026-12-04T15:00:00.000Z".into());
    let plan = plan_tenant_sync(&again).unwrap();
    assert!(
        plan.actions.is_empty(),
        "a re-run plans nothing: {:?}",
        plan.actions
    );
    let changes = changes_from_plan(&again, &plan).unwrap();
    assert!(changes.contacts.is_empty());
    assert!(changes.expected.is_empty());
    store.apply_changes(&changes).await.unwrap();
    let (stored, _) = plan_from_store(store, std::slice::from_ref(&ann)).await;
    let link = stored
        .links
        .iter()
        .find(|l| l.entra_object_id == "meta-ann")
        .unwrap();
    assert_eq!(
        link.last_seen_at.as_deref(),
        Some("2026-12-04T15:00:00.000Z")
    );
    assert_eq!(
        link.last_synced_at.as_deref(),
        Some("2026-12-03T15:00:00.000Z")
    );
}

/// Runs every case against fresh stores from `make`, and returns the snapshot of a store after a
/// fixed script so that stores can be compared with each other.
async fn run_suite<S: Harness>(make: impl Fn() -> S) -> entra_core::store::StoreSnapshot {
    tenants_are_upserted_and_never_deleted(&make()).await;
    mapping_changes_keep_history(&make()).await;
    plan_contacts_cover_client_and_matching_addresses(&make()).await;
    plan_writes_are_all_or_nothing(&make()).await;
    queue_decisions_stick(&make()).await;
    runs_are_never_overwritten(&make()).await;
    delta_links_and_settings(&make()).await;
    run_heartbeats_move_a_running_run_forward_only(&make()).await;
    nonces_are_consumed_once(&make()).await;
    a_contact_changed_since_planning_is_left_for_the_next_run(&make()).await;
    sync_metadata_is_persisted(&make()).await;
    settings_resolve_in_layers(&make()).await;
    connections_keep_history_with_one_active(&make()).await;

    let store = make();
    tenants_are_upserted_and_never_deleted(&store).await;
    mapping_changes_keep_history(&store).await;
    plan_contacts_cover_client_and_matching_addresses(&store).await;
    plan_writes_are_all_or_nothing(&store).await;
    queue_decisions_stick(&store).await;
    runs_are_never_overwritten(&store).await;
    delta_links_and_settings(&store).await;
    a_contact_changed_since_planning_is_left_for_the_next_run(&store).await;
    settings_resolve_in_layers(&store).await;
    connections_keep_history_with_one_active(&store).await;
    store.snapshot().await.unwrap()
}

#[tokio::test]
async fn memory_store_conforms() {
    run_suite(MemoryStore::new).await;
}

#[tokio::test]
async fn memory_store_accounts_are_isolated() {
    let shared = MemoryStore::new();
    let other = shared.account("acme").unwrap();
    assert_eq!(shared.account_id(), DEFAULT_ACCOUNT_ID);
    accounts_are_isolated(&shared, &other).await;
    // Reopening an account over the same memory sees its records again.
    let again = other.account("acme").unwrap();
    assert_eq!(
        again.load_run("r1").await.unwrap().unwrap().status,
        RunStatus::Completed
    );
}

#[tokio::test]
async fn account_ids_are_checked_when_a_store_is_opened() {
    for bad in ["", "  ", " acme", "a\nb"] {
        let err = MemoryStore::for_account(bad).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{bad:?}");
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use entra_core::store::SqliteStore;

    #[tokio::test]
    async fn sqlite_store_conforms_in_memory() {
        run_suite(|| SqliteStore::open_in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn sqlite_store_conforms_on_disk_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let path_of = |i: usize| dir.path().join(format!("store-{i}.sqlite"));
        let snapshot = run_suite(|| {
            let i = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            SqliteStore::open(path_of(i)).unwrap()
        })
        .await;
        let last = counter.load(std::sync::atomic::Ordering::SeqCst) - 1;
        let reopened = SqliteStore::open(path_of(last)).unwrap();
        assert_eq!(reopened.snapshot().await.unwrap(), snapshot);
    }

    #[tokio::test]
    async fn a_consumed_nonce_stays_consumed_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nonces.sqlite");
        let far = entra_core::clock::now_ms() + 600_000;
        assert!(
            SqliteStore::open(&path)
                .unwrap()
                .consume_nonce("n", far)
                .await
                .unwrap()
        );
        let reopened = SqliteStore::open(&path).unwrap();
        assert!(!reopened.consume_nonce("n", far).await.unwrap());
        // An expired nonce is pruned when the next one is consumed.
        assert!(reopened.consume_nonce("old", 1).await.unwrap());
        assert!(reopened.consume_nonce("new", far).await.unwrap());
        assert_eq!(reopened.remembered_nonces().unwrap(), 2);
    }

    #[tokio::test]
    async fn sqlite_store_accounts_are_isolated_in_one_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.sqlite");
        let a = SqliteStore::open_for_account(&path, "acme").unwrap();
        let b = SqliteStore::open_for_account(&path, "globex").unwrap();
        accounts_are_isolated(&a, &b).await;
        // The default account is one more namespace of the same file.
        let default = SqliteStore::open(&path).unwrap();
        assert_eq!(default.snapshot().await.unwrap(), StoreSnapshot::default());
        assert_eq!(default.remembered_nonces().unwrap(), 0);
        assert_eq!(a.remembered_nonces().unwrap(), 1);
        let err = SqliteStore::open_for_account(&path, " ").unwrap_err();
        assert_eq!(err.code(), "invalid_input");
    }

    #[tokio::test]
    async fn sqlite_and_memory_end_in_the_same_state() {
        let memory = run_suite(MemoryStore::new).await;
        let sqlite = run_suite(|| SqliteStore::open_in_memory().unwrap()).await;
        assert_eq!(memory, sqlite);
    }
}

/// Settings resolve field by field: built-in defaults, the account's defaults, the tenant's
/// overrides; a full settings record saved for a tenant overrides every field.
async fn settings_resolve_in_layers<S: Harness>(store: &S) {
    let layer = |v: serde_json::Value| SettingsOverrides::from_json(&v).unwrap();
    assert_eq!(
        store.load_settings_overrides(None).await.unwrap(),
        SettingsOverrides::default()
    );
    store
        .save_settings_overrides(
            None,
            &layer(json!({"syncEnabled": false, "syncIntervalMinutes": 60})),
        )
        .await
        .unwrap();
    store
        .save_settings_overrides(Some("tl"), &layer(json!({"syncIntervalMinutes": 15})))
        .await
        .unwrap();
    // (tenant, field, value, source)
    let cases = [
        (
            "tl",
            "syncIntervalMinutes",
            json!(15),
            SettingSource::Tenant,
        ),
        ("tl", "syncEnabled", json!(false), SettingSource::Account),
        (
            "tl",
            "allowMassInactivation",
            json!(false),
            SettingSource::Default,
        ),
        (
            "other",
            "syncIntervalMinutes",
            json!(60),
            SettingSource::Account,
        ),
    ];
    for (tenant, field, value, source) in cases {
        let resolved = store.resolve_sync_settings(tenant).await.unwrap();
        let got = &resolved.fields[field];
        assert_eq!(
            (&got.value, got.source),
            (&value, source),
            "{tenant} {field}"
        );
    }
    let effective = store.load_sync_settings("tl").await.unwrap();
    assert!(!effective.sync_enabled);
    assert_eq!(effective.sync_interval_minutes, 15);

    // An out-of-range value is refused and nothing changes.
    let bad = SettingsOverrides {
        sync_interval_minutes: Some(4),
        ..SettingsOverrides::default()
    };
    let err = store
        .save_settings_overrides(Some("tl"), &bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(
        store
            .load_sync_settings("tl")
            .await
            .unwrap()
            .sync_interval_minutes,
        15
    );
    // An empty layer forgets the tenant's overrides.
    store
        .save_settings_overrides(Some("tl"), &SettingsOverrides::default())
        .await
        .unwrap();
    assert_eq!(
        store.resolve_sync_settings("tl").await.unwrap().fields["syncIntervalMinutes"].source,
        SettingSource::Account
    );
}

fn connection(id: &str, kind: ConnectionType, status: ConnectionStatus) -> AccountConnection {
    AccountConnection {
        connection_id: id.into(),
        connection_type: kind,
        status,
        connected_at: Some("2026-01-01T00:00:00Z".into()),
        disconnected_at: None,
        last_validated_at: None,
        last_validation: None,
    }
}

/// At most one active connection; a disconnected one stays in the history and is never reopened.
async fn connections_keep_history_with_one_active<S: Harness>(store: &S) {
    assert_eq!(store.load_active_connection().await.unwrap(), None);
    let direct = connection(
        "direct-1",
        ConnectionType::Direct,
        ConnectionStatus::Connected,
    );
    store.save_account_connection(&direct).await.unwrap();
    let mut failed = direct.clone();
    failed.status = ConnectionStatus::ValidationFailed;
    failed.last_validation = Some(json!({"ok": false, "checks": []}));
    store.save_account_connection(&failed).await.unwrap();
    assert_eq!(
        store.load_active_connection().await.unwrap(),
        Some(failed.clone())
    );

    // (record, expected error code) written while direct-1 is active
    let cases = [
        (
            connection("cipp-2", ConnectionType::Cipp, ConnectionStatus::Connected),
            "store_refused",
        ),
        (
            connection("", ConnectionType::Cipp, ConnectionStatus::Disconnected),
            "invalid_input",
        ),
    ];
    for (record, code) in cases {
        let err = store.save_account_connection(&record).await.unwrap_err();
        assert_eq!(err.code(), code, "{record:?}");
    }

    let mut closed = failed.clone();
    closed.status = ConnectionStatus::Disconnected;
    closed.disconnected_at = Some("2026-01-02T00:00:00Z".into());
    store.save_account_connection(&closed).await.unwrap();
    let reopen = store.save_account_connection(&direct).await.unwrap_err();
    assert_eq!(reopen.code(), "store_refused");
    let cipp = connection("cipp-2", ConnectionType::Cipp, ConnectionStatus::Connected);
    store.save_account_connection(&cipp).await.unwrap();
    assert_eq!(
        store.load_connection_history().await.unwrap(),
        vec![closed, cipp.clone()]
    );
    assert_eq!(store.load_active_connection().await.unwrap(), Some(cipp));
}

/// Writes one of every record kind through `store`.
async fn fill_account<S: Harness>(store: &S) {
    store
        .upsert_tenants(&[ManagedTenant::new("t1")])
        .await
        .unwrap();
    store
        .upsert_clients(&[Client {
            client_id: "c1".into(),
            client_name: Some("Contoso".into()),
            domains: vec!["contoso.com".into()],
            secondary_domains: vec![],
        }])
        .await
        .unwrap();
    store
        .write_mapping_changes(&[MappingUpdate {
            entra_tenant_id: "t1".into(),
            mapping: Some(mapped("t1", "c1")),
            changed_at: "2026-01-01T00:00:00Z".into(),
        }])
        .await
        .unwrap();
    let mut c = changes("t1");
    c.contacts = vec![contact("k1", "c1", "ada@contoso.com")];
    c.links = vec![link("t1", "u1", "k1", true)];
    c.queued = vec![QueueObservation {
        entra_object_id: "u2".into(),
        kind: QueueItemKind::Ambiguous,
        reason: None,
        candidate_contact_ids: vec!["k1".into()],
        display_name: None,
        user_principal_name: None,
    }];
    store.apply_changes(&c).await.unwrap();
    assert!(matches!(
        store.begin_run(&run("r1")).await.unwrap(),
        RunStart::Started(_)
    ));
    store
        .record_tenant_result(&result("r1", "t1"))
        .await
        .unwrap();
    store
        .save_delta_link("t1", Some("https://graph/delta?1"))
        .await
        .unwrap();
    store
        .save_settings_overrides(
            None,
            &SettingsOverrides {
                sync_enabled: Some(false),
                ..SettingsOverrides::default()
            },
        )
        .await
        .unwrap();
    store
        .save_sync_settings("t1", &SyncSettings::default())
        .await
        .unwrap();
    store
        .save_account_connection(&connection(
            "direct-1",
            ConnectionType::Direct,
            ConnectionStatus::Connected,
        ))
        .await
        .unwrap();
    let far = entra_core::clock::now_ms() + 600_000;
    assert!(store.consume_nonce("n1", far).await.unwrap());
}

/// Two stores over one backing for different accounts: neither reads nor writes the other's
/// records, even with the same ids (tenants, contacts, links, runs, nonces).
async fn accounts_are_isolated<S: Harness>(a: &S, b: &S) {
    assert_ne!(a.account_id(), b.account_id());
    fill_account(a).await;
    let a_before = a.snapshot().await.unwrap();
    assert_eq!(a_before.runs.len(), 1);

    // B sees nothing of A.
    assert_eq!(b.snapshot().await.unwrap(), StoreSnapshot::default());
    assert!(b.load_tenants().await.unwrap().is_empty());
    assert!(b.load_mapped_tenants().await.unwrap().is_empty());
    assert!(b.load_mapping_history("t1").await.unwrap().is_empty());
    assert!(
        b.load_plan_contacts("c1", &["ada@contoso.com".into()])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        b.load_plan_links("t1", &["k1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(b.load_queue(None).await.unwrap().is_empty());
    assert_eq!(b.load_run("r1").await.unwrap(), None);
    assert!(b.load_tenant_results("r1").await.unwrap().is_empty());
    assert!(!b.touch_run("r1", 5_000).await.unwrap());
    assert_eq!(b.load_delta_link("t1").await.unwrap(), None);
    assert_eq!(
        b.load_sync_settings("t1").await.unwrap(),
        SyncSettings::default()
    );
    assert_eq!(b.load_active_connection().await.unwrap(), None);

    // B writes the same ids as its own, without tripping A's uniqueness rules.
    fill_account(b).await;
    let err = b
        .finish_run(&RunRecord {
            status: RunStatus::Completed,
            ..run("r-of-nobody")
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    let moved = contact("k1", "c9", "grace@contoso.com");
    b.upsert_contacts(&[moved]).await.unwrap();
    b.finish_run(&RunRecord {
        status: RunStatus::Completed,
        finished_at_ms: Some(3_000),
        ..run("r1")
    })
    .await
    .unwrap();

    // A is exactly as it was.
    assert_eq!(a.snapshot().await.unwrap(), a_before);
    assert_eq!(
        a.load_run("r1").await.unwrap().unwrap().status,
        RunStatus::Running
    );
    assert_eq!(
        a.load_plan_contacts("c1", &[]).await.unwrap()[0]
            .email
            .as_deref(),
        Some("ada@contoso.com")
    );
}
