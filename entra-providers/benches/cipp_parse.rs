//! How long reading CIPP answers takes: a full `ListGraphRequest` page of 999 users and a
//! `ListTenants` answer of a large MSP (2,000 tenants).

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use entra_providers::cipp::tenants::parse_tenant_rows;
use entra_providers::cipp::users::parse_user_page;
use serde_json::{Value, json};

const TENANT: &str = "52eaad04-13a2-4a2f-9ce8-93a294fadf36";

fn user_page(rows: usize) -> Value {
    let results: Vec<Value> = (0..rows)
        .map(|i| {
            let mut row = support::graph_user(i);
            row["Tenant"] = json!(TENANT);
            row["CippStatus"] = json!("Good");
            row
        })
        .collect();
    json!({
        "Results": results,
        "Metadata": {
            "Endpoint": "users",
            "TenantFilter": TENANT,
            "Version": "v1.0",
            "ManualPagination": true,
            "nextLink": "https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAD8"
        }
    })
}

fn tenant_rows(rows: usize) -> Value {
    let mut answer: Vec<Value> = vec![json!({
        "customerId": "AllTenants", "defaultDomainName": "AllTenants",
        "displayName": "*All Tenants", "domains": "AllTenants", "GraphErrorCount": 0
    })];
    answer.extend((0..rows).map(|i| {
        json!({
            "PartitionKey": "Tenants",
            "RowKey": format!("10000000-0000-4000-8000-{i:012}"),
            "customerId": format!("10000000-0000-4000-8000-{i:012}"),
            "displayName": format!("Customer {i} Ltd"),
            "defaultDomainName": format!("customer{i}.com"),
            "initialDomainName": format!("customer{i}.onmicrosoft.com"),
            "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges",
            "domains": "",
            "Excluded": false,
            "GraphErrorCount": if i % 50 == 0 { 3 } else { 0 },
            "LastGraphError": if i % 50 == 0 { "invalid_grant:AADSTS65001: not consented" } else { "" },
            "RequiresRefresh": false
        })
    }));
    Value::Array(answer)
}

fn bench(c: &mut Criterion) {
    let page = user_page(999);
    c.bench_function("cipp_parse_user_page_999", |b| {
        b.iter(|| parse_user_page(black_box(&page), TENANT))
    });
    let tenants = tenant_rows(2_000);
    c.bench_function("cipp_parse_tenant_rows_2000", |b| {
        b.iter(|| parse_tenant_rows(black_box(&tenants), None))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
