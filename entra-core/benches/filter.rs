//! `filter_users` over a listing of one million users (target: at least 2M users/s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use entra_core::filter::{FilterInput, UserFilter, filter_users};

mod sync_data;

const USERS: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let users = sync_data::users(USERS);
    let options = sync_data::filter_options();
    let mut group = c.benchmark_group("filter_users");
    group.throughput(Throughput::Elements(USERS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));

    let filter = UserFilter::new(&options).expect("valid patterns");
    group.bench_function("classify_1m", |b| {
        b.iter(|| {
            users
                .iter()
                .filter(|u| filter.classify(black_box(u)).is_none())
                .count()
        })
    });
    group.bench_function("split_owned_1m", |b| {
        b.iter_batched(
            || users.clone(),
            |owned| filter.split(owned),
            BatchSize::LargeInput,
        )
    });
    let input = FilterInput {
        users: users.clone(),
        options,
    };
    group.bench_function("filter_users_1m", |b| {
        b.iter(|| filter_users(black_box(&input)).expect("filter"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
