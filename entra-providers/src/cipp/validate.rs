//! Checking a CIPP connection step by step, so an operator sees which step fails and why:
//! the settings, minting a token, CIPP accepting it (`/api/me`), listing tenants (which also
//! proves the API client's role), and reading one tenant's users.

use entra_core::provider::{EntraProvider, ProviderError, ProviderErrorCode};

use super::config::CippConfig;
use super::provider::CippProvider;
use super::token::TokenOrigin;
use crate::secrets::SecretProvider;
use crate::validation::{ValidationCheck, ValidationReport};

/// Check names, stable for hosts that render or test them.
pub mod checks {
    pub const CONFIGURATION_VALID: &str = "configuration_valid";
    pub const TOKEN_MINTED: &str = "token_minted";
    pub const API_ME_ACCEPTED: &str = "api_me_accepted";
    pub const TENANTS_LISTED: &str = "tenants_listed";
    pub const USERS_READABLE: &str = "users_readable";
}

const ORDER: [&str; 5] = [
    checks::CONFIGURATION_VALID,
    checks::TOKEN_MINTED,
    checks::API_ME_ACCEPTED,
    checks::TENANTS_LISTED,
    checks::USERS_READABLE,
];

/// Validates the connection `config` describes. Never fails: every problem is a failed check,
/// and the checks after the first failure are reported as skipped.
pub async fn validate_cipp_connection(config: CippConfig) -> ValidationReport {
    let mut report = Vec::new();
    let provider = match config.validate().and_then(|()| CippProvider::new(config)) {
        Ok(provider) => provider,
        Err(error) => {
            fail(&mut report, checks::CONFIGURATION_VALID, &error);
            return ValidationReport::new(report);
        }
    };
    report.push(settings_passed());
    provider.validate_into(&mut report, None).await;
    ValidationReport::new(report)
}

/// Validates the CIPP connection stored for host tenant `tenant` (see
/// [`CippConfig::from_secrets`]); missing or unreadable settings fail the first check.
pub async fn validate_cipp_from_secrets(
    secrets: &dyn SecretProvider,
    tenant: &str,
) -> ValidationReport {
    match CippConfig::from_secrets(secrets, tenant).await {
        Ok(config) => validate_cipp_connection(config).await,
        Err(error) => {
            let mut report = Vec::new();
            fail(&mut report, checks::CONFIGURATION_VALID, &error);
            ValidationReport::new(report)
        }
    }
}

impl CippProvider {
    /// Validates this provider's connection; users are read from `probe_tenant`, or from the
    /// first listed tenant when `None`.
    pub async fn validate(&self, probe_tenant: Option<&str>) -> ValidationReport {
        let mut report = vec![settings_passed()];
        self.validate_into(&mut report, probe_tenant).await;
        ValidationReport::new(report)
    }

    async fn validate_into(&self, report: &mut Vec<ValidationCheck>, probe_tenant: Option<&str>) {
        match self.api().tokens().bearer_with_origin().await {
            Ok((_, TokenOrigin::Legacy)) => report.push(passed(
                checks::TOKEN_MINTED,
                "using the pasted legacy token; it expires after about an hour, so configure the \
                 API client id, secret and tenant instead",
            )),
            Ok(_) => report.push(passed(
                checks::TOKEN_MINTED,
                "the CIPP API client obtained a token",
            )),
            Err(error) => return fail(report, checks::TOKEN_MINTED, &error),
        }

        match self.api().get_json("me", &[]).await {
            Ok(me) => {
                let app = me
                    .pointer("/clientPrincipal/appId")
                    .and_then(|v| v.as_str())
                    .map(|id| format!(" as API client {id}"))
                    .unwrap_or_default();
                report.push(passed(
                    checks::API_ME_ACCEPTED,
                    format!("CIPP accepted the token{app}"),
                ));
            }
            Err(error) => return fail(report, checks::API_ME_ACCEPTED, &error),
        }

        let listing = match self.list_managed_tenants().await {
            Ok(listing) => listing,
            Err(error) => return fail(report, checks::TENANTS_LISTED, &error),
        };
        report.push(passed(
            checks::TENANTS_LISTED,
            format!("CIPP lists {} customer tenants", listing.tenants.len()),
        ));

        let probe = match probe_tenant {
            Some(id) => Some((id.to_string(), id.to_string())),
            None => listing.tenants.first().map(|t| {
                let name = t
                    .display_name
                    .clone()
                    .unwrap_or_else(|| t.entra_tenant_id.clone());
                (t.entra_tenant_id.clone(), name)
            }),
        };
        let Some((tenant_id, name)) = probe else {
            let error = ProviderError::new(
                ProviderErrorCode::TenantNotFound,
                "CIPP lists no customer tenant, so reading users could not be checked",
            );
            return fail(report, checks::USERS_READABLE, &error);
        };
        match self.list_users_page(&tenant_id, None).await {
            Ok(page) => report.push(passed(
                checks::USERS_READABLE,
                format!(
                    "read {} users of {name} (first page{})",
                    page.users.len(),
                    if page.next_link.is_some() {
                        "; more follow"
                    } else {
                        ""
                    }
                ),
            )),
            Err(mut error) => {
                error.message = format!("reading the users of {name}: {}", error.message);
                fail(report, checks::USERS_READABLE, &error)
            }
        }
    }
}

fn settings_passed() -> ValidationCheck {
    passed(
        checks::CONFIGURATION_VALID,
        "the CIPP settings are complete",
    )
}

fn passed(name: &str, message: impl Into<String>) -> ValidationCheck {
    ValidationCheck::passed(name, Some(message.into()))
}

/// Records a failed check and marks every later check as skipped.
fn fail(report: &mut Vec<ValidationCheck>, name: &str, error: &ProviderError) {
    report.push(ValidationCheck::failed(name, error));
    let done = report.len();
    for later in ORDER.iter().skip(done) {
        report.push(ValidationCheck::skipped(
            later,
            "not run because an earlier check failed",
        ));
    }
}
