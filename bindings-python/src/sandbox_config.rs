//! The sandbox's configuration, faults and mutations read from plain Python dicts (camelCase keys,
//! durations in seconds), so a Python test describes an estate the way it describes any record.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use entra_providers::sandbox::{
    CippDenial, DeltaFault, Faults, Mutation, NewUser, SandboxConfig, TokenFault,
};
use serde::Deserialize;
use serde_json::{Value, json};

fn seconds(value: f64, field: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("`{field}` must be a non-negative number of seconds"))
}

/// `SandboxConfig` as a dict; every key is optional and defaults to the small, fast estate.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigInput {
    seed: Option<u64>,
    tenants: Option<usize>,
    users_per_tenant: Option<usize>,
    crm_clients: Option<usize>,
    default_page_size: Option<usize>,
    delta_page_size: Option<usize>,
    token_lifetime: Option<f64>,
    redirect_uris: Option<Vec<String>>,
    faults: Option<FaultsInput>,
}

impl ConfigInput {
    pub fn into_config(self) -> Result<SandboxConfig, String> {
        let mut config = SandboxConfig::default();
        if let Some(v) = self.seed {
            config.seed = v;
        }
        if let Some(v) = self.tenants {
            config.tenants = v;
        }
        if let Some(v) = self.users_per_tenant {
            config.users_per_tenant = v;
        }
        if let Some(v) = self.crm_clients {
            config.crm_clients = v;
        }
        if let Some(v) = self.default_page_size {
            config.default_page_size = v;
        }
        if let Some(v) = self.delta_page_size {
            config.delta_page_size = v;
        }
        if let Some(v) = self.token_lifetime {
            config.token_lifetime = seconds(v, "tokenLifetime")?;
        }
        if let Some(v) = self.redirect_uris {
            config.redirect_uris = v;
        }
        if let Some(f) = self.faults {
            config.faults = f.apply(Faults::default())?;
        }
        Ok(config)
    }
}

/// `Faults` as a dict. Applied over the current faults by `update_faults`, over none by
/// `set_faults`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultsInput {
    latency: Option<f64>,
    graph_throttle_rate: Option<f64>,
    graph_throttle_next: Option<u32>,
    retry_after_secs: Option<u64>,
    graph_unavailable_rate: Option<f64>,
    graph_unavailable_next: Option<u32>,
    unavailable_retry_after_secs: Option<Option<u64>>,
    cipp_gateway_error_rate: Option<f64>,
    cipp_gateway_error_next: Option<u32>,
    cipp_gateway_status: Option<u16>,
    token_errors: Option<BTreeMap<String, String>>,
    gdap_role_missing: Option<BTreeSet<String>>,
    failing_page: Option<BTreeMap<String, usize>>,
    failing_page_status: Option<u16>,
    delta: Option<String>,
    cipp_denial: Option<Option<String>>,
    cipp_tenants_error_row: Option<bool>,
    cipp_tenants_null_row: Option<bool>,
    cipp_partner_row: Option<bool>,
    authorize_denied: Option<bool>,
}

fn token_fault(name: &str) -> Result<TokenFault, String> {
    Ok(match name {
        "consent_missing" => TokenFault::ConsentMissing,
        "user_not_in_tenant" => TokenFault::UserNotInTenant,
        "mfa_required" => TokenFault::MfaRequired,
        "conditional_access" => TokenFault::ConditionalAccess,
        "refresh_token_expired" => TokenFault::RefreshTokenExpired,
        "client_secret_expired" => TokenFault::ClientSecretExpired,
        other => return Err(format!("unknown token fault `{other}`")),
    })
}

fn token_fault_name(fault: TokenFault) -> &'static str {
    match fault {
        TokenFault::ConsentMissing => "consent_missing",
        TokenFault::UserNotInTenant => "user_not_in_tenant",
        TokenFault::MfaRequired => "mfa_required",
        TokenFault::ConditionalAccess => "conditional_access",
        TokenFault::RefreshTokenExpired => "refresh_token_expired",
        TokenFault::ClientSecretExpired => "client_secret_expired",
    }
}

fn delta_fault(name: &str) -> Result<DeltaFault, String> {
    Ok(match name {
        "none" => DeltaFault::None,
        "expired" => DeltaFault::Expired,
        "gone" => DeltaFault::Gone,
        other => return Err(format!("unknown delta fault `{other}`")),
    })
}

fn delta_fault_name(fault: DeltaFault) -> &'static str {
    match fault {
        DeltaFault::None => "none",
        DeltaFault::Expired => "expired",
        DeltaFault::Gone => "gone",
    }
}

fn cipp_denial(name: &str) -> Result<CippDenial, String> {
    Ok(match name {
        "role_lacks_permission" => CippDenial::RoleLacksPermission,
        "ip_not_allowed" => CippDenial::IpNotAllowed,
        "tenant_not_allowed" => CippDenial::TenantNotAllowed,
        "subscription_ended" => CippDenial::SubscriptionEnded,
        other => return Err(format!("unknown CIPP denial `{other}`")),
    })
}

fn cipp_denial_name(denial: CippDenial) -> &'static str {
    match denial {
        CippDenial::RoleLacksPermission => "role_lacks_permission",
        CippDenial::IpNotAllowed => "ip_not_allowed",
        CippDenial::TenantNotAllowed => "tenant_not_allowed",
        CippDenial::SubscriptionEnded => "subscription_ended",
    }
}

impl FaultsInput {
    pub fn apply(self, mut f: Faults) -> Result<Faults, String> {
        if let Some(v) = self.latency {
            f.latency = seconds(v, "latency")?;
        }
        macro_rules! copy {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { f.$field = v; } )* };
        }
        copy!(
            graph_throttle_rate,
            graph_throttle_next,
            retry_after_secs,
            graph_unavailable_rate,
            graph_unavailable_next,
            unavailable_retry_after_secs,
            cipp_gateway_error_rate,
            cipp_gateway_error_next,
            cipp_gateway_status,
            gdap_role_missing,
            failing_page,
            failing_page_status,
            cipp_tenants_error_row,
            cipp_tenants_null_row,
            cipp_partner_row,
            authorize_denied
        );
        if let Some(errors) = self.token_errors {
            f.token_errors = errors
                .into_iter()
                .map(|(tenant, fault)| Ok((tenant, token_fault(&fault)?)))
                .collect::<Result<_, String>>()?;
        }
        if let Some(v) = self.delta {
            f.delta = delta_fault(&v)?;
        }
        if let Some(v) = self.cipp_denial {
            f.cipp_denial = v.as_deref().map(cipp_denial).transpose()?;
        }
        Ok(f)
    }
}

/// The active faults as a dict, in the same shape `set_faults` reads.
pub fn faults_json(f: &Faults) -> Value {
    let token_errors: BTreeMap<&str, &str> = f
        .token_errors
        .iter()
        .map(|(k, v)| (k.as_str(), token_fault_name(*v)))
        .collect();
    json!({
        "latency": f.latency.as_secs_f64(),
        "graphThrottleRate": f.graph_throttle_rate,
        "graphThrottleNext": f.graph_throttle_next,
        "retryAfterSecs": f.retry_after_secs,
        "graphUnavailableRate": f.graph_unavailable_rate,
        "graphUnavailableNext": f.graph_unavailable_next,
        "unavailableRetryAfterSecs": f.unavailable_retry_after_secs,
        "cippGatewayErrorRate": f.cipp_gateway_error_rate,
        "cippGatewayErrorNext": f.cipp_gateway_error_next,
        "cippGatewayStatus": f.cipp_gateway_status,
        "tokenErrors": token_errors,
        "gdapRoleMissing": f.gdap_role_missing,
        "failingPage": f.failing_page,
        "failingPageStatus": f.failing_page_status,
        "delta": delta_fault_name(f.delta),
        "cippDenial": f.cipp_denial.map(cipp_denial_name),
        "cippTenantsErrorRow": f.cipp_tenants_error_row,
        "cippTenantsNullRow": f.cipp_tenants_null_row,
        "cippPartnerRow": f.cipp_partner_row,
        "authorizeDenied": f.authorize_denied,
    })
}

/// A directory change, `{"kind": "disable", "userId": ...}` and so on.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum MutationInput {
    Disable {
        user_id: String,
    },
    Enable {
        user_id: String,
    },
    SoftDelete {
        user_id: String,
    },
    HardDelete {
        user_id: String,
    },
    Restore {
        user_id: String,
    },
    Rename {
        user_id: String,
        display_name: String,
        #[serde(default)]
        given_name: Option<String>,
        #[serde(default)]
        surname: Option<String>,
    },
    ChangeEmail {
        user_id: String,
        email: String,
    },
    AddAlias {
        user_id: String,
        address: String,
    },
    AddUser {
        tenant_id: String,
        display_name: String,
        email: String,
        #[serde(default)]
        given_name: Option<String>,
        #[serde(default)]
        surname: Option<String>,
        #[serde(default)]
        job_title: Option<String>,
        #[serde(default = "enabled")]
        account_enabled: bool,
    },
}

fn enabled() -> bool {
    true
}

impl From<MutationInput> for Mutation {
    fn from(m: MutationInput) -> Self {
        match m {
            MutationInput::Disable { user_id } => Mutation::Disable { user_id },
            MutationInput::Enable { user_id } => Mutation::Enable { user_id },
            MutationInput::SoftDelete { user_id } => Mutation::SoftDelete { user_id },
            MutationInput::HardDelete { user_id } => Mutation::HardDelete { user_id },
            MutationInput::Restore { user_id } => Mutation::Restore { user_id },
            MutationInput::Rename {
                user_id,
                display_name,
                given_name,
                surname,
            } => Mutation::Rename {
                user_id,
                display_name,
                given_name,
                surname,
            },
            MutationInput::ChangeEmail { user_id, email } => {
                Mutation::ChangeEmail { user_id, email }
            }
            MutationInput::AddAlias { user_id, address } => Mutation::AddAlias { user_id, address },
            MutationInput::AddUser {
                tenant_id,
                display_name,
                email,
                given_name,
                surname,
                job_title,
                account_enabled,
            } => Mutation::AddUser {
                tenant_id,
                user: NewUser {
                    display_name,
                    given_name,
                    surname,
                    email,
                    job_title,
                    account_enabled,
                },
            },
        }
    }
}
