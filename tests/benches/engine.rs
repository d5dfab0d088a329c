//! Engine throughput: `sync_all` over the sandbox (200 tenants × 500 users, 20 ms per request)
//! at concurrency 1 and 4, and SQLite plan-write throughput.
//!
//! `ENTRA_BENCH_TENANTS` and `ENTRA_BENCH_USERS` shrink the estate for a quick look.

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use entra_core::engine::{SyncAllOptions, SyncEngine, SyncOptions};
use entra_core::mapping::{MappingOperation, PreviewOptions};
use entra_core::model::{Contact, ContactLink};
use entra_core::store::{MemoryStore, SqliteStore, SyncStore, TenantChanges};
use entra_providers::auth::{CloudEndpoints, TokenSet};
use entra_providers::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use entra_providers::http::HttpPolicy;
use entra_providers::sandbox::{Faults, Sandbox, SandboxConfig};
use entra_providers::secrets::Secret;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Setup {
    _sandbox: Sandbox,
    engine: SyncEngine<GraphProvider, MemoryStore>,
    users: u64,
}

async fn setup(tenants: usize, users: usize) -> Setup {
    let sandbox = Sandbox::start(SandboxConfig {
        tenants,
        users_per_tenant: users,
        crm_clients: tenants,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let c = sandbox.credentials();
    let provider = GraphProvider::new(GraphSettings {
        client_id: c.client_id,
        client_secret: Secret::new(c.client_secret),
        partner_tenant_id: c.partner_tenant_id,
        tokens: TokenSet::from_refresh_token(Secret::new(c.partner_refresh_token)),
        config: GraphConfig {
            endpoints: CloudEndpoints::custom(&sandbox.login_base_url(), &sandbox.graph_base_url())
                .expect("endpoints"),
            options: GraphOptions {
                include_domains: true,
                ..GraphOptions::default()
            },
            policy: HttpPolicy::default(),
        },
    })
    .expect("provider");
    let engine = SyncEngine::new(provider, MemoryStore::new());
    let store = engine.store();
    store.upsert_clients(&sandbox.crm_clients()).await.unwrap();
    store
        .upsert_contacts(&sandbox.crm_contacts())
        .await
        .unwrap();
    engine.discover().await.expect("discover");
    let preview = engine
        .preview_mappings(PreviewOptions::default())
        .await
        .unwrap();
    let mut ops: Vec<MappingOperation> = preview
        .auto_matched
        .iter()
        .map(|m| MappingOperation::Confirm {
            entra_tenant_id: m.entra_tenant_id.clone(),
            client_id: m.suggestion.client_id.clone(),
        })
        .collect();
    ops.extend(preview.fuzzy_candidates.iter().filter_map(|g| {
        Some(MappingOperation::Confirm {
            entra_tenant_id: g.entra_tenant_id.clone(),
            client_id: g.candidates.first()?.client_id.clone(),
        })
    }));
    engine.apply_mapping_changes(ops).await.expect("mappings");
    let mapped = store.load_mapped_tenants().await.unwrap().len();
    // Warm the customer tokens, then add the simulated latency.
    run(&engine, 8).await;
    sandbox.set_faults(Faults {
        latency: Duration::from_millis(20),
        ..Faults::default()
    });
    eprintln!(
        "sync_all bench: {mapped} mapped tenants of {tenants}, {users} users each, 20 ms per request"
    );
    Setup {
        _sandbox: sandbox,
        engine,
        users: (mapped * users) as u64,
    }
}

async fn run(engine: &SyncEngine<GraphProvider, MemoryStore>, concurrency: usize) {
    // A dry run does the same work every iteration: list, load, plan everything.
    let report = engine
        .sync_all(SyncAllOptions {
            sync: SyncOptions {
                dry_run: true,
                use_delta: false,
            },
            concurrency,
            ..SyncAllOptions::default()
        })
        .await
        .expect("sync_all");
    assert_eq!(report.run.tenants_failed, 0, "{:?}", report.results);
}

fn sync_all(c: &mut Criterion) {
    let tenants = env_usize("ENTRA_BENCH_TENANTS", 200);
    let users = env_usize("ENTRA_BENCH_USERS", 500);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let setup = rt.block_on(setup(tenants, users));
    let mut group = c.benchmark_group("sync_all_sandbox");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(setup.users));
    for concurrency in [1, 4] {
        group.bench_function(format!("concurrency_{concurrency}"), |b| {
            b.iter(|| rt.block_on(run(&setup.engine, concurrency)))
        });
    }
    group.finish();
}

fn changes(n: usize) -> TenantChanges {
    TenantChanges {
        entra_tenant_id: "t-bench".into(),
        contacts: (0..n)
            .map(|i| {
                let mut c = Contact::new(format!("k{i:06}"), "c-bench");
                c.email = Some(format!("person{i}@bench.example"));
                c.full_name = Some(format!("Person {i}"));
                c
            })
            .collect(),
        links: (0..n)
            .map(|i| ContactLink {
                entra_tenant_id: "t-bench".into(),
                entra_object_id: format!("u{i:06}"),
                contact_id: format!("k{i:06}"),
                client_id: Some("c-bench".into()),
                active: true,
                last_seen_at: None,
                last_synced_at: None,
                status: None,
            })
            .collect(),
        queued: vec![],
        settled: vec![],
        expected: vec![],
    }
}

fn sqlite_apply(c: &mut Criterion) {
    let n = 5_000;
    let batch = changes(n);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("store_apply");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    let mut i = 0;
    group.bench_function("sqlite_file_5000_contacts", |b| {
        b.iter_batched(
            || {
                i += 1;
                SqliteStore::open(dir.path().join(format!("s{i}.sqlite"))).unwrap()
            },
            // The store is returned so that closing it (a WAL checkpoint) is not timed.
            |store| {
                rt.block_on(store.apply_changes(&batch)).unwrap();
                store
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("memory_5000_contacts", |b| {
        b.iter_batched(
            MemoryStore::new,
            |store| rt.block_on(store.apply_changes(&batch)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, sqlite_apply, sync_all);
criterion_main!(benches);
