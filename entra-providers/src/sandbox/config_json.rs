//! The configuration as JSON (camelCase, durations in milliseconds or seconds as the field name
//! says), for hosts that configure the sandbox from Python, Node or a file. Missing fields keep
//! their defaults; unknown fields are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::config::{CippDenial, DeltaFault, Faults, SandboxConfig, TokenFault};
use super::error::SandboxError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJson {
    seed: Option<u64>,
    tenants: Option<usize>,
    users_per_tenant: Option<usize>,
    crm_clients: Option<usize>,
    default_page_size: Option<usize>,
    delta_page_size: Option<usize>,
    token_lifetime_secs: Option<u64>,
    redirect_uris: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct FaultsJson {
    latency_ms: u64,
    latency_jitter_ms: u64,
    graph_throttle_rate: f64,
    graph_throttle_next: u32,
    retry_after_secs: u64,
    graph_unavailable_rate: f64,
    graph_unavailable_next: u32,
    unavailable_retry_after_secs: Option<u64>,
    cipp_gateway_error_rate: f64,
    cipp_gateway_error_next: u32,
    cipp_gateway_status: u16,
    token_errors: BTreeMap<String, TokenFault>,
    gdap_role_missing: BTreeSet<String>,
    failing_page: BTreeMap<String, usize>,
    failing_page_status: u16,
    delta: DeltaFault,
    cipp_denial: Option<CippDenial>,
    cipp_tenants_error_row: bool,
    cipp_tenants_null_row: bool,
    cipp_partner_row: bool,
    authorize_denied: bool,
    one_time_refresh_tokens: bool,
}

impl From<FaultsJson> for Faults {
    fn from(f: FaultsJson) -> Self {
        Faults {
            latency: Duration::from_millis(f.latency_ms),
            latency_jitter: Duration::from_millis(f.latency_jitter_ms),
            graph_throttle_rate: f.graph_throttle_rate,
            graph_throttle_next: f.graph_throttle_next,
            retry_after_secs: f.retry_after_secs,
            graph_unavailable_rate: f.graph_unavailable_rate,
            graph_unavailable_next: f.graph_unavailable_next,
            unavailable_retry_after_secs: f.unavailable_retry_after_secs,
            cipp_gateway_error_rate: f.cipp_gateway_error_rate,
            cipp_gateway_error_next: f.cipp_gateway_error_next,
            cipp_gateway_status: f.cipp_gateway_status,
            token_errors: f.token_errors,
            gdap_role_missing: f.gdap_role_missing,
            failing_page: f.failing_page,
            failing_page_status: f.failing_page_status,
            delta: f.delta,
            cipp_denial: f.cipp_denial,
            cipp_tenants_error_row: f.cipp_tenants_error_row,
            cipp_tenants_null_row: f.cipp_tenants_null_row,
            cipp_partner_row: f.cipp_partner_row,
            authorize_denied: f.authorize_denied,
            one_time_refresh_tokens: f.one_time_refresh_tokens,
        }
    }
}

fn check_rate(name: &str, rate: f64) -> Result<(), SandboxError> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(SandboxError::InvalidConfig(format!(
            "faults.{name} must be between 0 and 1"
        )))
    }
}

impl Faults {
    /// Reads faults from JSON such as
    /// `{"latencyMs": 20, "graphThrottleRate": 0.1, "retryAfterSecs": 1,
    ///   "tokenErrors": {"<tenant id>": "consent_missing"}, "delta": "expired"}`.
    pub fn from_json(value: &Value) -> Result<Self, SandboxError> {
        let parsed: FaultsJson = serde_json::from_value(value.clone())
            .map_err(|e| SandboxError::InvalidConfig(format!("faults: {e}")))?;
        check_rate("graphThrottleRate", parsed.graph_throttle_rate)?;
        check_rate("graphUnavailableRate", parsed.graph_unavailable_rate)?;
        check_rate("cippGatewayErrorRate", parsed.cipp_gateway_error_rate)?;
        Ok(parsed.into())
    }
}

impl SandboxConfig {
    /// Reads a configuration from JSON such as
    /// `{"seed": 7, "tenants": 20, "usersPerTenant": 50, "crmClients": 22, "faults": {...}}`.
    pub fn from_json(value: &Value) -> Result<Self, SandboxError> {
        let parsed: ConfigJson = serde_json::from_value(value.clone())
            .map_err(|e| SandboxError::InvalidConfig(e.to_string()))?;
        let defaults = SandboxConfig::default();
        let faults = match value.get("faults") {
            Some(f) if !f.is_null() => Faults::from_json(f)?,
            _ => Faults::default(),
        };
        Ok(SandboxConfig {
            seed: parsed.seed.unwrap_or(defaults.seed),
            tenants: parsed.tenants.unwrap_or(defaults.tenants),
            users_per_tenant: parsed.users_per_tenant.unwrap_or(defaults.users_per_tenant),
            crm_clients: parsed.crm_clients.unwrap_or(defaults.crm_clients),
            default_page_size: parsed
                .default_page_size
                .unwrap_or(defaults.default_page_size),
            delta_page_size: parsed.delta_page_size.unwrap_or(defaults.delta_page_size),
            token_lifetime: parsed
                .token_lifetime_secs
                .map(Duration::from_secs)
                .unwrap_or(defaults.token_lifetime),
            redirect_uris: parsed.redirect_uris.unwrap_or_default(),
            faults,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_sizes_and_faults_and_keeps_defaults() {
        let config = SandboxConfig::from_json(&json!({
            "seed": 9,
            "tenants": 3,
            "faults": {
                "latencyMs": 20,
                "retryAfterSecs": 2,
                "tokenErrors": {"t1": "consent_missing"},
                "delta": "gone",
                "cippDenial": "ip_not_allowed",
                "unknownField": true
            }
        }));
        let config = match config {
            Ok(c) => c,
            Err(e) => panic!("valid config refused: {e}"),
        };
        assert_eq!(config.seed, 9);
        assert_eq!(config.tenants, 3);
        assert_eq!(
            config.users_per_tenant,
            SandboxConfig::default().users_per_tenant
        );
        assert_eq!(config.faults.latency, Duration::from_millis(20));
        assert_eq!(
            config.faults.token_errors.get("t1"),
            Some(&TokenFault::ConsentMissing)
        );
        assert_eq!(config.faults.delta, DeltaFault::Gone);
        assert_eq!(config.faults.cipp_denial, Some(CippDenial::IpNotAllowed));
    }

    #[test]
    fn refuses_wrong_types_and_rates() {
        let bad_type = SandboxConfig::from_json(&json!({"tenants": "many"}));
        assert_eq!(bad_type.err().map(|e| e.code()), Some("invalid_config"));
        let bad_rate = Faults::from_json(&json!({"graphThrottleRate": 2.0}));
        assert_eq!(bad_rate.err().map(|e| e.code()), Some("invalid_config"));
        let bad_fault = Faults::from_json(&json!({"tokenErrors": {"t": "nope"}}));
        assert!(bad_fault.is_err());
    }
}
