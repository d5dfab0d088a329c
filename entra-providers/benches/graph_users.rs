//! Reading a full `/v1.0/users` page (999 users, every contract property selected) into
//! canonical records: the CPU side of listing a large customer tenant.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use entra_providers::graph::{parse_users_page, user_from_graph};
use entra_providers::http::parse_json;
use serde_json::{Value, json};

fn page(rows: usize) -> String {
    let value: Vec<Value> = (0..rows).map(support::graph_user).collect();
    json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAD8",
        "value": value
    })
    .to_string()
}

const TENANT: &str = "52eaad04-13a2-4a2f-9ce8-93a294fadf36";

fn bench(c: &mut Criterion) {
    let body = page(999);
    c.bench_function("graph_users_page_999", |b| {
        b.iter(|| {
            let page = parse_users_page(TENANT, std::hint::black_box(&body)).expect("page");
            assert_eq!(page.users.len(), 999);
            page
        })
    });
    c.bench_function("graph_users_page_999_via_value_rows", |b| {
        b.iter(|| {
            let parsed: Value = parse_json(std::hint::black_box(&body)).expect("page");
            let rows = parsed["value"].as_array().expect("rows");
            let users: Vec<_> = rows
                .iter()
                .map(|row| user_from_graph(TENANT, row).expect("user"))
                .collect();
            assert_eq!(users.len(), 999);
            users
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
