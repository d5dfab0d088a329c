//! `plan_tenant_sync` on a steady-state tenant of 100,000 users against 100,000 contacts
//! (target: at most 250 ms per plan), and the input digest alone on the same input (target: at
//! most a tenth of the plan).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entra_core::reconcile::{input_digest, plan_tenant_sync};

mod sync_data;

const USERS: usize = 100_000;

fn bench(c: &mut Criterion) {
    let input = sync_data::plan_input(USERS);
    let mut group = c.benchmark_group("plan_tenant_sync");
    group.throughput(Throughput::Elements(USERS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("100k_users_x_100k_contacts", |b| {
        b.iter(|| plan_tenant_sync(black_box(&input)).expect("plan"))
    });
    // The share of the plan spent on its input digest (the touched contacts' versions are a
    // small part on top).
    group.bench_function("input_digest_100k_users_x_100k_contacts", |b| {
        b.iter(|| input_digest(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
