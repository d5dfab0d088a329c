//! Shared by the Graph and CIPP provider tests: a loopback mock server, and a case table for
//! "the upstream answers this; the call fails with that code, status and request id".
#![allow(dead_code)]

use std::future::Future;

use entra_core::model::{EntraUser, ManagedTenant};
use entra_core::provider::{ProviderError, RemovalReason, RemovedUser, UserListing};
use serde_json::Value;
use wiremock::{MockBuilder, MockServer, ResponseTemplate};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A wiremock server bound to 127.0.0.1 only.
pub async fn loopback() -> MockServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    MockServer::builder().listener(listener).start().await
}

/// How many requests `server` has received, all of them or only those to `path`: a test uses it
/// to prove a call was retried (or never made) as often as the policy says.
pub async fn requests_to(server: &MockServer, path: Option<&str>) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| path.is_none_or(|p| r.url.path() == p))
        .count()
}

/// The body of a mounted answer.
#[derive(Clone, Debug, Default)]
pub enum Body {
    #[default]
    Empty,
    Json(Value),
    Text(String),
}

/// One upstream answer and the error the provider must make of it. `None` expectations are not
/// checked; `expect_message` must appear in the error message.
#[derive(Clone, Debug, Default)]
pub struct ErrorCase {
    pub name: &'static str,
    pub status: u16,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
    /// How often the answer must be requested (retries included); unchecked when `None`.
    pub calls: Option<u64>,
    pub expect_code: &'static str,
    pub expect_status: Option<u16>,
    pub expect_request_id: Option<&'static str>,
    pub expect_date: Option<&'static str>,
    pub expect_upstream_code: Option<&'static str>,
    pub expect_message: Option<String>,
    /// Text that must appear neither in the error's Display nor in its Debug output.
    pub never_shown: Vec<String>,
}

impl ErrorCase {
    /// A row answering `status` with a plain-text `body`, expected to fail with `code`.
    pub fn plain(name: &'static str, status: u16, body: &str, code: &'static str) -> Self {
        Self {
            name,
            status,
            body: Body::Text(body.to_string()),
            expect_code: code,
            ..Self::default()
        }
    }

    /// Like [`ErrorCase::plain`], also keeping the status and the text (unquoted) in the message.
    pub fn text(name: &'static str, status: u16, body: &str, code: &'static str) -> Self {
        Self::plain(name, status, body, code)
            .keeps_status()
            .saying(body.trim_matches('"'))
    }

    /// A row answering `status` with a JSON `body`, expected to fail with `code`.
    pub fn json(name: &'static str, status: u16, body: Value, code: &'static str) -> Self {
        Self {
            name,
            status,
            body: Body::Json(body),
            expect_code: code,
            ..Self::default()
        }
    }

    /// The error message must contain `text`.
    pub fn saying(mut self, text: &str) -> Self {
        self.expect_message = Some(text.to_string());
        self
    }

    /// The answer must be requested exactly `calls` times (retries included).
    pub fn requested(mut self, calls: u64) -> Self {
        self.calls = Some(calls);
        self
    }

    /// The answer carries this header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    /// The error keeps this request id.
    pub fn request_id(mut self, id: &'static str) -> Self {
        self.expect_request_id = Some(id);
        self
    }

    /// The error keeps this date.
    pub fn dated(mut self, date: &'static str) -> Self {
        self.expect_date = Some(date);
        self
    }

    /// The error keeps this upstream code.
    pub fn upstream(mut self, code: &'static str) -> Self {
        self.expect_upstream_code = Some(code);
        self
    }

    /// The error keeps the answer's HTTP status.
    pub fn keeps_status(mut self) -> Self {
        self.expect_status = Some(self.status);
        self
    }

    /// The answer to mount.
    pub fn answer(&self) -> ResponseTemplate {
        let mut answer = ResponseTemplate::new(self.status);
        for (name, value) in &self.headers {
            answer = answer.insert_header(*name, value.as_str());
        }
        match &self.body {
            Body::Empty => answer,
            Body::Json(json) => answer.set_body_json(json),
            Body::Text(text) => answer.set_body_string(text.clone()),
        }
    }

    /// Mounts the row's answer on `server` behind `mock`, makes `call` and asserts the error.
    pub async fn run<T, F, Fut>(&self, server: &MockServer, mock: MockBuilder, call: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mock = mock.respond_with(self.answer());
        match self.calls {
            Some(calls) => mock.expect(calls).named(self.name),
            None => mock.named(self.name),
        }
        .mount(server)
        .await;
        match call().await {
            Ok(_) => panic!("{}: the call succeeded", self.name),
            Err(err) => self.check(&err),
        }
    }

    /// Asserts every expectation of the row on `err`.
    pub fn check(&self, err: &ProviderError) {
        let name = self.name;
        assert_eq!(err.code(), self.expect_code, "{name}: {err:?}");
        if let Some(status) = self.expect_status {
            assert_eq!(err.status, Some(status), "{name}");
        }
        if let Some(id) = self.expect_request_id {
            assert_eq!(err.request_id.as_deref(), Some(id), "{name}");
        }
        if let Some(date) = self.expect_date {
            assert_eq!(err.date.as_deref(), Some(date), "{name}");
        }
        if let Some(code) = self.expect_upstream_code {
            assert_eq!(err.upstream_code.as_deref(), Some(code), "{name}");
        }
        if let Some(text) = &self.expect_message {
            assert!(
                err.message.contains(text.as_str()),
                "{name}: {}",
                err.message
            );
        }
        let shown = format!("{err} {err:?}");
        for secret in &self.never_shown {
            assert!(!shown.contains(secret.as_str()), "{name}: {shown}");
        }
    }
}

/// A 200 answer with a JSON body.
pub fn ok(body: impl serde::Serialize) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// The value of a request's bearer token, as an echoing fake would read it.
pub fn bearer_of(request: &wiremock::Request) -> String {
    request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_string()
}

/// The values (not the names) of a form body, joined: what an echoing token endpoint repeats,
/// with no `client_secret=` marker to give a secret away.
pub fn form_values(request: &wiremock::Request) -> String {
    url::form_urlencoded::parse(&request.body)
        .map(|(_, v)| v.into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The object ids of `users`, in order.
pub fn user_ids(users: &[EntraUser]) -> Vec<&str> {
    users.iter().map(|u| u.entra_object_id.as_str()).collect()
}

/// The tenant ids of `tenants`, in order.
pub fn tenant_ids(tenants: &[ManagedTenant]) -> Vec<&str> {
    tenants.iter().map(|t| t.entra_tenant_id.as_str()).collect()
}

/// The display names of `tenants`, in order.
pub fn tenant_names(tenants: &[ManagedTenant]) -> Vec<Option<&str>> {
    tenants.iter().map(|t| t.display_name.as_deref()).collect()
}

/// The removed object ids of a delta round with their reasons, in order.
pub fn removals(removed: &[RemovedUser]) -> Vec<(&str, RemovalReason)> {
    removed
        .iter()
        .map(|r| (r.entra_object_id.as_str(), r.reason))
        .collect()
}

/// The two pages of the scenario [`assert_last_copy_kept`] checks, built with an upstream's `row`.
pub fn last_copy_pages(row: fn(&str, &str, bool) -> Value) -> Vec<Vec<Value>> {
    vec![
        vec![
            row("u1", "old@contoso.com", true),
            row("u2", "b@contoso.com", true),
        ],
        vec![row("u1", "new@contoso.com", false)],
    ]
}

/// The listing of a tenant whose `u1` came first as `old@contoso.com` (enabled) beside `u2`, and
/// again on a later page as `new@contoso.com` (disabled): the last copy is kept, with a warning.
pub fn assert_last_copy_kept(listing: &UserListing) {
    assert!(listing.complete);
    assert_eq!(listing.users.len(), 2);
    let u1 = listing
        .users
        .iter()
        .find(|u| u.entra_object_id == "u1")
        .expect("u1");
    assert_eq!(u1.user_principal_name.as_deref(), Some("new@contoso.com"));
    assert!(!u1.account_enabled);
    assert_eq!(listing.warnings.len(), 1);
    assert_eq!(listing.warnings[0].code, "user_listed_twice");
    assert!(listing.warnings[0].message.contains("u1"));
}

/// A listing cut short: incomplete, with the `users` read before the failure and an error with
/// `code`, which is returned for further checks.
pub fn assert_cut_short<'a>(
    listing: &'a UserListing,
    users: usize,
    code: &str,
) -> &'a ProviderError {
    assert!(!listing.complete);
    assert_eq!(listing.users.len(), users);
    let error = listing.error.as_ref().expect("an error");
    assert_eq!(error.code(), code);
    error
}
