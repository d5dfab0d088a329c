//! `filter_users` over a listing of one million users: classification alone (target: at least
//! 2M users/s), and the whole function with three custom patterns through each entry point
//! (target: 10M users/s where the users need not be copied: owned input, or positions), and the
//! positions form over a listing that stays in the caches.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use entra_core::filter::{
    FilterInput, UserFilter, filter_user_positions, filter_users, filter_users_owned,
};

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
        group_memberships: Vec::new(),
    };
    group.bench_function("filter_users_1m", |b| {
        b.iter(|| filter_users(black_box(&input)).expect("filter"))
    });

    // The whole function, three custom patterns: borrowed (every user copied into the output),
    // owned (users moved; the input's copy is made outside the timing), positions (no user
    // copied). Freeing the output is not timed.
    let three = FilterInput {
        users: users.clone(),
        options: sync_data::filter_options_three_patterns(),
        group_memberships: Vec::new(),
    };
    group.bench_function("filter_users_1m_3_patterns_borrowed", |b| {
        b.iter_with_large_drop(|| filter_users(black_box(&three)).expect("filter"))
    });
    group.bench_function("filter_users_1m_3_patterns_owned", |b| {
        b.iter_batched(
            || three.clone(),
            |owned| filter_users_owned(owned).expect("filter"),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("filter_users_1m_3_patterns_positions", |b| {
        b.iter_with_large_drop(|| filter_user_positions(black_box(&three)).expect("filter"))
    });
    // The same work on a listing small enough to stay in the caches (10,000 users, each call a
    // hundred times, a million users in all): what the filter costs when the users' records and
    // texts need not come from main memory, as for a tenant's listing just read.
    let cached = FilterInput {
        users: users[..10_000].to_vec(),
        options: sync_data::filter_options_three_patterns(),
        group_memberships: Vec::new(),
    };
    group.bench_function("filter_users_10k_x100_3_patterns_positions_in_cache", |b| {
        b.iter(|| {
            for _ in 0..100 {
                black_box(filter_user_positions(black_box(&cached)).expect("filter"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
