//! Deterministic run ids.
//!
//! A run id is a pure function of what the run covers (one tenant or all of them), its scope, what
//! triggered it, and either a caller-supplied request key or a time bucket. Two requests for the
//! same work (a double click, a retried webhook, two schedulers firing at once) therefore get the
//! same id, so the store can answer the second one with the run already in progress. Hosts that
//! drive runs from a workflow engine such as Temporal use the same id as the workflow id, which
//! gives them the same de-duplication on their side.
//!
//! A finished run is never overwritten: when an id names a run that has already ended, the engine
//! asks for the next attempt ([`RunKey::attempt_id`]), which appends `#2`, `#3`, … to the id.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// What a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunScope {
    /// Contacts of every mapped tenant.
    AllTenants,
    /// Contacts of one tenant (a single client).
    Tenant,
    /// Tenant discovery only.
    Discovery,
    /// Contacts of every tenant mapped to one client ("sync now" on a client).
    Client,
}

impl RunScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RunScope::AllTenants => "all_tenants",
            RunScope::Tenant => "tenant",
            RunScope::Discovery => "discovery",
            RunScope::Client => "client",
        }
    }
}

impl std::str::FromStr for RunScope {
    type Err = crate::CoreError;

    /// Reads the snake_case name hosts pass (`all_tenants`, `tenant`, `discovery`); anything
    /// else is `invalid_input` listing the names.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [
            RunScope::AllTenants,
            RunScope::Tenant,
            RunScope::Discovery,
            RunScope::Client,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| {
            crate::CoreError::invalid_input(format!(
                "unknown scope `{name}` (all_tenants, tenant, discovery, client)"
            ))
        })
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// The first sync after a tenant was connected or mapped.
    Initial,
    /// An operator asked for it.
    #[default]
    Manual,
    /// A recurring schedule.
    Scheduled,
}

impl RunTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Initial => "initial",
            RunTrigger::Manual => "manual",
            RunTrigger::Scheduled => "scheduled",
        }
    }
}

impl std::str::FromStr for RunTrigger {
    type Err = crate::CoreError;

    /// Reads the snake_case name hosts pass (`initial`, `manual`, `scheduled`); anything else
    /// is `invalid_input` listing the names.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [
            RunTrigger::Initial,
            RunTrigger::Manual,
            RunTrigger::Scheduled,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
        .ok_or_else(|| {
            crate::CoreError::invalid_input(format!(
                "unknown trigger `{name}` (initial, manual, scheduled)"
            ))
        })
    }
}

/// What distinguishes one request for a run from another of the same kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunDiscriminator {
    /// A key chosen by the caller (a request id, an idempotency key): the same key is the same run.
    #[serde(rename_all = "camelCase")]
    RequestKey { key: String },
    /// Requests inside the same time bucket are the same run.
    #[serde(rename_all = "camelCase")]
    TimeBucket {
        unix_seconds: u64,
        bucket_seconds: u64,
    },
}

/// Everything a run id is derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunKey {
    /// The tenant a run covers; `None` for runs over all tenants.
    pub entra_tenant_id: Option<String>,
    /// The client a `client` run covers; `None` for every other scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub scope: RunScope,
    pub trigger: RunTrigger,
    pub discriminator: RunDiscriminator,
}

/// A run key that cannot produce a usable id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RunIdError {
    #[error("invalid run key: {message}")]
    InvalidKey { message: String },
}

crate::error_codes! {
    /// The codes of [`RunIdError`], one per variant.
    pub enum RunIdErrorCode {
        /// The run key cannot produce an id.
        InvalidKey = "invalid_input" => InvalidInput,
    }
}

impl RunIdError {
    /// The typed code of this error.
    pub fn typed_code(&self) -> RunIdErrorCode {
        match self {
            RunIdError::InvalidKey { .. } => RunIdErrorCode::InvalidKey,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// The kind of failure (what a binding maps to an exception class).
    pub fn kind(&self) -> crate::ErrorKind {
        self.typed_code().kind()
    }

    /// Run id errors carry no structured fields beyond their message.
    pub fn details(&self) -> Option<serde_json::Value> {
        None
    }
}

crate::classified!(RunIdError);

/// The default time bucket: requests within the same five minutes are one run.
pub const DEFAULT_BUCKET_SECONDS: u64 = 300;

impl RunKey {
    /// The first-attempt run id of this key.
    pub fn run_id(&self) -> Result<String, RunIdError> {
        run_id(self)
    }

    /// The id of attempt `attempt` (1-based). Attempt 1 is [`RunKey::run_id`]; later attempts are
    /// used when an earlier attempt has already finished and must not be overwritten.
    pub fn attempt_id(&self, attempt: u32) -> Result<String, RunIdError> {
        let base = run_id(self)?;
        Ok(with_attempt(&base, attempt))
    }
}

/// Derives the deterministic run id of `key`, for example
/// `entra-sync:all_tenants:all:scheduled:t1700000100` or
/// `entra-sync:tenant:5f0c…:manual:k3a9c1e07b2d4f611`.
///
/// The id contains only ASCII letters, digits and `-_:.#`, so it is safe as a workflow id, a file
/// name fragment or a URL path segment. Tenant ids made of other characters are hashed.
pub fn run_id(key: &RunKey) -> Result<String, RunIdError> {
    let tenant = match (
        &key.scope,
        key.entra_tenant_id.as_deref(),
        key.client_id.as_deref(),
    ) {
        (RunScope::Client, Some(_), _) => {
            return Err(RunIdError::InvalidKey {
                message: "a `client` run covers a client's tenants and takes no `entraTenantId`"
                    .into(),
            });
        }
        (RunScope::Client, None, None) => {
            return Err(RunIdError::InvalidKey {
                message: "a client run needs `clientId`".into(),
            });
        }
        (RunScope::Client, None, Some(c)) => {
            safe_segment(c.trim()).ok_or_else(|| RunIdError::InvalidKey {
                message: "`clientId` is empty".into(),
            })?
        }
        (_, _, Some(_)) => {
            return Err(RunIdError::InvalidKey {
                message: format!("a `{}` run takes no `clientId`", key.scope.as_str()),
            });
        }
        (RunScope::Tenant, None, None) => {
            return Err(RunIdError::InvalidKey {
                message: "a tenant run needs `entraTenantId`".into(),
            });
        }
        (RunScope::AllTenants | RunScope::Discovery, Some(_), None) => {
            return Err(RunIdError::InvalidKey {
                message: format!(
                    "a `{}` run covers every tenant and takes no `entraTenantId`",
                    key.scope.as_str()
                ),
            });
        }
        (_, None, None) => "all".to_string(),
        (_, Some(t), None) => safe_segment(t.trim()).ok_or_else(|| RunIdError::InvalidKey {
            message: "`entraTenantId` is empty".into(),
        })?,
    };
    let suffix = match &key.discriminator {
        RunDiscriminator::RequestKey { key } => {
            if key.trim().is_empty() {
                return Err(RunIdError::InvalidKey {
                    message: "the request key is empty".into(),
                });
            }
            format!("k{}", short_hash(key))
        }
        RunDiscriminator::TimeBucket {
            unix_seconds,
            bucket_seconds,
        } => {
            if *bucket_seconds == 0 {
                return Err(RunIdError::InvalidKey {
                    message: "`bucketSeconds` must be positive".into(),
                });
            }
            format!("t{}", unix_seconds - unix_seconds % bucket_seconds)
        }
    };
    Ok(format!(
        "entra-sync:{}:{}:{}:{}",
        key.scope.as_str(),
        tenant,
        key.trigger.as_str(),
        suffix
    ))
}

/// The JSON form of [`run_id`] for hosts in other languages: the input is a [`RunKey`] plus an
/// optional `attempt` (1-based), the output `{"runId": …}`.
pub fn run_id_json(input: &serde_json::Value) -> Result<serde_json::Value, crate::CoreError> {
    #[derive(Deserialize)]
    struct Input {
        #[serde(flatten)]
        key: RunKey,
        #[serde(default)]
        attempt: Option<u32>,
    }
    let input: Input = crate::json::from_value(input)?;
    let id = input
        .key
        .attempt_id(input.attempt.unwrap_or(1))
        .map_err(|e| crate::CoreError::invalid_input(e.to_string()))?;
    Ok(serde_json::json!({ "runId": id }))
}

/// The id of a later attempt of the run `base` (attempt 1 is `base` itself).
pub fn with_attempt(base: &str, attempt: u32) -> String {
    if attempt <= 1 {
        base.to_string()
    } else {
        format!("{base}#{attempt}")
    }
}

fn safe_segment(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let plain = value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    Some(if plain {
        value.to_ascii_lowercase()
    } else {
        format!("h{}", short_hash(value))
    })
}

fn short_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(t: u64) -> RunDiscriminator {
        RunDiscriminator::TimeBucket {
            unix_seconds: t,
            bucket_seconds: 300,
        }
    }

    fn all(trigger: RunTrigger, d: RunDiscriminator) -> RunKey {
        RunKey {
            entra_tenant_id: None,
            client_id: None,
            scope: RunScope::AllTenants,
            trigger,
            discriminator: d,
        }
    }

    #[test]
    fn same_bucket_same_id_next_bucket_differs() {
        let a = run_id(&all(RunTrigger::Scheduled, bucket(1_700_000_100))).unwrap();
        let b = run_id(&all(RunTrigger::Scheduled, bucket(1_700_000_399))).unwrap();
        let c = run_id(&all(RunTrigger::Scheduled, bucket(1_700_000_400))).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, "entra-sync:all_tenants:all:scheduled:t1700000100");
    }

    #[test]
    fn request_key_trigger_and_tenant_change_the_id() {
        let key = |k: &str| RunDiscriminator::RequestKey { key: k.into() };
        let a = run_id(&all(RunTrigger::Manual, key("click-1"))).unwrap();
        assert_eq!(a, run_id(&all(RunTrigger::Manual, key("click-1"))).unwrap());
        assert_ne!(a, run_id(&all(RunTrigger::Manual, key("click-2"))).unwrap());
        assert_ne!(
            a,
            run_id(&all(RunTrigger::Scheduled, key("click-1"))).unwrap()
        );
        let tenant = RunKey {
            entra_tenant_id: Some("0F3C-AA".into()),
            client_id: None,
            scope: RunScope::Tenant,
            trigger: RunTrigger::Manual,
            discriminator: key("click-1"),
        };
        let t = run_id(&tenant).unwrap();
        assert!(t.starts_with("entra-sync:tenant:0f3c-aa:manual:k"), "{t}");
    }

    #[test]
    fn odd_tenant_ids_are_hashed_into_safe_characters() {
        let key = RunKey {
            entra_tenant_id: Some("contoso.com/../x y".into()),
            client_id: None,
            scope: RunScope::Tenant,
            trigger: RunTrigger::Manual,
            discriminator: bucket(0),
        };
        let id = run_id(&key).unwrap();
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:.#".contains(c)),
            "{id}"
        );
        assert!(!id.contains("contoso"));
    }

    #[test]
    fn attempts_append_a_counter() {
        let key = all(RunTrigger::Manual, bucket(600));
        assert_eq!(key.attempt_id(1).unwrap(), key.run_id().unwrap());
        assert_eq!(
            key.attempt_id(3).unwrap(),
            format!("{}#3", key.run_id().unwrap())
        );
    }

    #[test]
    fn json_form_matches_the_rust_one() {
        let key = all(RunTrigger::Scheduled, bucket(1_700_000_100));
        let out = run_id_json(&serde_json::json!({
            "scope": "all_tenants",
            "trigger": "scheduled",
            "discriminator": {"kind": "time_bucket", "unixSeconds": 1_700_000_100u64, "bucketSeconds": 300},
            "attempt": 2
        }))
        .unwrap();
        assert_eq!(out["runId"], key.attempt_id(2).unwrap());
        let err = run_id_json(&serde_json::json!({"scope": "tenant", "trigger": "manual",
            "discriminator": {"kind": "request_key", "key": "k"}}))
        .unwrap_err();
        assert_eq!(err.code(), "invalid_input");
    }

    #[test]
    fn triggers_and_scopes_parse_from_their_names_only() {
        for t in [
            RunTrigger::Initial,
            RunTrigger::Manual,
            RunTrigger::Scheduled,
        ] {
            assert_eq!(t.as_str().parse::<RunTrigger>(), Ok(t));
        }
        for s in [
            RunScope::AllTenants,
            RunScope::Tenant,
            RunScope::Discovery,
            RunScope::Client,
        ] {
            assert_eq!(s.as_str().parse::<RunScope>(), Ok(s));
        }
        for bad in ["", "Manual", "hourly", "manual "] {
            let err = bad.parse::<RunTrigger>().unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert!(
                err.to_string().contains("initial, manual, scheduled"),
                "{err}"
            );
        }
        let err = "all".parse::<RunScope>().unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("all_tenants"), "{err}");
    }

    #[test]
    fn inconsistent_keys_are_refused() {
        let mut key = all(RunTrigger::Manual, bucket(0));
        key.scope = RunScope::Tenant;
        assert_eq!(run_id(&key).unwrap_err().code(), "invalid_input");
        let mut key = all(RunTrigger::Manual, bucket(0));
        key.entra_tenant_id = Some("t1".into());
        assert!(run_id(&key).is_err());
        let key = all(
            RunTrigger::Manual,
            RunDiscriminator::RequestKey { key: "  ".into() },
        );
        assert!(run_id(&key).is_err());
        let key = all(
            RunTrigger::Manual,
            RunDiscriminator::TimeBucket {
                unix_seconds: 5,
                bucket_seconds: 0,
            },
        );
        assert!(run_id(&key).is_err());
    }

    #[test]
    fn client_run_ids_are_deterministic_and_need_exactly_a_client() {
        let client = |c: Option<&str>, t: Option<&str>| RunKey {
            entra_tenant_id: t.map(Into::into),
            client_id: c.map(Into::into),
            scope: RunScope::Client,
            trigger: RunTrigger::Manual,
            discriminator: bucket(1_700_000_100),
        };
        let id = run_id(&client(Some("C-42"), None)).unwrap();
        assert_eq!(id, "entra-sync:client:c-42:manual:t1700000100");
        assert_eq!(id, run_id(&client(Some("C-42"), None)).unwrap());
        assert_ne!(id, run_id(&client(Some("C-43"), None)).unwrap());
        // (key, why it is refused)
        let mut on_all = all(RunTrigger::Manual, bucket(0));
        on_all.client_id = Some("c1".into());
        let cases = [
            (client(None, None), "no client"),
            (client(Some(" "), None), "blank client"),
            (client(Some("c1"), Some("t1")), "a tenant too"),
            (on_all, "a client on an all-tenants run"),
        ];
        for (key, why) in cases {
            assert_eq!(run_id(&key).unwrap_err().code(), "invalid_input", "{why}");
        }
    }
}
