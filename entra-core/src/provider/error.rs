use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What went wrong upstream, as a stable code that tells an operator what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderErrorCode {
    /// The app is not consented in the customer tenant (AADSTS65001, 90099, 6500xx): re-run consent.
    ConsentRequired,
    /// The partner user has no GDAP role that allows the call (Graph 403, AADSTS50020).
    GdapRoleMissing,
    /// The upstream refused the call (403) for another reason; the message carries it.
    Forbidden,
    /// MFA or Conditional Access blocked the token (50076, 53003, insufficient_claims): sign in again.
    MfaOrConditionalAccess,
    /// The refresh token is expired or revoked (700082, invalid_grant): reconnect.
    RefreshTokenExpired,
    /// The client secret is wrong or expired (7000215, 7000222): rotate it.
    InvalidClient,
    /// An administrator must consent (90094, 90095).
    AdminConsentRequired,
    /// The access token was rejected even after a refresh (401).
    Unauthorized,
    /// Still throttled after the retry budget was spent.
    Throttled,
    /// 5xx or connection failures after retries.
    UpstreamUnavailable,
    /// The upstream answered in a shape we do not understand; the message names the field.
    UnexpectedResponse,
    /// The tenant is unknown upstream or has been deleted.
    TenantNotFound,
    /// The endpoint does not exist (CIPP 404 `Endpoint not found`).
    NotFound,
    /// A delta token expired: a full resync is required.
    ResyncRequired,
    /// Settings or credentials are missing or malformed.
    Configuration,
    /// A paging link pointed at another host, repeated itself or exceeded the page cap.
    PagingGuard,
    /// The provider does not support the operation.
    Unsupported,
    /// The upstream rejected the request as malformed (400).
    BadRequest,
    /// The hosted CIPP subscription ended: the instance no longer answers API calls.
    SubscriptionEnded,
    /// A rotated refresh token could not be persisted (the host's secret store or rotation
    /// callback failed): the stored one may already be spent, so fix the store before the next
    /// run or the connection is lost.
    TokenPersistFailed,
    /// An answer's body exceeded the configured size cap; it was not read further.
    ResponseTooLarge,
    /// A listing ran past its overall deadline; the pages read so far are kept as incomplete.
    ListingDeadlineExceeded,
}

impl ProviderErrorCode {
    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConsentRequired => "consent_required",
            Self::GdapRoleMissing => "gdap_role_missing",
            Self::Forbidden => "forbidden",
            Self::MfaOrConditionalAccess => "mfa_or_conditional_access",
            Self::RefreshTokenExpired => "refresh_token_expired",
            Self::InvalidClient => "invalid_client",
            Self::AdminConsentRequired => "admin_consent_required",
            Self::Unauthorized => "unauthorized",
            Self::Throttled => "throttled",
            Self::UpstreamUnavailable => "upstream_unavailable",
            Self::UnexpectedResponse => "unexpected_response",
            Self::TenantNotFound => "tenant_not_found",
            Self::NotFound => "not_found",
            Self::ResyncRequired => "resync_required",
            Self::Configuration => "configuration",
            Self::PagingGuard => "paging_guard",
            Self::Unsupported => "unsupported",
            Self::BadRequest => "bad_request",
            Self::SubscriptionEnded => "subscription_ended",
            Self::TokenPersistFailed => "token_persist_failed",
            Self::ResponseTooLarge => "response_too_large",
            Self::ListingDeadlineExceeded => "listing_deadline_exceeded",
        }
    }
}

/// An upstream failure. The message never carries a token, a secret or an authorization header.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[error("{}: {message}", code.as_str())]
pub struct ProviderError {
    pub code: ProviderErrorCode,
    pub message: String,
    /// HTTP status, when the failure came from an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Graph's `request-id`, for support tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Graph's `date` of the failing request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The upstream's own error code (e.g. `Authorization_RequestDenied`, `AADSTS65001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_code: Option<String>,
}

impl ProviderError {
    pub fn new(code: ProviderErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
            request_id: None,
            date: None,
            upstream_code: None,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }
}
