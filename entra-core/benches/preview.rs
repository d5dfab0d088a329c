//! `preview_mappings` at MSP scale: 2,000 tenants against 20,000 clients, and 5,000 against
//! 100,000; and 5 new tenants against 20,000 clients indexed once ([`PreviewIndex`]). The estate
//! is synthetic and deterministic: a third of the tenants share a domain with a client, a third
//! carry a variant of a client's name, the rest match nothing.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use entra_core::mapping::index::ClientIndex;
use entra_core::mapping::{PreviewIndex, PreviewInput, PreviewOptions, preview_mappings};
use entra_core::model::{Client, ManagedTenant};

/// A small deterministic generator (xorshift64*), so every run scores the same estate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const SYLLABLES: &[&str] = &[
    "bar", "cor", "del", "fen", "gal", "hol", "jun", "kel", "lum", "mar", "nor", "pel", "quin",
    "ros", "sel", "tor", "ul", "ver", "wex", "yar", "zen", "ash", "bri", "cal", "dun", "eld",
    "fal", "gri", "hav", "ion",
];
const ENDINGS: &[&str] = &[
    "", " Inc", " LLC", " Ltd", " GmbH", " Corp", " Pty Ltd", " SA",
];
const TRADES: &[&str] = &[
    "Dental",
    "Logistics",
    "Construction",
    "Services",
    "Solutions",
    "Group",
    "Legal",
    "Health",
    "Wealth",
    "Rental",
    "Capital",
    "Foods",
    "Motors",
    "Energy",
    "Travel",
    "Consulting",
];

fn word(rng: &mut Rng) -> String {
    let parts = 2 + (rng.next() % 2) as usize;
    let mut w = String::new();
    for _ in 0..parts {
        w.push_str(rng.pick::<&str>(SYLLABLES));
    }
    let mut chars = w.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn estate(tenants: usize, clients: usize) -> PreviewInput {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (tenants as u64 * 31 + clients as u64));
    let mut client_list = Vec::with_capacity(clients);
    for i in 0..clients {
        let (a, trade) = (word(&mut rng), *rng.pick(TRADES));
        let name = format!("{a} {trade}{}", rng.pick(ENDINGS));
        let domain = format!("{}{i}.com", a.to_lowercase());
        client_list.push(Client {
            client_id: format!("c{i:06}"),
            client_name: Some(name),
            domains: vec![format!("https://www.{domain}")],
            secondary_domains: if i.is_multiple_of(4) {
                vec![format!("billing@{}-{i}.co.uk", a.to_lowercase())]
            } else {
                Vec::new()
            },
        });
    }
    let mut tenant_list = Vec::with_capacity(tenants);
    for i in 0..tenants {
        let mut t = ManagedTenant::new(format!("t{i:06}"));
        let target = &client_list[(rng.next() % clients as u64) as usize];
        let label = format!("tenant{i}.onmicrosoft.com");
        match i % 3 {
            0 => {
                let domain = target.domains[0]
                    .trim_start_matches("https://www.")
                    .to_string();
                t.display_name = Some(format!("{} Head Office", word(&mut rng)));
                t.domains = vec![label, domain.clone()];
                t.primary_domain = Some(domain);
            }
            1 => {
                let name = target.client_name.clone().unwrap_or_default();
                t.display_name = Some(name.replace(" Inc", " Corporation").to_uppercase());
                t.domains = vec![label];
            }
            _ => {
                t.display_name = Some(format!("{} {}", word(&mut rng), rng.pick(TRADES)));
                t.domains = vec![label, format!("{}-{i}.net", word(&mut rng).to_lowercase())];
            }
        }
        tenant_list.push(t);
    }
    PreviewInput {
        tenants: tenant_list,
        clients: client_list,
        mappings: Vec::new(),
        options: PreviewOptions::default(),
    }
}

fn bench_preview(c: &mut Criterion) {
    let mut group = c.benchmark_group("preview_mappings");
    group.sample_size(10);
    for (tenants, clients) in [(2_000, 20_000), (5_000, 100_000)] {
        let input = estate(tenants, clients);
        let out = preview_mappings(&input).expect("preview succeeds");
        println!(
            "{tenants} x {clients}: {} auto-matched, {} with candidates, {} unmatched",
            out.auto_matched.len(),
            out.fuzzy_candidates.len(),
            out.unmatched.len()
        );
        group.bench_function(format!("{tenants}_tenants_x_{clients}_clients"), |b| {
            b.iter(|| preview_mappings(black_box(&input)))
        });
        // The share of the above spent preparing the clients.
        group.bench_function(format!("index_only_{clients}_clients"), |b| {
            b.iter(|| ClientIndex::build(black_box(&input.clients)))
        });
    }

    // A host previewing a handful of new tenants against clients it indexed once (target: at
    // most 5 ms), and the one-shot preview of the same input, which indexes the clients again.
    let estate = estate(2_000, 20_000);
    let five = PreviewInput {
        tenants: estate.tenants.iter().take(5).cloned().collect(),
        ..estate
    };
    let index = PreviewIndex::new(five.clients.clone(), five.options.clone()).expect("index");
    group.bench_function("5_tenants_x_20000_indexed_clients", |b| {
        b.iter(|| index.preview(black_box(&five.tenants), &five.mappings))
    });
    group.bench_function("5_tenants_x_20000_clients_one_shot", |b| {
        b.iter(|| preview_mappings(black_box(&five)))
    });
    group.finish();
}

criterion_group!(benches, bench_preview);
criterion_main!(benches);
