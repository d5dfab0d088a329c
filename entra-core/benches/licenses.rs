//! `summarize_licenses` over an MSP estate: 2,000 tenants of 500 users each (1,000,000 users),
//! every tenant a distinct listing with 4 subscribed SKUs, users holding 0 to 2 of them, 1 in 20
//! disabled and 1 in 25 a guest. One iteration summarizes every tenant once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entra_core::licenses::{LicenseInput, summarize_licenses};
use entra_core::model::{EntraUser, PrepaidUnits, SubscribedSku};

const TENANTS: usize = 2_000;
const USERS: usize = 500;
const PARTS: [&str; 4] = [
    "SPB",
    "O365_BUSINESS_ESSENTIALS",
    "EXCHANGESTANDARD",
    "CONTOSO_ADDON",
];

fn estate() -> Vec<LicenseInput> {
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    (0..TENANTS)
        .map(|t| {
            let tenant = format!("{t:08x}-0000-4000-8000-000000000000");
            let sku_ids: Vec<String> = (0..PARTS.len())
                .map(|s| format!("{t:08x}-{s:04x}-4000-8000-00000000000{s}"))
                .collect();
            let users = (0..USERS)
                .map(|u| {
                    let mut user =
                        EntraUser::new(&tenant, format!("{t:08x}-{u:04x}-4000-8000-0000000000aa"));
                    user.user_principal_name = Some(format!("user{u}@tenant{t}.example"));
                    user.account_enabled = next() % 20 != 0;
                    user.user_type = Some(if next() % 25 == 0 { "Guest" } else { "Member" }.into());
                    let held = (next() % 3) as usize;
                    user.assigned_license_sku_ids = (0..held)
                        .map(|k| sku_ids[(u + k) % sku_ids.len()].clone())
                        .collect();
                    user
                })
                .collect();
            let subscribed_skus = sku_ids
                .iter()
                .zip(PARTS)
                .map(|(id, part)| SubscribedSku {
                    sku_id: id.clone(),
                    sku_part_number: Some(part.into()),
                    prepaid_units: PrepaidUnits {
                        enabled: 300,
                        ..PrepaidUnits::default()
                    },
                    consumed_units: 250,
                })
                .collect();
            LicenseInput {
                entra_tenant_id: tenant,
                users,
                subscribed_skus,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let estate = estate();
    let mut group = c.benchmark_group("summarize_licenses");
    group.throughput(Throughput::Elements((TENANTS * USERS) as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("2000_tenants_x_500_users", |b| {
        b.iter(|| {
            for input in &estate {
                black_box(summarize_licenses(black_box(input)).expect("summary"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
