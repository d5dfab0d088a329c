//! The shared HTTP policy: retries, Retry-After, timeouts and the retry budget.

mod graph_support;

use std::time::{Duration, SystemTime};

use entra_core::provider::EntraProvider;
use entra_providers::graph::GraphOptions;
use entra_providers::http::{HttpClient, HttpPolicy, graph_error};
use graph_support::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn policy() -> HttpPolicy {
    HttpPolicy::fast_for_tests()
}

async fn get(
    client: &HttpClient,
    url: &str,
) -> Result<reqwest::Response, entra_core::provider::ProviderError> {
    let url = url.to_string();
    client.send_with_retry(|| client.inner().get(&url)).await
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_retried_then_succeeds() {
    let srv = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .insert_header(
                    "x-ms-throttle-scope",
                    "Tenant_Application/ReadWrite/app/tenant",
                )
                .set_body_json(graph_error_body(
                    "TooManyRequests",
                    "Too many requests. Please try again later.",
                )),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&srv)
        .await;
    let client = HttpClient::new(policy()).unwrap();
    let response = get(&client, &format!("{}/v1.0/users", srv.uri()))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn a_retry_after_http_date_is_honoured() {
    let srv = server().await;
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", when.as_str()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&srv)
        .await;
    let client = HttpClient::new(policy()).unwrap();
    assert_eq!(
        get(&client, &srv.uri()).await.unwrap().status().as_u16(),
        200
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_wait_cap_ends_the_retries_as_throttled() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(graph_error_body("TooManyRequests", "Too many requests")),
        )
        .expect(1)
        .mount(&fx.graph)
        .await;
    let provider = fx.provider(GraphOptions {
        enrich_from_relationships: false,
        ..GraphOptions::default()
    });
    let err = provider.list_users(CONTOSO).await.unwrap_err();
    assert_eq!(err.code(), "throttled");
    assert_eq!(err.status, Some(429));
    assert_eq!(
        err.request_id.as_deref(),
        Some("2bd5b4b8-f877-4bf9-9390-1d9fca785d26")
    );
}

#[tokio::test]
async fn a_503_storm_exhausts_the_retries_as_upstream_unavailable() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/tenantRelationships/delegatedAdminCustomers"))
        .respond_with(ResponseTemplate::new(503).set_body_json(graph_error_body(
            "serviceNotAvailable",
            "Service unavailable",
        )))
        .expect(4)
        .mount(&fx.graph)
        .await;
    let provider = fx.provider(GraphOptions {
        enrich_from_relationships: false,
        ..GraphOptions::default()
    });
    let err = provider.list_managed_tenants().await.unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert_eq!(err.status, Some(503));
}

#[tokio::test]
async fn gateway_timeouts_are_retried_but_other_4xx_never() {
    let srv = server().await;
    Mock::given(method("GET"))
        .and(path("/504"))
        .respond_with(ResponseTemplate::new(504))
        .expect(4)
        .mount(&srv)
        .await;
    for status in [400u16, 401, 403, 404, 409] {
        Mock::given(method("GET"))
            .and(path(format!("/{status}")))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&srv)
            .await;
    }
    let client = HttpClient::new(policy()).unwrap();
    assert_eq!(
        get(&client, &format!("{}/504", srv.uri()))
            .await
            .unwrap()
            .status()
            .as_u16(),
        504
    );
    for status in [400u16, 401, 403, 404, 409] {
        let response = get(&client, &format!("{}/{status}", srv.uri()))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
    }
}

#[tokio::test]
async fn bad_gateway_is_retried_only_when_the_policy_says_so() {
    let srv = server().await;
    Mock::given(method("GET"))
        .and(path("/plain"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .and(path("/cipp"))
        .respond_with(ResponseTemplate::new(502))
        .expect(4)
        .mount(&srv)
        .await;
    let plain = HttpClient::new(policy()).unwrap();
    get(&plain, &format!("{}/plain", srv.uri())).await.unwrap();
    let cipp = HttpClient::new(HttpPolicy {
        retry_bad_gateway: true,
        ..policy()
    })
    .unwrap();
    get(&cipp, &format!("{}/cipp", srv.uri())).await.unwrap();
    assert!(HttpPolicy::for_cipp().request_timeout >= Duration::from_secs(120));
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_upstream_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = HttpClient::new(policy()).unwrap();
    let err = get(
        &client,
        &format!("http://127.0.0.1:{port}/v1.0/users?$skiptoken=secretish"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert!(!err.message.contains("skiptoken"), "{}", err.message);
}

#[tokio::test]
async fn a_slow_answer_times_out_as_upstream_unavailable() {
    let srv = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .expect(2)
        .mount(&srv)
        .await;
    let client = HttpClient::new(HttpPolicy {
        request_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..policy()
    })
    .unwrap();
    let err = get(&client, &srv.uri()).await.unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert!(err.message.contains("timed out"), "{}", err.message);
}

#[tokio::test]
async fn the_total_wait_cap_bounds_backoff() {
    let srv = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .expect(2)
        .mount(&srv)
        .await;
    let client = HttpClient::new(HttpPolicy {
        max_retries: 10,
        max_total_wait: Duration::from_millis(1500),
        ..policy()
    })
    .unwrap();
    let response = get(&client, &srv.uri()).await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let err = graph_error(503, response.headers(), "");
    assert_eq!(err.code(), "upstream_unavailable");
}
