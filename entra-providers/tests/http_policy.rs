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

#[tokio::test]
async fn retry_after_zero_waits_at_least_the_floor() {
    // The floor (10 s) exceeds the wait budget (3 s): a `Retry-After: 0` is not retried at
    // once, so the one 429 is the answer. Without the floor the second attempt would get 200.
    let srv = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&srv)
        .await;
    let client = HttpClient::new(HttpPolicy {
        min_retry_after: Duration::from_secs(10),
        ..policy()
    })
    .unwrap();
    let response = get(&client, &srv.uri()).await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        HttpPolicy::default().min_retry_after,
        Duration::from_secs(1)
    );
}

#[tokio::test]
async fn an_answer_over_the_body_cap_is_response_too_large() {
    let srv = server().await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&srv)
        .await;
    Mock::given(method("GET"))
        .and(path("/small"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(1024)))
        .mount(&srv)
        .await;
    let client = HttpClient::new(HttpPolicy {
        max_body_bytes: 1024,
        ..policy()
    })
    .unwrap();
    let response = get(&client, &format!("{}/big", srv.uri())).await.unwrap();
    let err = client.read_text(response).await.unwrap_err();
    assert_eq!(err.code(), "response_too_large");
    assert!(err.message.contains("1024"), "{}", err.message);
    let response = get(&client, &format!("{}/small", srv.uri())).await.unwrap();
    assert_eq!(client.read_text(response).await.unwrap().len(), 1024);
    assert_eq!(HttpPolicy::default().max_body_bytes, 32 * 1024 * 1024);
}

/// Serves one chunked answer (no `Content-Length`) of `chunks` chunks of 1 KiB each.
async fn chunked_server(chunks: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("400\r\n{}\r\n", "y".repeat(1024));
        for _ in 0..chunks {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
    });
    format!("http://{addr}/stream")
}

#[tokio::test]
async fn a_streamed_answer_over_the_body_cap_stops_reading() {
    let client = HttpClient::new(HttpPolicy {
        max_body_bytes: 8 * 1024,
        ..policy()
    })
    .unwrap();
    let url = chunked_server(64).await;
    let response = get(&client, &url).await.unwrap();
    assert_eq!(response.content_length(), None);
    let err = client.read_text(response).await.unwrap_err();
    assert_eq!(err.code(), "response_too_large");
    let url = chunked_server(8).await;
    let response = get(&client, &url).await.unwrap();
    assert_eq!(client.read_text(response).await.unwrap().len(), 8 * 1024);
}

#[tokio::test]
async fn the_code_exchange_is_never_resent_after_a_timeout() {
    use entra_providers::auth::TokenClient;
    use entra_providers::secrets::Secret;
    let fx = Fixture::start().await;
    Mock::given(method("POST"))
        .and(path("/organizations/oauth2/v2.0/token"))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=authorization_code",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("AT-1", Some("RT-1")))
                .set_delay(Duration::from_secs(2)),
        )
        .expect(1)
        .mount(&fx.login)
        .await;
    Mock::given(method("POST"))
        .and(path("/organizations/oauth2/v2.0/token"))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=refresh_token",
        ))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&fx.login)
        .await;
    let client = TokenClient::new(
        HttpClient::new(HttpPolicy {
            request_timeout: Duration::from_millis(300),
            max_retries: 2,
            ..policy()
        })
        .unwrap(),
        fx.endpoints(),
        CLIENT_ID,
        Secret::new(CLIENT_SECRET),
    );
    let err = client
        .exchange_code(
            "organizations",
            &Secret::new("single-use-code"),
            "https://psa.example/callback",
            &Secret::new("verifier-verifier-verifier-verifier-verifier"),
            &["openid".to_string()],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert!(err.message.contains("timed out"), "{}", err.message);
    // A refresh is repeatable and keeps its retries.
    let err = client
        .refresh(
            "organizations",
            &Secret::new("RT-x"),
            "https://graph.microsoft.com/.default",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
}

#[tokio::test]
async fn a_listing_past_its_deadline_stops_with_listing_deadline_exceeded() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    let page2 = fx.graph_url("v1.0/users?$top=999&$skiptoken=slow");
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(wiremock::matchers::query_param("$skiptoken", "slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [user_row("u2", "b@contoso.com", true)]}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&fx.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(wiremock::matchers::query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": page2,
            "value": [user_row("u1", "a@contoso.com", true)]})))
        .mount(&fx.graph)
        .await;
    let deadline = HttpPolicy {
        listing_deadline: Duration::from_millis(1500),
        ..policy()
    };
    let listing = fx
        .provider_with_policy(GraphOptions::default(), deadline.clone())
        .list_users(CONTOSO)
        .await
        .unwrap();
    assert!(!listing.complete);
    assert_eq!(listing.users.len(), 1);
    assert_eq!(
        listing.error.map(|e| e.code()),
        Some("listing_deadline_exceeded")
    );
    assert_eq!(
        HttpPolicy::default().listing_deadline,
        Duration::from_secs(30 * 60)
    );
}

#[tokio::test]
async fn a_first_page_past_the_listing_deadline_is_an_error() {
    let fx = Fixture::start().await;
    fx.mount_partner_refresh("AT-partner-1", None).await;
    fx.mount_customer_token(CONTOSO, "AT-contoso").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": []}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&fx.graph)
        .await;
    let err = fx
        .provider_with_policy(
            GraphOptions::default(),
            HttpPolicy {
                listing_deadline: Duration::from_millis(500),
                ..policy()
            },
        )
        .list_users(CONTOSO)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "listing_deadline_exceeded");
}

#[test]
fn plain_http_base_urls_are_refused_unless_loopback() {
    use entra_providers::auth::CloudEndpoints;
    use entra_providers::cipp::CippConfig;
    // (login base, Graph base, accepted)
    let graph_cases = [
        (
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
            true,
        ),
        ("http://127.0.0.1:9", "http://localhost:10", true),
        (
            "http://login.example.com",
            "https://graph.microsoft.com",
            false,
        ),
        (
            "https://login.microsoftonline.com",
            "http://graph.example.com",
            false,
        ),
    ];
    for (login, graph, ok) in graph_cases {
        let result = CloudEndpoints::custom(login, graph);
        assert_eq!(result.is_ok(), ok, "{login} {graph}");
        if let Err(err) = result {
            assert_eq!(err.code(), "configuration");
            assert!(err.message.contains("https"), "{}", err.message);
        }
    }
    // (CIPP API URL, login authority, Graph host, accepted)
    let cipp_cases = [
        (
            "https://cipp.example",
            "https://login.microsoftonline.com",
            "graph.microsoft.com",
            true,
        ),
        (
            "http://127.0.0.1:7071",
            "http://127.0.0.1:7072",
            "http://127.0.0.1:7073",
            true,
        ),
        (
            "http://cipp.example",
            "https://login.microsoftonline.com",
            "graph.microsoft.com",
            false,
        ),
        (
            "https://cipp.example",
            "http://login.example.com",
            "graph.microsoft.com",
            false,
        ),
        (
            "https://cipp.example",
            "https://login.microsoftonline.com",
            "http://graph.example.com",
            false,
        ),
    ];
    for (base, login, graph, ok) in cipp_cases {
        let mut config = CippConfig::new(base, "partner-tenant", "app-id", "s3cret");
        config.login_base = login.to_string();
        config.graph_host = graph.to_string();
        let result = config.validate();
        assert_eq!(result.is_ok(), ok, "{base} {login} {graph}");
        if let Err(err) = result {
            assert_eq!(err.code(), "configuration");
        }
    }
}

#[test]
fn a_cipp_tenant_id_that_could_change_the_token_url_is_refused() {
    use entra_providers::cipp::CippConfig;
    for bad in ["..", "a/../b", "tenant?x=1", "tenant#f", "ten ant", "a..b"] {
        let config = CippConfig::new("https://cipp.example", bad, "app-id", "s3cret");
        let err = config.validate().unwrap_err();
        assert_eq!(err.code(), "configuration", "{bad}");
        assert!(err.message.contains("CIPP tenant id"), "{}", err.message);
    }
    for good in [
        "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
        "contoso.onmicrosoft.com",
    ] {
        let config = CippConfig::new("https://cipp.example", good, "app-id", "s3cret");
        assert!(config.validate().is_ok(), "{good}");
    }
}
