//! The fault matrix: every way the upstream (Graph, CIPP, the login service) or the store can fail
//! during a sync, as a table of scenarios run by one runner over both stores.
//!
//! Each scenario starts from the same state: the sandbox estate onboarded and synced once, then
//! local edits in the PSA (titles, phones and UPNs whose toggles are off; a locked contact whose
//! user is then disabled; a contact inactivated by hand) and upstream changes in every tenant (a
//! person disabled, one hard- and one soft-deleted, one renamed with a new address, a newcomer).
//! The scenario's faults are switched on and a sync runs; the invariants of
//! `support::invariants` must hold, along with the scenario's expected outcome per tenant. Then
//! the faults are cleared: a clean run catches up (a tenant that succeeded on a complete listing
//! has nothing left to do), and the next runs, by delta and by full listing, change nothing.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use entra_core::engine::{
    CancelToken, ProgressEvent, RunReport, SyncAllOptions, SyncEngine, SyncOptions,
};
use entra_core::provider::EntraProvider;
use entra_core::store::{
    ApplyFault, MemoryStore, RunStatus, SqliteStore, SyncStore, TenantOutcome,
};
use entra_providers::http::HttpPolicy;
use entra_providers::sandbox::{
    CippDenial, DeltaFault, Faults, PageFault, PageFaultKind, Sandbox, SandboxConfig, TokenFault,
};
use support::estate::{edit_locally, mapped_clients, mutate_upstream};
use support::invariants::{changes, check_run, inactivated_for_absence, upstream_truth};
use support::{AnyResult, TestResult, cipp_with, graph_with, keyed, onboard};

/// Which provider reads the estate.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Upstream {
    Graph,
    Cipp,
}

/// How the faulted run goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    /// A normal run.
    Sync,
    /// The process dies between planning and applying: the plans are made (a dry run) and
    /// nothing is applied.
    PlanThenCrash,
    /// The run is stopped after its first tenant, as a killed worker leaves it.
    StopAfterFirstTenant,
}

/// A one-shot event just before the faulted run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kick {
    None,
    /// Every access token issued so far stops working (cached tokens must be re-minted).
    RevokeAccessTokens,
}

/// Which tenants (indices into the sorted mapped tenants) must fail in the faulted run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Failed {
    /// Every tenant succeeds.
    None,
    /// Exactly these fail; the others succeed.
    Only(&'static [usize]),
    /// Every tenant fails.
    All,
    /// Random faults: any tenant may fail.
    Any,
}

/// What the scenarios know about the estate when building their faults.
struct Ctx {
    /// Mapped tenants, sorted.
    tenants: Vec<String>,
    partner: String,
}

impl Ctx {
    fn t(&self, i: usize) -> String {
        self.tenants[i].clone()
    }
}

struct Case {
    name: &'static str,
    upstream: Upstream,
    /// The faulted run reads by delta (else a full listing, where page faults bite).
    delta: bool,
    faults: fn(&Ctx) -> Faults,
    kick: Kick,
    store_fault: Option<fn(&Ctx) -> ApplyFault>,
    style: Style,
    concurrency: usize,
    /// Retries of the provider's HTTP policy: storms of random faults get enough of them that a
    /// request exhausting them is practically impossible, so the expected outcome is certain.
    max_retries: u32,
    failed: Failed,
    /// Tenants that must succeed on an incomplete listing (and so inactivate nobody for being
    /// absent from it; users listed as disabled are still inactivated).
    incomplete: &'static [usize],
}

const BASE: Case = Case {
    name: "",
    upstream: Upstream::Graph,
    delta: false,
    faults: |_| Faults::default(),
    kick: Kick::None,
    store_fault: None,
    style: Style::Sync,
    concurrency: 4,
    max_retries: 3,
    failed: Failed::None,
    incomplete: &[],
};

fn page_fault(ctx: &Ctx, tenant: usize, page: usize, kind: PageFaultKind, times: u32) -> Faults {
    Faults {
        page_faults: [(ctx.t(tenant), PageFault { page, kind, times })].into(),
        page_stall: Duration::from_secs(3),
        ..Faults::default()
    }
}

fn token_fault(ctx: &Ctx, tenant: usize, fault: TokenFault) -> Faults {
    Faults {
        token_errors: [(ctx.t(tenant), fault)].into(),
        ..Faults::default()
    }
}

/// The scenarios.
fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "throttle_storm_with_retry_after",
            faults: |_| Faults {
                graph_throttle_rate: 0.3,
                retry_after_secs: 0,
                ..Faults::default()
            },
            max_retries: 12,
            ..BASE
        },
        Case {
            name: "throttle_storm_without_retry_after",
            faults: |_| Faults {
                graph_throttle_rate: 0.3,
                omit_retry_after: true,
                ..Faults::default()
            },
            max_retries: 12,
            ..BASE
        },
        Case {
            name: "throttle_burst_honours_a_one_second_retry_after",
            faults: |_| Faults {
                graph_throttle_next: 2,
                retry_after_secs: 1,
                ..Faults::default()
            },
            ..BASE
        },
        Case {
            name: "throttling_outlasting_the_retries",
            faults: |_| Faults {
                graph_throttle_rate: 1.0,
                ..Faults::default()
            },
            failed: Failed::All,
            ..BASE
        },
        Case {
            name: "unavailable_503_burst_with_retry_after",
            faults: |_| Faults {
                graph_unavailable_next: 3,
                unavailable_retry_after_secs: Some(0),
                ..Faults::default()
            },
            ..BASE
        },
        Case {
            name: "unavailable_503_storm_without_retry_after",
            faults: |_| Faults {
                graph_unavailable_rate: 0.25,
                ..Faults::default()
            },
            max_retries: 12,
            ..BASE
        },
        Case {
            name: "gateway_timeout_504_on_a_later_page",
            faults: |ctx| Faults {
                failing_page: [(ctx.t(1), 1)].into(),
                failing_page_status: 504,
                ..Faults::default()
            },
            incomplete: &[1],
            ..BASE
        },
        Case {
            name: "server_error_500_on_the_first_page",
            faults: |ctx| Faults {
                failing_page: [(ctx.t(0), 0)].into(),
                ..Faults::default()
            },
            failed: Failed::Only(&[0]),
            ..BASE
        },
        Case {
            name: "connection_reset_once_mid_listing",
            faults: |ctx| page_fault(ctx, 0, 1, PageFaultKind::ConnectionReset, 1),
            ..BASE
        },
        Case {
            name: "connection_reset_on_every_attempt",
            faults: |ctx| page_fault(ctx, 0, 1, PageFaultKind::ConnectionReset, 0),
            incomplete: &[0],
            ..BASE
        },
        Case {
            name: "timeout_once_mid_listing",
            faults: |ctx| page_fault(ctx, 1, 2, PageFaultKind::Stall, 1),
            ..BASE
        },
        Case {
            name: "timeout_on_every_attempt_mid_listing",
            faults: |ctx| page_fault(ctx, 1, 2, PageFaultKind::Stall, 0),
            incomplete: &[1],
            ..BASE
        },
        Case {
            name: "malformed_json_mid_listing",
            faults: |ctx| page_fault(ctx, 0, 1, PageFaultKind::MalformedJson, 0),
            incomplete: &[0],
            ..BASE
        },
        Case {
            name: "malformed_json_once_mid_listing",
            faults: |ctx| page_fault(ctx, 0, 1, PageFaultKind::MalformedJson, 1),
            ..BASE
        },
        Case {
            name: "malformed_json_once_on_the_first_page",
            faults: |ctx| page_fault(ctx, 2, 0, PageFaultKind::MalformedJson, 1),
            ..BASE
        },
        Case {
            name: "malformed_json_on_the_first_page",
            faults: |ctx| page_fault(ctx, 2, 0, PageFaultKind::MalformedJson, 0),
            failed: Failed::Only(&[2]),
            ..BASE
        },
        Case {
            name: "user_without_account_enabled",
            faults: |ctx| page_fault(ctx, 0, 0, PageFaultKind::MissingAccountEnabled, 0),
            incomplete: &[0],
            ..BASE
        },
        Case {
            name: "user_without_account_enabled_in_a_delta_round",
            delta: true,
            faults: |ctx| page_fault(ctx, 0, 0, PageFaultKind::MissingAccountEnabled, 0),
            incomplete: &[0],
            ..BASE
        },
        Case {
            name: "connection_reset_in_a_delta_round",
            delta: true,
            faults: |ctx| page_fault(ctx, 1, 0, PageFaultKind::ConnectionReset, 0),
            failed: Failed::Only(&[1]),
            ..BASE
        },
        Case {
            name: "connection_reset_once_in_a_delta_round",
            delta: true,
            faults: |ctx| page_fault(ctx, 1, 0, PageFaultKind::ConnectionReset, 1),
            ..BASE
        },
        Case {
            name: "next_link_to_a_foreign_host",
            faults: |ctx| page_fault(ctx, 1, 0, PageFaultKind::ForeignNextLink, 0),
            incomplete: &[1],
            ..BASE
        },
        Case {
            name: "repeated_next_link",
            faults: |ctx| page_fault(ctx, 0, 1, PageFaultKind::RepeatedNextLink, 0),
            incomplete: &[0],
            ..BASE
        },
        Case {
            name: "token_expiry_mid_listing",
            faults: |ctx| page_fault(ctx, 0, 2, PageFaultKind::TokenExpired, 1),
            ..BASE
        },
        Case {
            name: "token_expiry_mid_delta_round",
            delta: true,
            faults: |ctx| page_fault(ctx, 1, 0, PageFaultKind::TokenExpired, 1),
            ..BASE
        },
        Case {
            name: "refresh_token_revoked",
            faults: |ctx| Faults {
                token_errors: ctx
                    .tenants
                    .iter()
                    .chain([&ctx.partner])
                    .map(|t| (t.clone(), TokenFault::RefreshTokenExpired))
                    .collect(),
                ..Faults::default()
            },
            kick: Kick::RevokeAccessTokens,
            failed: Failed::All,
            ..BASE
        },
        Case {
            name: "consent_removed_for_one_tenant",
            faults: |ctx| token_fault(ctx, 1, TokenFault::ConsentMissing),
            kick: Kick::RevokeAccessTokens,
            failed: Failed::Only(&[1]),
            ..BASE
        },
        Case {
            name: "mfa_required_in_one_tenant",
            faults: |ctx| token_fault(ctx, 0, TokenFault::MfaRequired),
            kick: Kick::RevokeAccessTokens,
            failed: Failed::Only(&[0]),
            ..BASE
        },
        Case {
            name: "gdap_role_removed_in_one_tenant",
            faults: |ctx| Faults {
                gdap_role_missing: [ctx.t(2)].into(),
                ..Faults::default()
            },
            failed: Failed::Only(&[2]),
            ..BASE
        },
        Case {
            name: "concurrent_tenants_refresh_the_partner_token_at_once",
            faults: |_| Faults {
                one_time_refresh_tokens: true,
                latency: Duration::from_millis(5),
                ..Faults::default()
            },
            kick: Kick::RevokeAccessTokens,
            concurrency: 8,
            ..BASE
        },
        Case {
            name: "delta_token_expired",
            delta: true,
            faults: |_| Faults {
                delta: DeltaFault::Expired,
                ..Faults::default()
            },
            ..BASE
        },
        Case {
            name: "delta_gone_410",
            delta: true,
            faults: |_| Faults {
                delta: DeltaFault::Gone,
                ..Faults::default()
            },
            ..BASE
        },
        Case {
            name: "store_write_fails_mid_apply",
            store_fault: Some(|ctx| ApplyFault {
                entra_tenant_id: Some(ctx.t(1)),
                after_writes: 2,
            }),
            failed: Failed::Only(&[1]),
            ..BASE
        },
        Case {
            name: "store_write_fails_in_every_tenant",
            store_fault: Some(|_| ApplyFault {
                entra_tenant_id: None,
                after_writes: 0,
            }),
            failed: Failed::All,
            ..BASE
        },
        Case {
            name: "crash_between_plan_and_apply",
            style: Style::PlanThenCrash,
            ..BASE
        },
        Case {
            name: "crash_after_the_first_tenant",
            style: Style::StopAfterFirstTenant,
            concurrency: 1,
            ..BASE
        },
        Case {
            name: "cipp_gateway_errors_retried",
            upstream: Upstream::Cipp,
            faults: |_| Faults {
                cipp_gateway_error_rate: 0.3,
                cipp_gateway_status: 503,
                ..Faults::default()
            },
            max_retries: 12,
            ..BASE
        },
        Case {
            name: "cipp_gateway_outage",
            upstream: Upstream::Cipp,
            faults: |_| Faults {
                cipp_gateway_error_rate: 1.0,
                cipp_gateway_status: 504,
                ..Faults::default()
            },
            failed: Failed::All,
            ..BASE
        },
        Case {
            name: "cipp_listing_fails_half_way",
            upstream: Upstream::Cipp,
            faults: |ctx| Faults {
                failing_page: [(ctx.t(0), 1)].into(),
                ..Faults::default()
            },
            failed: Failed::Any,
            ..BASE
        },
        Case {
            name: "cipp_consent_removed_for_one_tenant",
            upstream: Upstream::Cipp,
            faults: |ctx| token_fault(ctx, 1, TokenFault::ConsentMissing),
            failed: Failed::Only(&[1]),
            ..BASE
        },
        Case {
            name: "cipp_access_denied",
            upstream: Upstream::Cipp,
            faults: |_| Faults {
                cipp_denial: Some(CippDenial::TenantNotAllowed),
                ..Faults::default()
            },
            failed: Failed::All,
            ..BASE
        },
    ]
}

/// A store whose plan writes can be made to fail.
trait FaultableStore: SyncStore {
    fn inject(&self, fault: Option<ApplyFault>);
}

impl FaultableStore for MemoryStore {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.set_apply_fault(fault);
    }
}

impl FaultableStore for SqliteStore {
    fn inject(&self, fault: Option<ApplyFault>) {
        self.set_apply_fault(fault);
    }
}

fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        users_per_tenant: 20,
        delta_page_size: 5,
        ..SandboxConfig::default()
    }
}

/// Short request timeouts, so a stalled page times out quickly.
fn policy(max_retries: u32) -> HttpPolicy {
    HttpPolicy {
        request_timeout: Duration::from_millis(750),
        max_retries,
        ..HttpPolicy::fast_for_tests()
    }
}

async fn run_case(name: &str) -> TestResult {
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .ok_or("unknown scenario")?;
    for store in ["memory", "sqlite"] {
        let sandbox = Sandbox::start(sandbox_config()).await?;
        let dir = tempfile::tempdir()?;
        let outcome = match (case.upstream, store) {
            (Upstream::Graph, "memory") => {
                let provider = graph_with(&sandbox, 5, policy(case.max_retries))?;
                scenario(
                    &case,
                    &sandbox,
                    SyncEngine::new(provider, MemoryStore::new()),
                )
                .await
            }
            (Upstream::Graph, _) => {
                let provider = graph_with(&sandbox, 5, policy(case.max_retries))?;
                let db = SqliteStore::open(dir.path().join("sync.sqlite"))?;
                scenario(&case, &sandbox, SyncEngine::new(provider, db)).await
            }
            (Upstream::Cipp, "memory") => {
                let provider = cipp_with(&sandbox, policy(case.max_retries))?;
                scenario(
                    &case,
                    &sandbox,
                    SyncEngine::new(provider, MemoryStore::new()),
                )
                .await
            }
            (Upstream::Cipp, _) => {
                let provider = cipp_with(&sandbox, policy(case.max_retries))?;
                let db = SqliteStore::open(dir.path().join("sync.sqlite"))?;
                scenario(&case, &sandbox, SyncEngine::new(provider, db)).await
            }
        };
        outcome.map_err(|e| format!("{} with the {store} store: {e}", case.name))?;
        sandbox.shutdown().await;
    }
    Ok(())
}

fn options(key: &str, delta: bool) -> SyncAllOptions {
    SyncAllOptions {
        sync: SyncOptions {
            dry_run: false,
            use_delta: delta,
        },
        ..keyed(key)
    }
}

async fn scenario<P: EntraProvider, S: FaultableStore>(
    case: &Case,
    sandbox: &Sandbox,
    engine: SyncEngine<P, S>,
) -> TestResult {
    onboard(sandbox, &engine).await?;
    let initial = engine.sync_all(options("initial", true)).await?;
    assert_eq!(
        initial.run.status,
        RunStatus::Completed,
        "{:?}",
        initial.results
    );
    let clients = mapped_clients(engine.store()).await?;
    let ctx = Ctx {
        tenants: clients.keys().cloned().collect(),
        partner: sandbox.partner_tenant().tenant_id,
    };
    assert!(ctx.tenants.len() >= 2, "{:?}", ctx.tenants);
    let reserved = edit_locally(sandbox, engine.store()).await?;
    mutate_upstream(sandbox, engine.store(), &reserved).await?;

    // The faulted run.
    sandbox.set_faults((case.faults)(&ctx));
    if case.kick == Kick::RevokeAccessTokens {
        sandbox.revoke_access_tokens();
    }
    engine.store().inject(case.store_fault.map(|f| f(&ctx)));
    let before = engine.store().snapshot().await?;
    let faulted = faulted_run(case, &engine).await?;
    let after = engine.store().snapshot().await?;
    let truth = upstream_truth(sandbox, &ctx.tenants);
    check_run(&truth, &clients, &before, &after, &faulted)
        .map_err(|v| format!("faulted run:\n{v}"))?;
    check_expectations(case, &ctx, &faulted)?;
    // A fault meant to strike a set number of times did strike.
    let live = sandbox.faults().page_faults;
    for (tenant, fault) in (case.faults)(&ctx).page_faults {
        if fault.times > 0 {
            assert!(!live.contains_key(&tenant), "{fault:?} never struck");
        }
    }
    // A delta round reports removals explicitly, so only a full listing proves nothing by absence.
    for &i in case.incomplete.iter().filter(|_| !case.delta) {
        let wrong = inactivated_for_absence(&truth, &ctx.tenants[i], &before, &after);
        assert!(
            wrong.is_empty(),
            "inactivated for absence from a cut listing: {wrong:?}"
        );
    }

    // Faults cleared: the next run catches up, then nothing is left to do.
    sandbox.set_faults(Faults::default());
    engine.store().inject(None);
    let mut previous = (after, faulted);
    for (round, (key, delta)) in [
        ("catch-up", true),
        ("converged", true),
        ("full-listing", false),
    ]
    .into_iter()
    .enumerate()
    {
        let report = engine.sync_all(options(key, delta)).await?;
        assert_eq!(
            report.run.status,
            RunStatus::Completed,
            "{key}: {:?}",
            report.results
        );
        let after = engine.store().snapshot().await?;
        check_run(&truth, &clients, &previous.0, &after, &report)
            .map_err(|v| format!("{key} run:\n{v}"))?;
        for result in &report.results {
            let prior = previous
                .1
                .results
                .iter()
                .find(|r| r.entra_tenant_id == result.entra_tenant_id);
            let applied_fully = prior.is_some_and(|p| {
                p.outcome == TenantOutcome::Succeeded && p.listing_complete && !previous.1.dry_run
            });
            if round > 0 || applied_fully {
                assert_eq!(
                    changes(&result.counters),
                    0,
                    "{key}: tenant {} still had changes: {:?}",
                    result.entra_tenant_id,
                    result.counters
                );
            }
        }
        previous = (after, report);
    }
    Ok(())
}

async fn faulted_run<P: EntraProvider, S: SyncStore>(
    case: &Case,
    engine: &SyncEngine<P, S>,
) -> AnyResult<RunReport> {
    let mut options = SyncAllOptions {
        concurrency: case.concurrency,
        ..options("faulted", case.delta)
    };
    match case.style {
        Style::Sync => {}
        Style::PlanThenCrash => options.sync.dry_run = true,
        Style::StopAfterFirstTenant => {
            let cancel = CancelToken::new();
            let token = cancel.clone();
            options.cancel = Some(cancel);
            options.progress = Some(Arc::new(move |e: &ProgressEvent| {
                if matches!(e, ProgressEvent::TenantFinished { .. }) {
                    token.cancel();
                }
            }));
        }
    }
    let report = engine.sync_all(options).await?;
    if case.style == Style::StopAfterFirstTenant {
        assert_eq!(report.run.status, RunStatus::Cancelled);
        assert_eq!(report.results.len(), 1, "{:?}", report.results);
    }
    Ok(report)
}

fn check_expectations(case: &Case, ctx: &Ctx, report: &RunReport) -> TestResult {
    let outcome: BTreeMap<&str, TenantOutcome> = report
        .results
        .iter()
        .map(|r| (r.entra_tenant_id.as_str(), r.outcome))
        .collect();
    if case.style == Style::Sync {
        assert_eq!(outcome.len(), ctx.tenants.len(), "{:?}", report.results);
    }
    let failed = |i: usize| outcome.get(ctx.tenants[i].as_str()) == Some(&TenantOutcome::Failed);
    for i in 0..ctx.tenants.len() {
        let must_fail = match case.failed {
            Failed::None => false,
            Failed::Only(list) => list.contains(&i),
            Failed::All => true,
            Failed::Any => continue,
        };
        assert_eq!(
            failed(i),
            must_fail,
            "tenant {i} ({}): {:?}",
            ctx.tenants[i],
            report.results
        );
    }
    // Every other tenant that succeeded was read in full: a fault struck once was got past
    // within the run.
    for result in &report.results {
        let listed = ctx
            .tenants
            .iter()
            .position(|t| *t == result.entra_tenant_id);
        if result.outcome == TenantOutcome::Succeeded
            && listed.is_some_and(|i| !case.incomplete.contains(&i))
        {
            assert!(result.listing_complete, "{result:?}");
        }
    }
    for &i in case.incomplete {
        let result = report
            .results
            .iter()
            .find(|r| r.entra_tenant_id == ctx.tenants[i])
            .ok_or("no result")?;
        assert_eq!(result.outcome, TenantOutcome::Succeeded, "{result:?}");
        assert!(!result.listing_complete, "{result:?}");
    }
    Ok(())
}

/// Every scenario of the table has a test below, and every test a scenario.
#[test]
fn every_scenario_has_a_test() {
    let source = include_str!("fault_matrix.rs");
    let names: Vec<&str> = cases().iter().map(|c| c.name).collect();
    assert!(names.len() >= 25, "{}", names.len());
    for name in names {
        assert!(
            source.contains(&format!("    {name},\n")),
            "scenario {name} has no test"
        );
    }
}

macro_rules! scenarios {
    ($($name:ident,)*) => {
        $(
            #[tokio::test]
            async fn $name() -> TestResult {
                run_case(stringify!($name)).await
            }
        )*
    };
}

scenarios! {
    throttle_storm_with_retry_after,
    throttle_storm_without_retry_after,
    throttle_burst_honours_a_one_second_retry_after,
    throttling_outlasting_the_retries,
    unavailable_503_burst_with_retry_after,
    unavailable_503_storm_without_retry_after,
    gateway_timeout_504_on_a_later_page,
    server_error_500_on_the_first_page,
    connection_reset_once_mid_listing,
    connection_reset_on_every_attempt,
    timeout_once_mid_listing,
    timeout_on_every_attempt_mid_listing,
    malformed_json_mid_listing,
    malformed_json_once_mid_listing,
    malformed_json_once_on_the_first_page,
    malformed_json_on_the_first_page,
    user_without_account_enabled,
    user_without_account_enabled_in_a_delta_round,
    connection_reset_in_a_delta_round,
    connection_reset_once_in_a_delta_round,
    next_link_to_a_foreign_host,
    repeated_next_link,
    token_expiry_mid_listing,
    token_expiry_mid_delta_round,
    refresh_token_revoked,
    consent_removed_for_one_tenant,
    mfa_required_in_one_tenant,
    gdap_role_removed_in_one_tenant,
    concurrent_tenants_refresh_the_partner_token_at_once,
    delta_token_expired,
    delta_gone_410,
    store_write_fails_mid_apply,
    store_write_fails_in_every_tenant,
    crash_between_plan_and_apply,
    crash_after_the_first_tenant,
    cipp_gateway_errors_retried,
    cipp_gateway_outage,
    cipp_listing_fails_half_way,
    cipp_consent_removed_for_one_tenant,
    cipp_access_denied,
}
