use entra_core::provider::{ProviderError, ProviderErrorCode};
use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use serde_json::Value;

use super::scrub::scrub;

/// Classifies a failed Microsoft Graph answer from its status, headers and body
/// (`{"error":{"code","message","innerError":{"date","request-id"}}}`), keeping Graph's
/// `request-id` and `date` for support tickets. A body of another shape still yields an error
/// classified by status.
pub fn graph_error(status: u16, headers: &HeaderMap, body: &str) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let upstream_code = error
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(scrub);
    let inner = error.and_then(|e| e.get("innerError").or_else(|| e.get("innererror")));
    let request_id = inner
        .and_then(|i| i.get("request-id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| header(headers, "request-id"));
    let date = inner
        .and_then(|i| i.get("date"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| header(headers, "date"));
    let claims_challenge = header(headers, WWW_AUTHENTICATE.as_str())
        .is_some_and(|h| h.contains("insufficient_claims"))
        || body.contains("insufficient_claims");

    let code_str = upstream_code.as_deref().unwrap_or("");
    // Some workloads put the precise code in `innerError.code` under a generic outer one.
    let inner_code = inner
        .and_then(|i| i.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let resync = [code_str, inner_code].iter().any(|c| {
        c.eq_ignore_ascii_case("syncStateNotFound") || c.eq_ignore_ascii_case("resyncRequired")
    });
    let code = if resync || status == 410 {
        ProviderErrorCode::ResyncRequired
    } else if claims_challenge {
        ProviderErrorCode::MfaOrConditionalAccess
    } else {
        match status {
            401 => ProviderErrorCode::Unauthorized,
            403 if code_str == "Authorization_RequestDenied" => ProviderErrorCode::GdapRoleMissing,
            403 => ProviderErrorCode::Forbidden,
            404 => ProviderErrorCode::NotFound,
            429 => ProviderErrorCode::Throttled,
            400 => ProviderErrorCode::BadRequest,
            500..=599 => ProviderErrorCode::UpstreamUnavailable,
            _ => ProviderErrorCode::UnexpectedResponse,
        }
    };
    let summary = match (&upstream_code, &message) {
        (Some(c), Some(m)) => format!("Graph answered {status} {c}: {m}"),
        (Some(c), None) => format!("Graph answered {status} {c}"),
        (None, Some(m)) => format!("Graph answered {status}: {m}"),
        (None, None) if body.trim().is_empty() => format!("Graph answered {status}"),
        (None, None) => format!("Graph answered {status}: {}", scrub(body.trim())),
    };
    ProviderError {
        code,
        message: summary,
        status: Some(status),
        request_id,
        date,
        upstream_code,
    }
}

/// Classifies a failed answer of the Microsoft identity platform's token endpoint
/// (`{"error","error_description","error_codes":[…],"timestamp","trace_id"}`), on the numeric
/// AADSTS code first and the `error` string second, never on the description's wording.
pub fn token_error(status: u16, body: &str) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let error = field("error");
    let description = field("error_description");
    let codes: Vec<u64> = parsed
        .as_ref()
        .and_then(|v| v.get("error_codes"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let by_number = codes.iter().find_map(|c| aadsts_code(*c));
    // A claims challenge (`claims`, or a `suberror` such as `basic_action`) asks for an
    // interactive sign-in whatever the `error` string says.
    let challenged = field("claims").is_some_and(|c| !c.trim().is_empty())
        || field("suberror").is_some_and(|c| !c.trim().is_empty());
    let by_challenge = challenged.then_some(ProviderErrorCode::MfaOrConditionalAccess);
    let by_error = error.as_deref().and_then(oauth_error_code);
    let code = by_number
        .or(by_challenge)
        .or(by_error)
        .unwrap_or(match status {
            429 => ProviderErrorCode::Throttled,
            500..=599 => ProviderErrorCode::UpstreamUnavailable,
            401 => ProviderErrorCode::InvalidClient,
            400 => ProviderErrorCode::BadRequest,
            _ => ProviderErrorCode::UnexpectedResponse,
        });
    let upstream_code = codes
        .first()
        .map(|c| format!("AADSTS{c}"))
        .or_else(|| error.clone());
    // The first line of the description carries the meaning; the rest is trace noise.
    let first_line = description
        .as_deref()
        .and_then(|d| d.lines().next())
        .map(scrub);
    let message = match (&error, first_line) {
        (Some(e), Some(d)) => format!("token endpoint answered {status} {e}: {d}"),
        (Some(e), None) => format!("token endpoint answered {status} {e}"),
        (None, Some(d)) => format!("token endpoint answered {status}: {d}"),
        (None, None) => format!("token endpoint answered {status}"),
    };
    ProviderError {
        code,
        message,
        status: Some(status),
        request_id: field("trace_id").or_else(|| field("correlation_id")),
        date: field("timestamp"),
        upstream_code,
    }
}

/// Classifies a failed answer from an upstream whose error bodies are plain text (CIPP, the
/// App Service gateway in front of it) by status alone; the scrubbed text becomes the message.
pub fn status_error(status: u16, body: &str) -> ProviderError {
    let code = match status {
        400 => ProviderErrorCode::BadRequest,
        401 => ProviderErrorCode::Unauthorized,
        403 => ProviderErrorCode::Forbidden,
        404 => ProviderErrorCode::NotFound,
        429 => ProviderErrorCode::Throttled,
        500..=599 => ProviderErrorCode::UpstreamUnavailable,
        _ => ProviderErrorCode::UnexpectedResponse,
    };
    let text = body.trim();
    let message = if text.is_empty() {
        format!("upstream answered {status}")
    } else {
        format!("upstream answered {status}: {}", scrub(text))
    };
    let mut err = ProviderError::new(code, message);
    err.status = Some(status);
    err
}

/// Classifies a request that got no answer (connection refused, reset, timed out). The URL is
/// left out: query strings can carry paging tokens.
pub fn transport_error(err: &reqwest::Error) -> ProviderError {
    let what = if err.is_timeout() {
        "the request timed out"
    } else if err.is_connect() {
        "the connection failed"
    } else if err.is_body() || err.is_decode() {
        "the answer could not be read"
    } else {
        "the request failed"
    };
    let host = err
        .url()
        .and_then(|u| u.host_str())
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    ProviderError::new(
        ProviderErrorCode::UpstreamUnavailable,
        format!("{what}{host}"),
    )
}

fn aadsts_code(code: u64) -> Option<ProviderErrorCode> {
    use ProviderErrorCode as C;
    Some(match code {
        // 6500xx: the service principal, resource or permission grant is missing in the tenant.
        65001 | 90099 | 650000..=650099 | 700016 | 500011 => C::ConsentRequired,
        50020 => C::GdapRoleMissing,
        50076 | 50079 | 50074 | 50078 | 53003 | 530032 | 530034 | 70043 => {
            C::MfaOrConditionalAccess
        }
        700082 | 50173 | 70000 | 70008 | 54005 => C::RefreshTokenExpired,
        7000215 | 7000222 => C::InvalidClient,
        90094 | 90095 => C::AdminConsentRequired,
        90002 | 5000224 => C::TenantNotFound,
        70011 | 28002 | 50194 | 90038 => C::Configuration,
        _ => return None,
    })
}

fn oauth_error_code(error: &str) -> Option<ProviderErrorCode> {
    use ProviderErrorCode as C;
    Some(match error {
        "insufficient_claims" | "interaction_required" => C::MfaOrConditionalAccess,
        "invalid_grant" => C::RefreshTokenExpired,
        "invalid_client" | "unauthorized_client" => C::InvalidClient,
        "consent_required" => C::ConsentRequired,
        "invalid_scope" | "invalid_resource" | "unsupported_grant_type" => C::Configuration,
        "temporarily_unavailable" | "server_error" => C::UpstreamUnavailable,
        "invalid_request" => C::BadRequest,
        _ => return None,
    })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_403_denied_is_a_missing_gdap_role_with_request_id() {
        let body = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2024-09-24T13:40:08","request-id":"2bd5b4b8-f877-4bf9-9390-1d9fca785d26","client-request-id":"2bd5b4b8-f877-4bf9-9390-1d9fca785d26"}}}"#;
        let err = graph_error(403, &HeaderMap::new(), body);
        assert_eq!(err.code(), "gdap_role_missing");
        assert_eq!(
            err.request_id.as_deref(),
            Some("2bd5b4b8-f877-4bf9-9390-1d9fca785d26")
        );
        assert_eq!(err.date.as_deref(), Some("2024-09-24T13:40:08"));
        assert_eq!(
            err.upstream_code.as_deref(),
            Some("Authorization_RequestDenied")
        );
    }

    #[test]
    fn graph_codes_by_status() {
        let h = HeaderMap::new();
        assert_eq!(
            graph_error(403, &h, r#"{"error":{"code":"Forbidden","message":"x"}}"#).code(),
            "forbidden"
        );
        assert_eq!(graph_error(429, &h, "").code(), "throttled");
        assert_eq!(graph_error(503, &h, "oops").code(), "upstream_unavailable");
        assert_eq!(graph_error(410, &h, "").code(), "resync_required");
        assert_eq!(
            graph_error(
                400,
                &h,
                r#"{"error":{"code":"syncStateNotFound","message":"x"}}"#
            )
            .code(),
            "resync_required"
        );
        assert_eq!(graph_error(401, &h, "").code(), "unauthorized");
        assert_eq!(
            graph_error(
                400,
                &h,
                r#"{"error":{"code":"badRequest","message":"x","innerError":{"code":"resyncRequired"}}}"#
            )
            .code(),
            "resync_required"
        );
        assert_eq!(
            graph_error(
                403,
                &h,
                r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#
            )
            .code(),
            "gdap_role_missing"
        );
        assert_eq!(
            graph_error(
                429,
                &h,
                r#"{"error":{"code":"activityLimitReached","message":"x","innerError":{"code":"throttledRequest"}}}"#
            )
            .code(),
            "throttled"
        );
        let mut challenge = HeaderMap::new();
        challenge.insert(
            WWW_AUTHENTICATE,
            "Bearer realm=\"\", error=\"insufficient_claims\", claims=\"e30=\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            graph_error(401, &challenge, "").code(),
            "mfa_or_conditional_access"
        );
    }

    #[test]
    fn token_errors_follow_the_aadsts_number() {
        let cases = [
            (400, "invalid_grant", 65001, "consent_required"),
            (400, "invalid_grant", 50076, "mfa_or_conditional_access"),
            (400, "invalid_grant", 53003, "mfa_or_conditional_access"),
            (400, "invalid_grant", 700082, "refresh_token_expired"),
            (401, "invalid_client", 7000215, "invalid_client"),
            (400, "invalid_request", 90094, "admin_consent_required"),
            (400, "invalid_grant", 50020, "gdap_role_missing"),
        ];
        for (status, error, number, expected) in cases {
            let body = format!(
                r#"{{"error":"{error}","error_description":"AADSTS{number}: Something.\r\nTrace ID: t\r\nCorrelation ID: c","error_codes":[{number}],"timestamp":"2026-08-01 10:00:00Z","trace_id":"t-1","correlation_id":"c-1"}}"#
            );
            let err = token_error(status, &body);
            assert_eq!(err.code(), expected, "{number}");
            assert_eq!(
                err.upstream_code.as_deref(),
                Some(format!("AADSTS{number}").as_str())
            );
            assert_eq!(err.request_id.as_deref(), Some("t-1"));
            assert!(!err.message.contains("Trace ID"), "{}", err.message);
        }
        assert_eq!(
            token_error(400, r#"{"error":"insufficient_claims"}"#).code(),
            "mfa_or_conditional_access"
        );
        assert_eq!(
            token_error(400, r#"{"error":"invalid_grant"}"#).code(),
            "refresh_token_expired"
        );
        assert_eq!(token_error(502, "<html>").code(), "upstream_unavailable");
        let challenge = r#"{"error":"invalid_grant","error_description":"AADSTS50158: External security challenge not satisfied.","error_codes":[50158],"suberror":"basic_action","claims":"{\"access_token\":{\"capolids\":{\"essential\":true}}}"}"#;
        assert_eq!(
            token_error(400, challenge).code(),
            "mfa_or_conditional_access"
        );
        assert_eq!(
            token_error(400, r#"{"error":"interaction_required","error_codes":[]}"#).code(),
            "mfa_or_conditional_access"
        );
        assert_eq!(
            token_error(400, r#"{"error":"invalid_grant","error_codes":[70008]}"#).code(),
            "refresh_token_expired"
        );
        assert_eq!(
            token_error(400, r#"{"error":"invalid_grant","error_codes":[50173]}"#).code(),
            "refresh_token_expired"
        );
        assert_eq!(
            token_error(401, r#"{"error":"invalid_client","error_codes":[7000222]}"#).code(),
            "invalid_client"
        );
        assert_eq!(
            token_error(400, r#"{"error":"invalid_request","error_codes":[90095]}"#).code(),
            "admin_consent_required"
        );
        assert_eq!(
            token_error(400, r#"{"error":"invalid_grant","error_codes":[90099]}"#).code(),
            "consent_required"
        );
        assert_eq!(
            token_error(400, r#"{"error":"invalid_grant","error_codes":[650052]}"#).code(),
            "consent_required"
        );
        for mfa in [50079, 50074] {
            let body = format!(r#"{{"error":"invalid_grant","error_codes":[{mfa}]}}"#);
            assert_eq!(token_error(400, &body).code(), "mfa_or_conditional_access");
        }
    }

    #[test]
    fn plain_text_errors_keep_their_reason() {
        let err = status_error(403, "Access to this tenant is not allowed");
        assert_eq!(err.code(), "forbidden");
        assert!(err.message.contains("Access to this tenant is not allowed"));
        assert_eq!(status_error(404, "Endpoint not found").code(), "not_found");
    }
}
