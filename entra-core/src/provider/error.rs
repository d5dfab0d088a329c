use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_kind::ErrorKind;

crate::error_codes! {
    /// What went wrong upstream, as a stable code that tells an operator what to do. Serialized
    /// as its snake_case code.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProviderErrorCode {
        /// The app is not consented in the customer tenant (AADSTS65001, 90099, 6500xx): re-run consent.
        ConsentRequired = "consent_required" => Consent,
        /// The partner user has no GDAP role that allows the call (Graph 403, AADSTS50020).
        GdapRoleMissing = "gdap_role_missing" => Auth,
        /// The upstream refused the call (403) for another reason; the message carries it.
        Forbidden = "forbidden" => Auth,
        /// MFA or Conditional Access blocked the token (50076, 53003, insufficient_claims): sign in again.
        MfaOrConditionalAccess = "mfa_or_conditional_access" => Auth,
        /// The refresh token is expired or revoked (700082, invalid_grant): reconnect.
        RefreshTokenExpired = "refresh_token_expired" => Auth,
        /// The client secret is wrong or expired (7000215, 7000222): rotate it.
        InvalidClient = "invalid_client" => Auth,
        /// An administrator must consent (90094, 90095).
        AdminConsentRequired = "admin_consent_required" => Consent,
        /// The access token was rejected even after a refresh (401).
        Unauthorized = "unauthorized" => Auth,
        /// Still throttled after the retry budget was spent.
        Throttled = "throttled" => Throttled,
        /// 5xx or connection failures after retries.
        UpstreamUnavailable = "upstream_unavailable" => Upstream,
        /// The upstream answered in a shape we do not understand; the message names the field.
        UnexpectedResponse = "unexpected_response" => Upstream,
        /// The tenant is unknown upstream or has been deleted.
        TenantNotFound = "tenant_not_found" => Upstream,
        /// The endpoint does not exist (CIPP 404 `Endpoint not found`).
        NotFound = "not_found" => Upstream,
        /// A delta token expired: a full resync is required.
        ResyncRequired = "resync_required" => Upstream,
        /// Settings or credentials are missing or malformed.
        Configuration = "configuration" => Configuration,
        /// A paging link pointed at another host, repeated itself or exceeded the page cap.
        PagingGuard = "paging_guard" => Upstream,
        /// The provider does not support the operation.
        Unsupported = "unsupported" => Unsupported,
        /// The upstream rejected the request as malformed (400).
        BadRequest = "bad_request" => Upstream,
        /// The hosted CIPP subscription ended: the instance no longer answers API calls.
        SubscriptionEnded = "subscription_ended" => Auth,
        /// A rotated refresh token could not be persisted (the host's secret store or rotation
        /// callback failed): the stored one may already be spent, so fix the store before the next
        /// run or the connection is lost.
        TokenPersistFailed = "token_persist_failed" => Auth,
        /// An answer's body exceeded the configured size cap; it was not read further.
        ResponseTooLarge = "response_too_large" => Upstream,
        /// A listing ran past its overall deadline; the pages read so far are kept as incomplete.
        ListingDeadlineExceeded = "listing_deadline_exceeded" => Upstream,
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

    /// The kind of failure (what a binding maps to an exception class).
    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }

    /// The structured fields as camelCase JSON: `code`, `message` and, when known, `status`,
    /// `requestId`, `date` and `upstreamCode`.
    pub fn details(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }
}

crate::classified!(ProviderError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_error_codes_serialize_as_their_code() {
        for code in ProviderErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
            assert_eq!(ProviderErrorCode::parse(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn provider_error_details_carry_status_request_id_and_upstream_code() {
        let mut err = ProviderError::new(ProviderErrorCode::GdapRoleMissing, "no role");
        err.status = Some(403);
        err.request_id = Some("req-1".into());
        err.upstream_code = Some("Authorization_RequestDenied".into());
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(
            err.details(),
            Some(serde_json::json!({
                "code": "gdap_role_missing",
                "message": "no role",
                "status": 403,
                "requestId": "req-1",
                "upstreamCode": "Authorization_RequestDenied",
            }))
        );
    }
}
