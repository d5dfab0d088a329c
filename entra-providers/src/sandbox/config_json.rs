//! The sandbox configuration, faults and mutations as JSON: the one shape every host (Python,
//! Node, a config file for the `sandbox_server` example) describes an estate in. Keys are
//! camelCase, durations are seconds (fractions allowed), every key is optional and defaults to
//! the small, fast estate. Unknown keys are refused with `invalid_input` naming the key, so a
//! misspelt fault is reported instead of silently left off.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use entra_core::CoreError;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::config::{CippDenial, DeltaFault, Faults, SandboxConfig, TokenFault};
use super::mutations::{Mutation, NewUser};
use super::page_faults::PageFault;
use crate::auth::NationalCloud;

fn seconds(value: f64, field: &str) -> Result<Duration, CoreError> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        CoreError::invalid_input(format!(
            "`{field}` must be a non-negative number of seconds"
        ))
    })
}

/// Reads a present key as `Some(value)`, so that `null` can clear an optional knob
/// (`Some(None)`) while a missing key leaves it alone (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigJson {
    seed: Option<u64>,
    tenants: Option<usize>,
    users_per_tenant: Option<usize>,
    crm_clients: Option<usize>,
    default_page_size: Option<usize>,
    delta_page_size: Option<usize>,
    token_lifetime: Option<f64>,
    redirect_uris: Option<Vec<String>>,
    faults: Option<FaultsJson>,
    /// `global` (default), `us_gov_high`, `us_gov_dod` or `china`.
    cloud: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultsJson {
    latency: Option<f64>,
    latency_jitter: Option<f64>,
    graph_throttle_rate: Option<f64>,
    graph_throttle_next: Option<u32>,
    retry_after_secs: Option<u64>,
    omit_retry_after: Option<bool>,
    graph_unavailable_rate: Option<f64>,
    graph_unavailable_next: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    unavailable_retry_after_secs: Option<Option<u64>>,
    cipp_gateway_error_rate: Option<f64>,
    cipp_gateway_error_next: Option<u32>,
    cipp_gateway_status: Option<u16>,
    token_errors: Option<BTreeMap<String, TokenFault>>,
    gdap_role_missing: Option<BTreeSet<String>>,
    failing_page: Option<BTreeMap<String, usize>>,
    failing_page_status: Option<u16>,
    page_faults: Option<BTreeMap<String, PageFault>>,
    page_stall: Option<f64>,
    failing_group_page: Option<BTreeMap<String, usize>>,
    delta: Option<DeltaFault>,
    #[serde(default, deserialize_with = "present")]
    cipp_denial: Option<Option<CippDenial>>,
    cipp_tenants_error_row: Option<bool>,
    cipp_tenants_null_row: Option<bool>,
    cipp_partner_row: Option<bool>,
    authorize_denied: Option<bool>,
    one_time_refresh_tokens: Option<bool>,
    gdap_unavailable: Option<bool>,
    lighthouse_unavailable: Option<bool>,
    contracts_unavailable: Option<bool>,
    tenant_information_unavailable: Option<bool>,
    domains_denied: Option<BTreeSet<String>>,
    user_count_denied: Option<BTreeSet<String>>,
    dap_only: Option<BTreeSet<String>>,
}

fn check_rate(name: &str, rate: f64) -> Result<(), CoreError> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(CoreError::invalid_input(format!(
            "`faults.{name}` must be between 0 and 1"
        )))
    }
}

impl FaultsJson {
    fn apply(self, mut f: Faults) -> Result<Faults, CoreError> {
        if let Some(v) = self.latency {
            f.latency = seconds(v, "faults.latency")?;
        }
        if let Some(v) = self.latency_jitter {
            f.latency_jitter = seconds(v, "faults.latencyJitter")?;
        }
        if let Some(v) = self.page_stall {
            f.page_stall = seconds(v, "faults.pageStall")?;
        }
        macro_rules! copy {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { f.$field = v; } )* };
        }
        copy!(
            graph_throttle_rate,
            graph_throttle_next,
            retry_after_secs,
            omit_retry_after,
            graph_unavailable_rate,
            graph_unavailable_next,
            unavailable_retry_after_secs,
            cipp_gateway_error_rate,
            cipp_gateway_error_next,
            cipp_gateway_status,
            token_errors,
            gdap_role_missing,
            failing_page,
            failing_page_status,
            page_faults,
            failing_group_page,
            delta,
            cipp_denial,
            cipp_tenants_error_row,
            cipp_tenants_null_row,
            cipp_partner_row,
            authorize_denied,
            one_time_refresh_tokens,
            gdap_unavailable,
            lighthouse_unavailable,
            contracts_unavailable,
            tenant_information_unavailable,
            domains_denied,
            user_count_denied,
            dap_only
        );
        check_rate("graphThrottleRate", f.graph_throttle_rate)?;
        check_rate("graphUnavailableRate", f.graph_unavailable_rate)?;
        check_rate("cippGatewayErrorRate", f.cipp_gateway_error_rate)?;
        Ok(f)
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> Result<T, CoreError> {
    entra_core::json::from_value(value)
        .map_err(|e| CoreError::invalid_input(format!("{what}: {}", message(&e))))
}

fn message(err: &CoreError) -> String {
    match err {
        CoreError::InvalidInput { message } => message.clone(),
        other => other.to_string(),
    }
}

impl Faults {
    /// Reads faults from JSON such as `{"latency": 0.02, "graphThrottleRate": 0.1,
    /// "retryAfterSecs": 1, "tokenErrors": {"<tenant id>": "consent_missing"}, "delta":
    /// "expired"}`; keys not given are off.
    pub fn from_json(value: &Value) -> Result<Self, CoreError> {
        Faults::default().updated_from_json(value)
    }

    /// These faults with only the keys given in `value` changed (`null` clears an optional
    /// knob such as `cippDenial`).
    pub fn updated_from_json(&self, value: &Value) -> Result<Self, CoreError> {
        let parsed: FaultsJson = parse(value, "faults")?;
        parsed.apply(self.clone())
    }

    /// The faults in the same shape [`Faults::from_json`] reads.
    pub fn to_json(&self) -> Value {
        json!({
            "latency": self.latency.as_secs_f64(),
            "latencyJitter": self.latency_jitter.as_secs_f64(),
            "graphThrottleRate": self.graph_throttle_rate,
            "graphThrottleNext": self.graph_throttle_next,
            "retryAfterSecs": self.retry_after_secs,
            "omitRetryAfter": self.omit_retry_after,
            "graphUnavailableRate": self.graph_unavailable_rate,
            "graphUnavailableNext": self.graph_unavailable_next,
            "unavailableRetryAfterSecs": self.unavailable_retry_after_secs,
            "cippGatewayErrorRate": self.cipp_gateway_error_rate,
            "cippGatewayErrorNext": self.cipp_gateway_error_next,
            "cippGatewayStatus": self.cipp_gateway_status,
            "tokenErrors": self.token_errors,
            "gdapRoleMissing": self.gdap_role_missing,
            "failingPage": self.failing_page,
            "failingPageStatus": self.failing_page_status,
            "pageFaults": self.page_faults,
            "pageStall": self.page_stall.as_secs_f64(),
            "failingGroupPage": self.failing_group_page,
            "delta": self.delta,
            "cippDenial": self.cipp_denial,
            "cippTenantsErrorRow": self.cipp_tenants_error_row,
            "cippTenantsNullRow": self.cipp_tenants_null_row,
            "cippPartnerRow": self.cipp_partner_row,
            "authorizeDenied": self.authorize_denied,
            "oneTimeRefreshTokens": self.one_time_refresh_tokens,
            "gdapUnavailable": self.gdap_unavailable,
            "lighthouseUnavailable": self.lighthouse_unavailable,
            "contractsUnavailable": self.contracts_unavailable,
            "tenantInformationUnavailable": self.tenant_information_unavailable,
            "domainsDenied": self.domains_denied,
            "userCountDenied": self.user_count_denied,
            "dapOnly": self.dap_only,
        })
    }
}

impl SandboxConfig {
    /// Reads a configuration from JSON such as `{"seed": 7, "tenants": 20, "usersPerTenant": 50,
    /// "crmClients": 22, "tokenLifetime": 60, "faults": {...}}`.
    pub fn from_json(value: &Value) -> Result<Self, CoreError> {
        let parsed: ConfigJson = parse(value, "sandbox configuration")?;
        let mut config = SandboxConfig::default();
        macro_rules! copy {
            ($($field:ident),*) => { $( if let Some(v) = parsed.$field { config.$field = v; } )* };
        }
        copy!(
            seed,
            tenants,
            users_per_tenant,
            crm_clients,
            default_page_size,
            delta_page_size,
            redirect_uris
        );
        if let Some(v) = parsed.token_lifetime {
            config.token_lifetime = seconds(v, "tokenLifetime")?;
        }
        if let Some(f) = parsed.faults {
            config.faults = f.apply(Faults::default())?;
        }
        if let Some(cloud) = parsed.cloud {
            config.cloud = match cloud.as_str() {
                "global" => NationalCloud::Global,
                "us_gov_high" => NationalCloud::UsGovHigh,
                "us_gov_dod" => NationalCloud::UsGovDod,
                "china" => NationalCloud::China,
                other => {
                    return Err(CoreError::invalid_input(format!(
                        "`cloud` must be `global`, `us_gov_high`, `us_gov_dod` or `china`, not `{other}`"
                    )));
                }
            };
        }
        Ok(config)
    }
}

/// A directory change, `{"kind": "disable", "userId": ...}` and so on.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
enum MutationJson {
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

impl From<MutationJson> for Mutation {
    fn from(m: MutationJson) -> Self {
        match m {
            MutationJson::Disable { user_id } => Mutation::Disable { user_id },
            MutationJson::Enable { user_id } => Mutation::Enable { user_id },
            MutationJson::SoftDelete { user_id } => Mutation::SoftDelete { user_id },
            MutationJson::HardDelete { user_id } => Mutation::HardDelete { user_id },
            MutationJson::Restore { user_id } => Mutation::Restore { user_id },
            MutationJson::Rename {
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
            MutationJson::ChangeEmail { user_id, email } => {
                Mutation::ChangeEmail { user_id, email }
            }
            MutationJson::AddAlias { user_id, address } => Mutation::AddAlias { user_id, address },
            MutationJson::AddUser {
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

impl Mutation {
    /// Reads a mutation from JSON: `{"kind": "disable" | "enable" | "soft_delete" |
    /// "hard_delete" | "restore" | "rename" | "change_email" | "add_alias" | "add_user", ...}`
    /// with the variant's fields in camelCase (`userId`, `displayName`, `tenantId`, ...).
    pub fn from_json(value: &Value) -> Result<Self, CoreError> {
        parse::<MutationJson>(value, "mutation").map(Mutation::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(result: Result<impl std::fmt::Debug, CoreError>) -> String {
        match result {
            Ok(v) => panic!("accepted: {v:?}"),
            Err(e) => {
                assert_eq!(e.code(), "invalid_input", "{e}");
                e.to_string()
            }
        }
    }

    #[test]
    fn reads_sizes_and_faults_and_keeps_defaults() -> Result<(), CoreError> {
        let config = SandboxConfig::from_json(&json!({
            "seed": 9,
            "tenants": 3,
            "tokenLifetime": 1.5,
            "faults": {
                "latency": 0.02,
                "latencyJitter": 0.005,
                "retryAfterSecs": 2,
                "tokenErrors": {"t1": "consent_missing"},
                "delta": "gone",
                "cippDenial": "ip_not_allowed",
                "oneTimeRefreshTokens": true
            }
        }))?;
        assert_eq!(config.seed, 9);
        assert_eq!(config.tenants, 3);
        assert_eq!(config.token_lifetime, Duration::from_millis(1500));
        let defaults = SandboxConfig::default();
        assert_eq!(config.users_per_tenant, defaults.users_per_tenant);
        assert_eq!(config.crm_clients, defaults.crm_clients);
        assert_eq!(config.faults.latency, Duration::from_millis(20));
        assert_eq!(config.faults.latency_jitter, Duration::from_millis(5));
        assert_eq!(config.faults.retry_after_secs, 2);
        assert_eq!(
            config.faults.token_errors.get("t1"),
            Some(&TokenFault::ConsentMissing)
        );
        assert_eq!(config.faults.delta, DeltaFault::Gone);
        assert_eq!(config.faults.cipp_denial, Some(CippDenial::IpNotAllowed));
        assert!(config.faults.one_time_refresh_tokens);
        Ok(())
    }

    #[test]
    fn an_empty_or_null_configuration_is_the_default_estate() -> Result<(), CoreError> {
        assert_eq!(
            SandboxConfig::from_json(&json!({}))?,
            SandboxConfig::default()
        );
        assert_eq!(
            SandboxConfig::from_json(&json!({"faults": null}))?,
            SandboxConfig::default()
        );
        Ok(())
    }

    #[test]
    fn unknown_keys_are_refused_naming_the_key() {
        let cases = [
            (json!({"noSuchKnob": 1}), "noSuchKnob"),
            // The former millisecond/second-suffixed names are refused, not silently ignored.
            (json!({"tokenLifetimeSecs": 60}), "tokenLifetimeSecs"),
            (json!({"faults": {"latencyMs": 20}}), "latencyMs"),
            (
                json!({"faults": {"graphThrotleRate": 0.5}}),
                "graphThrotleRate",
            ),
        ];
        for (value, key) in cases {
            let message = invalid(SandboxConfig::from_json(&value));
            assert!(message.contains(key), "{message}");
        }
        let message = invalid(Faults::from_json(&json!({"oneTimeRefreshToken": true})));
        assert!(message.contains("oneTimeRefreshToken"), "{message}");
        let message = invalid(Mutation::from_json(
            &json!({"kind": "disable", "userId": "u", "tenantId": "t"}),
        ));
        assert!(message.contains("tenantId"), "{message}");
    }

    #[test]
    fn wrong_types_names_and_ranges_are_invalid_input() {
        let cases = [
            json!({"tenants": "many"}),
            json!({"tokenLifetime": -1.0}),
            json!({"faults": {"graphThrottleRate": 2.0}}),
            json!({"faults": {"cippGatewayErrorRate": -0.1}}),
            json!({"faults": {"latency": -0.5}}),
            json!({"faults": {"tokenErrors": {"t": "nope"}}}),
            json!({"faults": {"delta": "sideways"}}),
            json!({"faults": {"cippDenial": "because"}}),
            json!(["not", "an", "object"]),
        ];
        for value in cases {
            invalid(SandboxConfig::from_json(&value));
        }
        invalid(Mutation::from_json(
            &json!({"kind": "teleport", "userId": "u"}),
        ));
        invalid(Mutation::from_json(
            &json!({"kind": "rename", "userId": "u"}),
        ));
    }

    #[test]
    fn updating_faults_changes_only_the_keys_given_and_null_clears() -> Result<(), CoreError> {
        let current = Faults::from_json(&json!({
            "graphThrottleNext": 2,
            "cippDenial": "ip_not_allowed",
            "unavailableRetryAfterSecs": 5
        }))?;
        let updated = current.updated_from_json(&json!({
            "latency": 0.5,
            "cippDenial": null,
            "unavailableRetryAfterSecs": null
        }))?;
        assert_eq!(updated.graph_throttle_next, 2);
        assert_eq!(updated.latency, Duration::from_millis(500));
        assert_eq!(updated.cipp_denial, None);
        assert_eq!(updated.unavailable_retry_after_secs, None);
        let replaced = Faults::from_json(&json!({"latency": 0.5}))?;
        assert_eq!(replaced.graph_throttle_next, 0);
        Ok(())
    }

    #[test]
    fn faults_round_trip_through_their_json() -> Result<(), CoreError> {
        let faults = Faults::from_json(&json!({
            "latency": 0.25,
            "latencyJitter": 0.125,
            "graphThrottleRate": 0.5,
            "omitRetryAfter": true,
            "unavailableRetryAfterSecs": 3,
            "cippGatewayStatus": 504,
            "tokenErrors": {"t1": "mfa_required"},
            "gdapRoleMissing": ["t2"],
            "failingPage": {"t3": 1},
            "pageFaults": {"t4": {"page": 1, "kind": "repeated_next_link", "times": 2}},
            "pageStall": 0.5,
            "delta": "expired",
            "cippDenial": "subscription_ended",
            "cippPartnerRow": true,
            "oneTimeRefreshTokens": true
        }))?;
        assert_eq!(Faults::from_json(&faults.to_json())?, faults);
        assert_eq!(
            Faults::from_json(&Faults::default().to_json())?,
            Faults::default()
        );
        Ok(())
    }

    #[test]
    fn mutations_read_every_kind() -> Result<(), CoreError> {
        let added = Mutation::from_json(&json!({
            "kind": "add_user", "tenantId": "t", "displayName": "Ada", "email": "ada@x.example"
        }))?;
        assert_eq!(
            added,
            Mutation::AddUser {
                tenant_id: "t".into(),
                user: NewUser {
                    display_name: "Ada".into(),
                    given_name: None,
                    surname: None,
                    email: "ada@x.example".into(),
                    job_title: None,
                    account_enabled: true,
                },
            }
        );
        let renamed = Mutation::from_json(&json!({
            "kind": "rename", "userId": "u", "displayName": "B", "surname": "C"
        }))?;
        assert_eq!(
            renamed,
            Mutation::Rename {
                user_id: "u".into(),
                display_name: "B".into(),
                given_name: None,
                surname: Some("C".into()),
            }
        );
        for kind in ["disable", "enable", "soft_delete", "hard_delete", "restore"] {
            Mutation::from_json(&json!({"kind": kind, "userId": "u"}))?;
        }
        Mutation::from_json(
            &json!({"kind": "change_email", "userId": "u", "email": "e@x.example"}),
        )?;
        Mutation::from_json(
            &json!({"kind": "add_alias", "userId": "u", "address": "a@x.example"}),
        )?;
        Ok(())
    }
}
