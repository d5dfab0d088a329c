//! The soak: many consecutive `sync_all` runs over a sandbox estate that keeps changing (users
//! added, renamed, disabled, deleted, given a new address) while random faults strike the
//! upstream and the store. The invariants of `support::invariants` are checked after every run,
//! and at the end, once the faults stop, the state must equal what a fault-free twin (a second
//! sandbox with the same estate and the same mutations, synced without faults) reached.
//!
//! Seeded: `ENTRA_SOAK_SEED` (default below) picks the mutations and the faults,
//! `ENTRA_SOAK_RUNS` the number of runs (8 by default, so it stays short in CI). The long run:
//!
//! ```text
//! ENTRA_SOAK_RUNS=50 cargo test -p entra-integration-tests --test soak --release -- --nocapture
//! ```

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use entra_core::engine::{RunReport, SyncAllOptions, SyncEngine, SyncOptions};
use entra_core::model::{Contact, InactiveSource, PhoneNumber};
use entra_core::provider::EntraProvider;
use entra_core::store::{
    ApplyFault, MemoryStore, RunStatus, SqliteStore, StoreSnapshot, SyncStore, TenantOutcome,
};
use entra_providers::http::HttpPolicy;
use entra_providers::sandbox::{
    DeltaFault, Faults, Mutation, NewUser, PageFault, PageFaultKind, Sandbox, SandboxConfig,
    TokenFault, UserKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::estate::{edit_locally, mapped_clients};
use support::invariants::{changes, check_run, upstream_truth};
use support::{AnyResult, TestResult, graph_with, keyed, onboard};

const DEFAULT_SEED: u64 = 0x5eed_50a6;
const DEFAULT_RUNS: usize = 8;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        users_per_tenant: 20,
        delta_page_size: 5,
        ..SandboxConfig::default()
    }
}

fn policy() -> HttpPolicy {
    HttpPolicy {
        request_timeout: Duration::from_millis(750),
        ..HttpPolicy::fast_for_tests()
    }
}

/// What the soak did, printed at the end (the figures `docs/reliability.md` records).
#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    mutations: usize,
    faults: BTreeMap<&'static str, usize>,
    tenant_failures: usize,
    incomplete_listings: usize,
    partial_or_failed_runs: usize,
}

/// One random change of the estate, chosen from the sandbox's current users.
fn random_mutation(
    rng: &mut StdRng,
    sandbox: &Sandbox,
    tenants: &[String],
    label: &str,
) -> Option<Mutation> {
    let tenant = &tenants[rng.random_range(0..tenants.len())];
    let domain = sandbox
        .tenants()
        .into_iter()
        .find(|t| &t.tenant_id == tenant)?
        .default_domain;
    let people: Vec<_> = sandbox
        .users(tenant)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person)
        .collect();
    let roll = rng.random_range(0..100);
    if roll < 30 || people.is_empty() {
        return Some(Mutation::AddUser {
            tenant_id: tenant.clone(),
            user: NewUser {
                display_name: format!("Soak Person {label}"),
                given_name: Some("Soak".into()),
                surname: Some(format!("Person {label}")),
                email: format!("soak.{label}@{domain}"),
                job_title: Some("Analyst".into()),
                account_enabled: true,
            },
        });
    }
    let user_id = people[rng.random_range(0..people.len())].id.clone();
    Some(match roll {
        30..50 => Mutation::Rename {
            user_id,
            display_name: format!("Renamed Person {label}"),
            given_name: Some("Renamed".into()),
            surname: Some(format!("Person {label}")),
        },
        50..65 => Mutation::ChangeEmail {
            user_id,
            email: format!("moved.{label}@{domain}"),
        },
        65..80 => Mutation::Disable { user_id },
        80..90 => Mutation::SoftDelete { user_id },
        _ => Mutation::HardDelete { user_id },
    })
}

/// Random faults for one run: each knob is on with some probability. Returns the faults, the
/// store fault and whether cached access tokens die before the run.
fn random_faults(
    rng: &mut StdRng,
    tenants: &[String],
    tally: &mut Tally,
) -> (Faults, Option<ApplyFault>, bool) {
    let mut faults = Faults {
        page_stall: Duration::from_secs(2),
        ..Faults::default()
    };
    let pick = |rng: &mut StdRng| tenants[rng.random_range(0..tenants.len())].clone();
    let mut count = |name: &'static str| *tally.faults.entry(name).or_default() += 1;
    if rng.random_bool(0.3) {
        faults.graph_throttle_rate = 0.2;
        faults.omit_retry_after = rng.random_bool(0.5);
        count("throttle_storm");
    }
    if rng.random_bool(0.2) {
        faults.graph_unavailable_rate = 0.15;
        faults.unavailable_retry_after_secs = rng.random_bool(0.5).then_some(0);
        count("unavailable_storm");
    }
    if rng.random_bool(0.4) {
        let kinds = [
            PageFaultKind::ConnectionReset,
            PageFaultKind::Stall,
            PageFaultKind::MalformedJson,
            PageFaultKind::ForeignNextLink,
            PageFaultKind::RepeatedNextLink,
            PageFaultKind::TokenExpired,
            PageFaultKind::MissingAccountEnabled,
        ];
        let kind = kinds[rng.random_range(0..kinds.len())];
        let fault = PageFault {
            page: rng.random_range(0..4),
            kind,
            times: rng.random_range(0..3),
        };
        faults.page_faults.insert(pick(rng), fault);
        count("page_fault");
    }
    if rng.random_bool(0.15) {
        faults
            .failing_page
            .insert(pick(rng), rng.random_range(0..3));
        faults.failing_page_status = [500, 503, 504][rng.random_range(0..3)];
        count("failing_page");
    }
    let mut revoke = false;
    if rng.random_bool(0.15) {
        let fault = [
            TokenFault::ConsentMissing,
            TokenFault::MfaRequired,
            TokenFault::RefreshTokenExpired,
        ][rng.random_range(0..3)];
        faults.token_errors.insert(pick(rng), fault);
        revoke = true;
        count("token_error");
    }
    if rng.random_bool(0.1) {
        faults.gdap_role_missing.insert(pick(rng));
        count("gdap_role_missing");
    }
    if rng.random_bool(0.15) {
        faults.delta = if rng.random_bool(0.5) {
            DeltaFault::Expired
        } else {
            DeltaFault::Gone
        };
        count("delta_token_invalid");
    }
    if rng.random_bool(0.1) {
        faults.one_time_refresh_tokens = true;
        revoke = true;
        count("one_time_refresh_tokens");
    }
    let store = rng.random_bool(0.15).then(|| {
        count("store_write_failure");
        ApplyFault {
            entra_tenant_id: rng.random_bool(0.7).then(|| pick(rng)),
            after_writes: rng.random_range(0..4),
        }
    });
    (faults, store, revoke)
}

fn options(key: &str, use_delta: bool) -> SyncAllOptions {
    SyncAllOptions {
        sync: SyncOptions {
            dry_run: false,
            use_delta,
        },
        ..keyed(key)
    }
}

/// A contact as both twins must hold it: everything but the generated id and the additional
/// addresses, with the users it is linked to. Additional addresses keep the addresses a contact
/// had, so they record which intermediate states a run saw: a contact created after its user's
/// address changed never had the old one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Canonical {
    client_id: Option<String>,
    email: Option<String>,
    full_name: Option<String>,
    role: Option<String>,
    phone_numbers: Vec<PhoneNumber>,
    user_principal_name: Option<String>,
    is_inactive: bool,
    inactive_by_sync: Option<bool>,
    locked: bool,
    /// `(tenant, object id, link active)`.
    links: BTreeSet<(String, String, bool)>,
}

fn canonical(snapshot: &StoreSnapshot) -> Vec<Canonical> {
    let mut all: Vec<Canonical> = snapshot
        .contacts
        .iter()
        .map(|c: &Contact| Canonical {
            client_id: c.client_id.clone(),
            email: c.email.clone(),
            full_name: c.full_name.clone(),
            role: c.role.clone(),
            phone_numbers: c.phone_numbers.clone(),
            user_principal_name: c.user_principal_name.clone(),
            is_inactive: c.is_inactive,
            inactive_by_sync: c.inactive_source.map(|s| s == InactiveSource::EntraSync),
            locked: c.locked,
            links: snapshot
                .links
                .iter()
                .filter(|l| l.contact_id == c.contact_id)
                .map(|l| {
                    (
                        l.entra_tenant_id.clone(),
                        l.entra_object_id.clone(),
                        l.active,
                    )
                })
                .collect(),
        })
        .collect();
    all.sort();
    all
}

/// The entries of `a` not matched one for one in `b`.
fn multiset_difference<'a>(a: &'a [Canonical], b: &[Canonical]) -> Vec<&'a Canonical> {
    let mut rest: Vec<&Canonical> = b.iter().collect();
    a.iter()
        .filter(|c| match rest.iter().position(|r| r == c) {
            Some(i) => {
                rest.swap_remove(i);
                false
            }
            None => true,
        })
        .collect()
}

/// Onboards, syncs once and makes the same local edits in one twin.
async fn prepare<P: EntraProvider, S: SyncStore>(
    sandbox: &Sandbox,
    engine: &SyncEngine<P, S>,
) -> AnyResult<BTreeMap<String, String>> {
    onboard(sandbox, engine).await?;
    let initial = engine.sync_all(options("initial", true)).await?;
    assert_eq!(
        initial.run.status,
        RunStatus::Completed,
        "{:?}",
        initial.results
    );
    edit_locally(sandbox, engine.store()).await?;
    mapped_clients(engine.store()).await
}

fn tally_report(tally: &mut Tally, report: &RunReport) {
    tally.runs += 1;
    if report.run.status != RunStatus::Completed {
        tally.partial_or_failed_runs += 1;
    }
    for r in &report.results {
        match r.outcome {
            TenantOutcome::Failed => tally.tenant_failures += 1,
            TenantOutcome::Succeeded if !r.listing_complete => tally.incomplete_listings += 1,
            TenantOutcome::Succeeded => {}
            TenantOutcome::Skipped => panic!("the soak never turns a tenant's sync off"),
        }
    }
}

#[tokio::test]
async fn soak_converges_to_the_fault_free_state() -> TestResult {
    let seed = env_number("ENTRA_SOAK_SEED", DEFAULT_SEED);
    let runs = env_number("ENTRA_SOAK_RUNS", DEFAULT_RUNS as u64) as usize;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();

    // The faulty twin keeps its state in SQLite, the fault-free one in memory.
    let faulty_sandbox = Sandbox::start(sandbox_config()).await?;
    let clean_sandbox = Sandbox::start(sandbox_config()).await?;
    let dir = tempfile::tempdir()?;
    let faulty = SyncEngine::new(
        graph_with(&faulty_sandbox, 5, policy())?,
        SqliteStore::open(dir.path().join("soak.sqlite"))?,
    );
    let clean = SyncEngine::new(graph_with(&clean_sandbox, 5, policy())?, MemoryStore::new());
    let clients = prepare(&faulty_sandbox, &faulty).await?;
    assert_eq!(prepare(&clean_sandbox, &clean).await?, clients);
    let tenants: Vec<String> = clients.keys().cloned().collect();

    for run in 0..runs {
        for k in 0..rng.random_range(1..=4) {
            let label = format!("{run}-{k}");
            let Some(mutation) = random_mutation(&mut rng, &faulty_sandbox, &tenants, &label)
            else {
                continue;
            };
            let a = faulty_sandbox.mutate(mutation.clone())?;
            let b = clean_sandbox.mutate(mutation)?;
            assert_eq!(a, b, "the twins' estates diverged");
            tally.mutations += 1;
        }
        let truth = upstream_truth(&faulty_sandbox, &tenants);
        let (faults, store_fault, revoke) = random_faults(&mut rng, &tenants, &mut tally);
        let use_delta = rng.random_bool(0.7);
        faulty_sandbox.set_faults(faults.clone());
        if revoke {
            faulty_sandbox.revoke_access_tokens();
        }
        faulty.store().set_apply_fault(store_fault.clone());
        let before = faulty.store().snapshot().await?;
        let report = faulty
            .sync_all(options(&format!("soak-{run}"), use_delta))
            .await?;
        let after = faulty.store().snapshot().await?;
        faulty_sandbox.set_faults(Faults::default());
        faulty.store().set_apply_fault(None);
        check_run(&truth, &clients, &before, &after, &report).map_err(|v| {
            format!("run {run} (seed {seed}, faults {faults:?}, store {store_fault:?}):\n{v}")
        })?;
        tally_report(&mut tally, &report);

        let before = clean.store().snapshot().await?;
        let report = clean
            .sync_all(options(&format!("soak-{run}"), true))
            .await?;
        assert_eq!(
            report.run.status,
            RunStatus::Completed,
            "{:?}",
            report.results
        );
        let after = clean.store().snapshot().await?;
        check_run(&truth, &clients, &before, &after, &report)
            .map_err(|v| format!("fault-free twin, run {run}:\n{v}"))?;
    }

    // The faults stop: one run catches up, the next changes nothing, and the state is the twin's.
    let catch_up = faulty.sync_all(options("catch-up", true)).await?;
    assert_eq!(
        catch_up.run.status,
        RunStatus::Completed,
        "{:?}",
        catch_up.results
    );
    let converged = faulty.sync_all(options("converged", false)).await?;
    assert_eq!(
        changes(&converged.run.counters),
        0,
        "{:?}",
        converged.run.counters
    );
    let twin = clean.sync_all(options("converged", false)).await?;
    assert_eq!(changes(&twin.run.counters), 0, "{:?}", twin.run.counters);
    let (mine, theirs) = (
        canonical(&faulty.store().snapshot().await?),
        canonical(&clean.store().snapshot().await?),
    );
    // A user added and disabled or deleted between two runs the faulty twin could not complete
    // never had a contact there, while the fault-free twin created one and then inactivated it.
    // That contact is the one difference allowed: inactive, by sync, its users gone or disabled.
    let truth = upstream_truth(&faulty_sandbox, &tenants);
    let history_only = |c: &Canonical| {
        c.is_inactive
            && c.inactive_by_sync == Some(true)
            && c.links
                .iter()
                .all(|(t, o, _)| truth.get(&(t.clone(), o.clone())).is_none_or(|on| !on))
    };
    let only_mine = multiset_difference(&mine, &theirs);
    let only_theirs = multiset_difference(&theirs, &mine);
    if !only_mine
        .iter()
        .chain(&only_theirs)
        .all(|c| history_only(c))
    {
        return Err(format!(
            "seed {seed}: the final state differs from the fault-free twin's\nonly after faults: {only_mine:#?}\nonly fault-free: {only_theirs:#?}"
        )
        .into());
    }
    let faults_total: usize = tally.faults.values().sum();
    println!(
        "soak: seed {seed:#x}, {} runs, {} mutations, {faults_total} faults injected {:?}, \
         {} tenant failures, {} incomplete listings, {} partial or failed runs, {} contacts at the end \
         ({} only in one twin, for users never seen enabled by the other), {:.1} s: converged to \
         the fault-free state",
        tally.runs,
        tally.mutations,
        tally.faults,
        tally.tenant_failures,
        tally.incomplete_listings,
        tally.partial_or_failed_runs,
        mine.len(),
        only_mine.len() + only_theirs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
