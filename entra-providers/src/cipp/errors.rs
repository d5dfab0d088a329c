//! CIPP answers failures in plain text, not JSON: the status says who refused (App Service
//! authentication, CIPP's role check, the Graph call behind it) and the text says why. This module
//! turns such an answer into a [`ProviderError`] whose code tells the operator what to do, keeping
//! the reason text but never anything that looks like a credential.

use entra_core::provider::{ProviderError, ProviderErrorCode};

use crate::http::scrub;

/// Classifies a non-success CIPP answer (`status` and its body text) into a typed error.
///
/// Transient statuses (429, 502, 503, 504) reach this only once the retry budget is spent.
pub fn classify_cipp_failure(status: u16, body: &str) -> ProviderError {
    let reason = reason_text(body);
    let (code, message) = match status {
        401 => (
            ProviderErrorCode::Unauthorized,
            with_reason(
                "CIPP rejected the access token (check the API client id, secret and CIPP tenant id, \
                 and that the client is enabled and saved to the Function App's authentication)",
                &reason,
            ),
        ),
        403 => classify_forbidden(&reason),
        404 => (
            ProviderErrorCode::NotFound,
            with_reason("CIPP does not know this endpoint", &reason),
        ),
        400 => classify_graph_error(&reason),
        300..=399 => (
            ProviderErrorCode::Unauthorized,
            with_reason(
                &format!(
                    "CIPP answered HTTP {status} with a redirect, which was not followed (App \
                     Service authentication sends unauthenticated callers to a sign-in page: check \
                     the API client id, secret and CIPP tenant id)"
                ),
                &reason,
            ),
        ),
        429 => (
            ProviderErrorCode::Throttled,
            with_reason("CIPP is still throttling after retries", &reason),
        ),
        500..=599 => (
            ProviderErrorCode::UpstreamUnavailable,
            with_reason(&format!("CIPP failed with HTTP {status}"), &reason),
        ),
        _ => (
            ProviderErrorCode::BadRequest,
            with_reason(
                &format!("CIPP refused the request with HTTP {status}"),
                &reason,
            ),
        ),
    };
    let mut error = ProviderError::new(code, message);
    error.status = Some(status);
    error.upstream_code = aadsts_code(&reason);
    error
}

/// Classifies the reason of a 403: CIPP's role check, its IP allow-list, its tenant restriction
/// or the end of a hosted subscription.
fn classify_forbidden(reason: &str) -> (ProviderErrorCode, String) {
    let lower = reason.to_lowercase();
    if lower.contains("subscription has ended") || lower.contains("subscription ended") {
        return (
            ProviderErrorCode::SubscriptionEnded,
            with_reason("the CIPP subscription has ended", reason),
        );
    }
    let context = if lower.contains("access to this tenant is not allowed") {
        "CIPP does not allow this API client to access the tenant"
    } else if lower.contains("api client does not have the required permission") {
        "CIPP refused the API client (its IP address is not in the client's allowed range, or \
         the client lacks the permission)"
    } else {
        "CIPP refused the call: the API client's role lacks the permission (grant it at least the \
         'readonly' role)"
    };
    (ProviderErrorCode::Forbidden, with_reason(context, reason))
}

/// Classifies a 400 `Graph Error: {normalized message} - Endpoint: …` by the message CIPP
/// normalized from the Graph or token failure behind it.
fn classify_graph_error(reason: &str) -> (ProviderErrorCode, String) {
    let lower = reason.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    let (code, context) = if has(&["not in cipp's tenant list", "tenant is not in"]) {
        (
            ProviderErrorCode::TenantNotFound,
            "CIPP does not manage this tenant (it is not in CIPP's tenant list, or is excluded)",
        )
    } else if has(&[
        "consent has not been given",
        "not consented",
        "has not consented",
        "aadsts65001",
        "aadsts90099",
        "aadsts6500",
    ]) {
        (
            ProviderErrorCode::ConsentRequired,
            "CIPP has no consent in this tenant: refresh the CPV permissions in CIPP",
        )
    } else if has(&[
        "conditional access",
        "aadsts53003",
        "aadsts50076",
        "aadsts50079",
        "aadsts50074",
        "aadsts50078",
        "aadsts530032",
        "aadsts530034",
        "aadsts70043",
        "multi-factor",
        "insufficient_claims",
    ]) {
        (
            ProviderErrorCode::MfaOrConditionalAccess,
            "MFA or Conditional Access blocked CIPP's token for this tenant",
        )
    } else if has(&[
        "token has expired",
        "aadsts700082",
        "aadsts50173",
        "aadsts70008",
        "aadsts70000",
        "run the setup wizard",
    ]) {
        (
            ProviderErrorCode::RefreshTokenExpired,
            "CIPP's own partner token has expired: run CIPP's setup wizard to refresh it",
        )
    } else if has(&["aadsts7000215", "aadsts7000222", "invalid_client"]) {
        (
            ProviderErrorCode::InvalidClient,
            "CIPP's own application secret is invalid or expired: renew it in CIPP's settings",
        )
    } else if has(&["aadsts90094", "aadsts90095"]) {
        (
            ProviderErrorCode::AdminConsentRequired,
            "an administrator of this tenant must consent to CIPP's application",
        )
    } else if has(&[
        "too many requests",
        "throttl",
        "resource temporarily unavailable",
        "toomanyrequests",
    ]) {
        (
            ProviderErrorCode::Throttled,
            "Microsoft Graph throttled CIPP for this tenant",
        )
    } else if has(&[
        "aadsts50020",
        "aadsts50177",
        "correct group",
        "authorization_requestdenied",
        "insufficient privileges",
    ]) {
        (
            ProviderErrorCode::GdapRoleMissing,
            "CIPP's GDAP access to this tenant lacks a role that allows the call",
        )
    } else if has(&["aadsts90002", "aadsts5000224", "been deleted"]) {
        (
            ProviderErrorCode::TenantNotFound,
            "the tenant no longer exists upstream",
        )
    } else if has(&[
        "does not exist or one of its queried reference-property objects",
        "request_resourcenotfound",
    ]) {
        (
            ProviderErrorCode::NotFound,
            "the directory object does not exist in this tenant (deleted, or a wrong id)",
        )
    } else {
        (ProviderErrorCode::BadRequest, "CIPP's Graph request failed")
    };
    (code, with_reason(context, reason))
}

/// Classifies the reason CIPP gives for a listing it failed to build (its ListTenants error row):
/// a known token or consent failure keeps its code, anything else means CIPP is unavailable.
pub fn classify_failed_listing(reason: &str) -> ProviderError {
    let reason = scrub(reason.trim());
    let (code, message) = classify_graph_error(&reason);
    let (code, message) = if code == ProviderErrorCode::BadRequest {
        (
            ProviderErrorCode::UpstreamUnavailable,
            with_reason("CIPP failed to list its tenants", &reason),
        )
    } else {
        (code, message)
    };
    let mut error = ProviderError::new(code, message);
    error.upstream_code = aadsts_code(&reason);
    error
}

fn with_reason(context: &str, reason: &str) -> String {
    if reason.is_empty() {
        context.to_string()
    } else {
        format!("{context}: {reason}")
    }
}

/// The human text of a CIPP failure body. CIPP serializes some messages as a JSON string or a
/// one-element array of strings; HTML pages from the hosting layer carry no useful reason.
pub fn reason_text(body: &str) -> String {
    let trimmed = body.trim();
    let text = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        _ if trimmed.starts_with('<') => String::new(),
        _ => trimmed.to_string(),
    };
    scrub(text.trim())
}

/// The `AADSTSnnnn` code a message quotes, if any, so operators can look it up.
fn aadsts_code(text: &str) -> Option<String> {
    let start = text.find("AADSTS")?;
    let digits: String = text[start + 6..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(status: u16, body: &str) -> &'static str {
        classify_cipp_failure(status, body).code()
    }

    #[test]
    fn statuses_map_to_codes() {
        assert_eq!(code(401, ""), "unauthorized");
        assert_eq!(code(404, "Endpoint not found"), "not_found");
        assert_eq!(
            code(500, "Object reference not set"),
            "upstream_unavailable"
        );
        assert_eq!(code(502, "Bad Gateway"), "upstream_unavailable");
        assert_eq!(code(429, ""), "throttled");
        assert_eq!(code(409, "conflict"), "bad_request");
        assert_eq!(code(302, ""), "unauthorized");
    }

    #[test]
    fn forbidden_reasons() {
        let role = "Access to this CIPP API endpoint is not allowed, the 'readonly' base role does not have the required permission: CIPP.Core.Read";
        let e = classify_cipp_failure(403, role);
        assert_eq!(e.code(), "forbidden");
        assert!(e.message.contains(role), "{}", e.message);
        assert!(e.message.contains("role"));
        let ip = "Access to this CIPP API endpoint is not allowed, the API Client does not have the required permission";
        let e = classify_cipp_failure(403, ip);
        assert_eq!(e.code(), "forbidden");
        assert!(e.message.contains("IP address"), "{}", e.message);
        let tenant = classify_cipp_failure(403, "Access to this tenant is not allowed");
        assert_eq!(tenant.code(), "forbidden");
        assert!(tenant.message.contains("access the tenant"));
        let ended = classify_cipp_failure(
            403,
            "Your CIPP subscription has ended. Access to this instance is no longer available.",
        );
        assert_eq!(ended.code(), "subscription_ended");
        assert_eq!(ended.status, Some(403));
    }

    #[test]
    fn graph_errors_are_classified_by_normalized_message() {
        let cases = [
            (
                "Graph Error: We cannot access this tenant as consent has not been given, please try refreshing the CPV permissions in the application settings menu. - Endpoint: users",
                "consent_required",
            ),
            (
                "Graph Error: Access has been blocked by Conditional Access policies. - Endpoint: users",
                "mfa_or_conditional_access",
            ),
            (
                "Graph Error: The CIPP user access token has expired. Run the Setup Wizard to refresh your tokens. - Endpoint: users",
                "refresh_token_expired",
            ),
            (
                "Graph Error: Exception at C:\\home\\Get-GraphRequestList.ps1:212 - Graph request denied for 'x': the tenant is not in CIPP's tenant list. - Endpoint: users",
                "tenant_not_found",
            ),
            (
                "Graph Error: Too many requests. Please try again later. - Endpoint: users",
                "throttled",
            ),
            (
                "Graph Error: Invalid filter clause - Endpoint: users",
                "bad_request",
            ),
            (
                "Graph Error: Could not get token: invalid_grant:AADSTS50079: Due to a configuration change made by your administrator, you must enroll in multi-factor authentication. - Endpoint: users",
                "mfa_or_conditional_access",
            ),
            (
                "Graph Error: invalid_client:AADSTS7000222: The provided client secret keys are expired. - Endpoint: users",
                "invalid_client",
            ),
            (
                "Graph Error: AADSTS90094: The grant requires admin permission. - Endpoint: users",
                "admin_consent_required",
            ),
            (
                "Graph Error: invalid_grant:AADSTS700082: The refresh token has expired due to inactivity. - Endpoint: users",
                "refresh_token_expired",
            ),
            (
                "Graph Error: invalid_grant:AADSTS90099: The application has not been authorized in the tenant. - Endpoint: users",
                "consent_required",
            ),
        ];
        for (body, expected) in cases {
            let e = classify_cipp_failure(400, body);
            assert_eq!(e.code(), expected, "{body}");
            assert!(e.message.contains(body), "reason kept: {}", e.message);
        }
    }

    #[test]
    fn json_string_body_is_unwrapped_and_aadsts_code_kept() {
        let body = "\"Graph Error: invalid_grant:AADSTS65001: The user or administrator has not consented - Endpoint: users\"";
        let e = classify_cipp_failure(400, body);
        assert_eq!(e.code(), "consent_required");
        assert_eq!(e.upstream_code.as_deref(), Some("AADSTS65001"));
        assert!(!e.message.contains('"'), "{}", e.message);
    }

    #[test]
    fn html_bodies_are_dropped_and_tokens_scrubbed() {
        let e = classify_cipp_failure(401, "<html><body>401 - Unauthorized</body></html>");
        assert!(!e.message.contains("<html>"));
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGkifQ.c2lnbmF0dXJl";
        let e = classify_cipp_failure(500, &format!("failed with Authorization: Bearer {jwt}"));
        assert!(!e.message.contains(jwt), "{}", e.message);
        assert!(!format!("{e:?}").contains(jwt));
        let e = classify_cipp_failure(500, &format!("token {jwt} rejected"));
        assert!(!e.message.contains(jwt), "{}", e.message);
    }

    #[test]
    fn long_bodies_are_truncated_on_char_boundaries() {
        let body = "é".repeat(1000);
        let e = classify_cipp_failure(500, &body);
        assert!(e.message.chars().count() < 700);
    }
}
