//! Run scopes beyond "every tenant": a client's tenants as one run, discovery as a run, and
//! tenants whose effective `syncEnabled` is off.

use super::*;
use entra_core::engine::SKIP_SYNC_DISABLED;
use entra_core::model::SettingsOverrides;

fn disabled() -> SettingsOverrides {
    SettingsOverrides {
        sync_enabled: Some(false),
        ..SettingsOverrides::default()
    }
}

fn enabled() -> SettingsOverrides {
    SettingsOverrides {
        sync_enabled: Some(true),
        ..SettingsOverrides::default()
    }
}

/// `sync_all` skips a tenant whose effective `syncEnabled` is off, recording why; the layer
/// that turned it off (account or tenant) does not matter, and a tenant override wins.
async fn disabled_tenants_are_skipped_not_failed<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    // (account layer, tenant layer of t-b, t-b's outcome, tenants skipped in the run)
    let cases = [
        (None, Some(disabled()), TenantOutcome::Skipped, 1),
        (Some(disabled()), None, TenantOutcome::Skipped, 3),
        (
            Some(disabled()),
            Some(enabled()),
            TenantOutcome::Succeeded,
            2,
        ),
        (None, None, TenantOutcome::Succeeded, 0),
    ];
    for (i, (account, tenant, expected, skipped)) in cases.into_iter().enumerate() {
        let s = engine.store();
        s.save_settings_overrides(None, &account.clone().unwrap_or_default())
            .await
            .unwrap();
        s.save_settings_overrides(Some("t-b"), &tenant.clone().unwrap_or_default())
            .await
            .unwrap();
        let report = engine.sync_all(keyed(&format!("case-{i}"))).await.unwrap();
        let b = result_of(&report.results, "t-b");
        assert_eq!(b.outcome, expected, "case {i}");
        if expected == TenantOutcome::Skipped {
            assert_eq!(b.skip_reason.as_deref(), Some(SKIP_SYNC_DISABLED));
            assert!(b.error.is_none());
            assert_eq!(report.run.status, RunStatus::Completed, "case {i}");
            assert_eq!(report.run.tenants_failed, 0);
            // The skip is recorded, not only reported.
            let stored = engine.store().load_tenant_results(&report.run.run_id).await;
            assert_eq!(
                result_of(&stored.unwrap(), "t-b").outcome,
                TenantOutcome::Skipped
            );
        }
        assert_eq!(report.run.tenants_skipped, skipped, "case {i}");
    }
}

/// One call syncs every tenant mapped to a client as one recorded parent run of scope
/// `client`, with a deterministic id and per-tenant results; other clients' tenants are not read.
async fn a_client_sync_is_one_run_over_its_tenants<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    // Map t-c to client c-a as well: c-a now has two tenants.
    engine
        .apply_mapping_changes(vec![MappingOperation::Remap {
            entra_tenant_id: "t-c".into(),
            from_client_id: "c-c".into(),
            to_client_id: "c-a".into(),
        }])
        .await
        .unwrap();
    let report = engine.sync_client("c-a", keyed("now")).await.unwrap();
    assert!(
        report
            .run
            .run_id
            .starts_with("entra-sync:client:c-a:manual:k"),
        "{}",
        report.run.run_id
    );
    assert_eq!(report.run.scope, RunScope::Client);
    assert_eq!(report.run.client_id.as_deref(), Some("c-a"));
    assert_eq!(report.run.tenants_total, 2);
    let tenants: Vec<&str> = report
        .results
        .iter()
        .map(|r| r.entra_tenant_id.as_str())
        .collect();
    assert_eq!(tenants, ["t-a", "t-c"]);
    assert_eq!(
        engine.provider().calls("t-b"),
        0,
        "c-b's tenant is not read"
    );
    assert_eq!(
        recorded_results(engine.store(), &report.run.run_id).await,
        2
    );
    let stored = engine
        .store()
        .load_run(&report.run.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, RunStatus::Completed);
    assert_eq!(stored.client_id.as_deref(), Some("c-a"));
    // The same request again is the same run id's next attempt, never an overwrite.
    let again = engine.sync_client("c-a", keyed("now")).await.unwrap();
    assert_eq!(again.run.run_id, format!("{}#2", report.run.run_id));
    // (client, expected code)
    let cases = [("c-nobody", "not_mapped"), ("", "not_mapped")];
    for (client, code) in cases {
        let err = engine.sync_client(client, keyed("x")).await.unwrap_err();
        assert_eq!(err.code(), code, "{client:?}");
    }
    let err = engine
        .sync_client("c-nobody", keyed("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err.details(),
        Some(serde_json::json!({"clientId": "c-nobody"}))
    );
}

/// Discovery is recorded as a run of scope `discovery` with its time and outcome; a failed
/// listing is recorded as failed (with the error) and returned as an error.
async fn discovery_is_recorded_as_a_run<S: Harness>(store: S) {
    let engine = estate(store, false).await;
    let report = engine.discover_run(keyed_at("d1", 5_000)).await.unwrap();
    assert!(!report.joined);
    let run = &report.run;
    assert!(
        run.run_id.starts_with("entra-sync:discovery:all:manual:k"),
        "{}",
        run.run_id
    );
    assert_eq!(run.scope, RunScope::Discovery);
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.started_at_ms, 5_000);
    assert!(run.finished_at_ms.is_some());
    assert_eq!(run.tenants_total, 3);
    let summary = run.discovery.unwrap();
    assert!(summary.listing_complete);
    assert_eq!(summary.unchanged, 3);
    assert_eq!(
        engine.store().load_run(&run.run_id).await.unwrap().as_ref(),
        Some(run)
    );

    engine.provider().fail_listing(Some(ProviderError::new(
        ProviderErrorCode::Throttled,
        "slow down",
    )));
    let err = engine
        .discover_run(keyed_at("d2", 6_000))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "throttled");
    let failed = engine
        .store()
        .snapshot()
        .await
        .unwrap()
        .runs
        .into_iter()
        .find(|r| r.scope == RunScope::Discovery && r.status == RunStatus::Failed)
        .expect("the failed discovery is recorded");
    assert_eq!(failed.error.map(|e| e.code).as_deref(), Some("throttled"));
}

for_each_store!(
    disabled_tenants_are_skipped_not_failed,
    a_client_sync_is_one_run_over_its_tenants,
    discovery_is_recorded_as_a_run,
);
