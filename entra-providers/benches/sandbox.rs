//! The sandbox's own cost: building and serving a large estate (200 tenants of 500 users), and
//! answering a full 999-user Graph page over loopback. Hosts benchmarking their sync against the
//! sandbox can subtract these figures.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entra_providers::sandbox::{Sandbox, SandboxConfig};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime builds")
}

fn start_large_estate(c: &mut Criterion) {
    let rt = runtime();
    let config = SandboxConfig {
        tenants: 200,
        users_per_tenant: 500,
        crm_clients: 210,
        ..SandboxConfig::default()
    };
    let mut group = c.benchmark_group("sandbox_start");
    group.sample_size(10);
    group.throughput(Throughput::Elements(200 * 500));
    group.bench_function("200_tenants_x_500_users", |b| {
        b.iter(|| {
            rt.block_on(async {
                let sandbox = Sandbox::start(config.clone())
                    .await
                    .expect("the sandbox starts");
                sandbox.shutdown().await;
            })
        })
    });
    group.finish();
}

fn serve_users_page(c: &mut Criterion) {
    let rt = runtime();
    let config = SandboxConfig {
        tenants: 1,
        users_per_tenant: 999,
        crm_clients: 1,
        ..SandboxConfig::default()
    };
    let (sandbox, token, client) = rt.block_on(async {
        let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
        let creds = sandbox.credentials();
        let tenant = sandbox.tenants()[0].tenant_id.clone();
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client builds");
        let body: serde_json::Value = client
            .post(format!(
                "{}/{tenant}/oauth2/v2.0/token",
                sandbox.login_base_url()
            ))
            .form(&[
                ("client_id", creds.client_id.as_str()),
                ("client_secret", creds.client_secret.as_str()),
                ("grant_type", "refresh_token"),
                ("refresh_token", creds.partner_refresh_token.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .expect("the token endpoint answers")
            .json()
            .await
            .expect("a JSON token");
        let token = body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (sandbox, token, client)
    });
    let url = format!(
        "{}/v1.0/users?$select=id,userPrincipalName,mail,otherMails,proxyAddresses,displayName,givenName,surname,accountEnabled,userType,jobTitle,mobilePhone,businessPhones,department,companyName,onPremisesSyncEnabled,assignedLicenses,createdDateTime&$top=999",
        sandbox.graph_base_url()
    );
    let mut group = c.benchmark_group("sandbox_graph");
    group.throughput(Throughput::Elements(999));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("users_page_999", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("Graph answers");
                assert!(response.status().is_success());
                response.bytes().await.expect("a body").len()
            })
        })
    });
    group.finish();
    drop(sandbox);
}

criterion_group!(benches, start_large_estate, serve_users_page);
criterion_main!(benches);
