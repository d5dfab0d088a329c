//! Operators' resolutions and per-tenant settings feeding later runs.

use super::*;

/// Operators' answers are fed to the planner on every later run and stick; a dismissed identity
/// is never queued again; each tenant's own settings drive its plan.
async fn resolutions_and_settings_drive_later_runs<S: Harness>(store: S) {
    use entra_core::model::{Resolution, ResolutionDecision};
    use entra_core::store::QueueState;
    let engine = estate(store, false).await;
    let mut extra = Vec::new();
    for (who, other) in [("jane", "jd"), ("zed", "zz")] {
        let mut u = user(
            "t-a",
            &format!("t-a-{who}"),
            who,
            &format!("{who}@a.example"),
        );
        u.other_mails = vec![format!("{other}@gmail.com")];
        engine.provider().put_user(u);
        let mut by_mail = Contact::new(format!("k-{who}-1"), "c-a");
        by_mail.email = Some(format!("{who}@a.example"));
        let mut by_other = Contact::new(format!("k-{who}-2"), "c-a");
        by_other.email = Some(format!("{other}@gmail.com"));
        extra.extend([by_mail, by_other]);
    }
    engine.store().upsert_contacts(&extra).await.unwrap();
    let lenient = entra_core::model::SyncSettings {
        mark_inactive_when_disabled: false,
        ..entra_core::model::SyncSettings::default()
    };
    engine
        .store()
        .save_sync_settings("t-b", &lenient)
        .await
        .unwrap();

    let first = engine.sync_all(keyed("queue-1")).await.unwrap();
    assert_eq!(first.run.counters.ambiguous, 2, "{:?}", first.run.counters);
    let open = engine.store().load_queue(Some("t-a")).await.unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|i| i.state == QueueState::Open));

    engine
        .store()
        .resolve_queue_item(
            "t-a",
            &Resolution {
                entra_object_id: "t-a-jane".into(),
                decision: ResolutionDecision::LinkExisting,
                contact_id: Some("k-jane-2".into()),
            },
        )
        .await
        .unwrap();
    engine
        .store()
        .resolve_queue_item(
            "t-a",
            &Resolution {
                entra_object_id: "t-a-zed".into(),
                decision: ResolutionDecision::Dismissed,
                contact_id: None,
            },
        )
        .await
        .unwrap();
    // Both users' accounts are disabled upstream in t-b and t-c: only t-c inactivates.
    engine
        .provider()
        .update_user("t-b", "t-b-u0", |u| u.account_enabled = false);
    engine
        .provider()
        .update_user("t-c", "t-c-u0", |u| u.account_enabled = false);

    for key in ["queue-2", "queue-3"] {
        let run = engine.sync_all(keyed(key)).await.unwrap();
        let a = result_of(&run.results, "t-a");
        assert_eq!(a.counters.ambiguous, 0, "{key}: {:?}", a.counters);
        let snapshot = engine.store().snapshot().await.unwrap();
        let jane: Vec<_> = snapshot
            .links
            .iter()
            .filter(|l| l.entra_object_id == "t-a-jane" && l.active)
            .collect();
        assert_eq!(jane.len(), 1, "{key}");
        assert_eq!(jane[0].contact_id, "k-jane-2", "{key}: the chosen contact");
        assert!(
            !snapshot
                .links
                .iter()
                .any(|l| l.entra_object_id == "t-a-zed"),
            "{key}: a dismissed user is neither linked nor created"
        );
        let queue = engine.store().load_queue(Some("t-a")).await.unwrap();
        let state_of = |id: &str| {
            queue
                .iter()
                .find(|i| i.entra_object_id == id)
                .map(|i| i.state)
        };
        assert_eq!(state_of("t-a-jane"), Some(QueueState::Resolved), "{key}");
        assert_eq!(state_of("t-a-zed"), Some(QueueState::Dismissed), "{key}");
        assert_eq!(
            engine.store().load_resolutions("t-a").await.unwrap().len(),
            2,
            "{key}: the answers stick"
        );
        assert!(
            !contact(engine.store(), "k-t-b").await.is_inactive,
            "{key}: t-b's settings keep disabled users' contacts active"
        );
        assert!(
            contact(engine.store(), "k-t-c").await.is_inactive,
            "{key}: t-c uses the defaults"
        );
    }
}

for_each_store!(resolutions_and_settings_drive_later_runs,);
