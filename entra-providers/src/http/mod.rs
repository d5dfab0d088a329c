//! The HTTP policy shared by every adapter (Microsoft Graph, the Microsoft login endpoint, CIPP).
//!
//! How an adapter uses it:
//! - Build one [`HttpClient`] from an [`HttpPolicy`] (`HttpPolicy::default()` for Graph,
//!   [`HttpPolicy::for_cipp`] for CIPP's long-running calls). Redirects are never followed, so a
//!   bearer token only ever reaches the URL the adapter chose.
//! - Send with [`HttpClient::send_with_retry`], passing a closure that builds the request afresh
//!   for every attempt. It retries 429/503/504 (and 502 when the policy says so) and connection
//!   failures with exponential backoff and full jitter, honours `Retry-After` (seconds or an HTTP
//!   date, never sooner than [`HttpPolicy::min_retry_after`]) and stops once the total wait
//!   would exceed the cap. A request that spends something single-use (an authorization code)
//!   is sent with [`HttpClient::send`] and [`Resend::NeverAfterSend`]: only a connection that
//!   could not be opened is retried. It returns the last response,
//!   whatever its status; turning a failed status into an error is the caller's job:
//!   [`graph_error`] for Graph's `{"error":{"code","message","innerError"}}` bodies,
//!   [`token_error`] for the login endpoint's `{"error","error_description","error_codes"}`
//!   bodies and [`status_error`] for plain-text upstreams. A transport failure that survived the
//!   retries comes back as an `upstream_unavailable` [`ProviderError`](entra_core::provider::ProviderError).
//! - Read bodies with [`HttpClient::read_text`] (streamed, at most
//!   [`HttpPolicy::max_body_bytes`], else `response_too_large`) and parse them with
//!   [`parse_json`], which names the offending field when the shape changed.
//! - Run every page of a listing under one [`ListingDeadline`]
//!   ([`HttpPolicy::listing_deadline`], else `listing_deadline_exceeded`).
//! - Check configured base URLs with [`check_base_url`]: `https`, or `http` on loopback only.
//! - Follow paging links through a [`PageGuard`] (or [`check_next_link`]): a link to another
//!   origin, a repeated link or too many pages is a `paging_guard` error, never followed.
//!
//! Nothing here writes a token, a secret or an authorization header to an error or a log line:
//! log lines name only the method, host and path, upstream messages pass through [`scrub`], and
//! [`redact_known`] removes the exact token or secret a failed request carried, in case the
//! upstream echoed it back.

mod attempt;
mod base_url;
mod body;
mod classify;
mod client;
mod deadline;
mod delay;
mod paging;
mod policy;
mod scrub;

pub(crate) use attempt::Attempt;
pub use base_url::check_base_url;
pub use body::{parse_json, read_json, read_text, read_text_capped};
pub use classify::{graph_error, status_error, token_error, transport_error};
pub use client::HttpClient;
pub use deadline::ListingDeadline;
pub use delay::{backoff_delay, parse_retry_after};
pub use paging::{PageGuard, check_next_link};
pub use policy::{HttpPolicy, Resend};
pub use scrub::{redact_known, scrub};
