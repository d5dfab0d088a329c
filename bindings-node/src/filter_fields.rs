//! `filterUsers` over the few fields the filter reads, so a listing never crosses as JSON.
//!
//! `index.js` reads, for each user, exactly what [`UserFilter::classify`] looks at (whether the
//! account is enabled, whether it has a license, the UPN, the mail, the display name and the
//! user type) into one string, and builds the result from the caller's own user objects with
//! the decisions this module returns, as `Array.prototype.filter` would. Reading and writing a
//! hundred thousand whole users through JSON costs ten times the filter itself; these few
//! fields cost about as much as the filter.
//!
//! The string holds 4 fields per user, separated by NUL: `<flags><upn>`, `<mail>`,
//! `<displayName>`, `<userType>`, where `<flags>` is one character, `'0'` plus the `FLAG_*` bits.
//! A field that itself contains NUL makes the count of fields wrong; the function then answers
//! `null` and `index.js` takes the JSON entry point instead.
//!
//! If the filter ever reads another field of the user, this module and `index.js` must pass it
//! too; `__test__/filter.test.mjs` compares every decision with `call('filter_users', ...)`.

use std::collections::HashMap;

use entra_core::filter::{ExclusionReason, UserFilter};
use entra_core::model::{EntraUser, FilterOptions};
use napi::bindgen_prelude::{AsyncTask, Uint8Array, Uint32Array};
use napi::{Env, Task};
use napi_derive::napi;

use crate::errors;

const FLAG_ENABLED: u8 = 1;
const FLAG_LICENSED: u8 = 2;
const FLAG_UPN: u8 = 4;
const FLAG_MAIL: u8 = 8;
const FLAG_DISPLAY_NAME: u8 = 16;
const FLAG_USER_TYPE: u8 = 32;

/// The exclusion reasons in the order of their codes (code = position + 1; 0 is "included").
const REASONS: [ExclusionReason; 6] = [
    ExclusionReason::AccountDisabled,
    ExclusionReason::MissingIdentity,
    ExclusionReason::Guest,
    ExclusionReason::Unlicensed,
    ExclusionReason::ServiceAccount,
    ExclusionReason::TenantCustomPattern,
];

/// The code of a reason in [`REASONS`]. The match is exhaustive, so a new reason in the core
/// does not compile until it has a code here.
fn reason_code(reason: ExclusionReason) -> u8 {
    match reason {
        ExclusionReason::AccountDisabled => 1,
        ExclusionReason::MissingIdentity => 2,
        ExclusionReason::Guest => 3,
        ExclusionReason::Unlicensed => 4,
        ExclusionReason::ServiceAccount => 5,
        ExclusionReason::TenantCustomPattern => 6,
    }
}

/// The contract names of the exclusion reasons, by code - 1 (`account_disabled`, ...).
#[napi]
pub fn filter_reason_names() -> napi::Result<Vec<String>> {
    REASONS
        .iter()
        .map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::String(name)) => Ok(name),
            _ => Err(errors::internal("an exclusion reason is not a string")),
        })
        .collect()
}

/// The decision for every user, in input order.
#[napi(object)]
pub struct FilterDecisions {
    /// Per user: 0 when included, else the code of its reason (see `filterReasonNames`).
    pub reasons: Uint8Array,
    /// Per user: 0 when there is no pattern, else 1 + its position in `patterns`.
    pub pattern_ids: Uint32Array,
    /// The distinct patterns (custom pattern, or built-in rule name) the decisions name.
    pub patterns: Vec<String>,
}

/// The decisions as plain vectors (built off the JavaScript thread for the async variant).
pub struct Decisions {
    reasons: Vec<u8>,
    pattern_ids: Vec<u32>,
    patterns: Vec<String>,
}

impl From<Decisions> for FilterDecisions {
    fn from(d: Decisions) -> Self {
        Self {
            reasons: Uint8Array::new(d.reasons),
            pattern_ids: Uint32Array::new(d.pattern_ids),
            patterns: d.patterns,
        }
    }
}

/// Sets an optional field of the scratch user without allocating once its buffer exists.
fn set(field: &mut Option<String>, present: bool, text: &str) {
    if !present {
        *field = None;
        return;
    }
    match field {
        Some(s) => {
            s.clear();
            s.push_str(text);
        }
        None => *field = Some(text.to_owned()),
    }
}

/// Decides every user of `fields` (see the module doc); `None` when the text does not hold
/// exactly `count` users or the options are not the contract's (the caller then takes the
/// JSON entry point, which names what is wrong).
fn decide(options: &str, count: usize, fields: &str) -> napi::Result<Option<Decisions>> {
    let Ok(options) = serde_json::from_str::<Option<FilterOptions>>(options) else {
        return Ok(None);
    };
    let filter = UserFilter::new(&options.unwrap_or_default()).map_err(|e| errors::error(&e))?;
    let mut reasons = Vec::with_capacity(count);
    let mut pattern_ids = Vec::with_capacity(count);
    let mut patterns: Vec<String> = Vec::new();
    let mut pattern_index: HashMap<String, u32> = HashMap::new();
    let mut user = EntraUser::new("", "");
    let mut parts = fields.split('\0');
    if count == 0 {
        return Ok(fields.is_empty().then_some(Decisions {
            reasons,
            pattern_ids,
            patterns,
        }));
    }
    for _ in 0..count {
        let (Some(first), Some(mail), Some(name), Some(kind)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let Some(flags) = first.as_bytes().first().and_then(|b| b.checked_sub(b'0')) else {
            return Ok(None);
        };
        let upn = &first[1..];
        user.account_enabled = flags & FLAG_ENABLED != 0;
        set(&mut user.user_principal_name, flags & FLAG_UPN != 0, upn);
        set(&mut user.email, flags & FLAG_MAIL != 0, mail);
        set(&mut user.display_name, flags & FLAG_DISPLAY_NAME != 0, name);
        set(&mut user.user_type, flags & FLAG_USER_TYPE != 0, kind);
        let licensed = flags & FLAG_LICENSED != 0;
        if licensed && user.assigned_license_sku_ids.is_empty() {
            user.assigned_license_sku_ids.push(String::new());
        } else if !licensed {
            user.assigned_license_sku_ids.clear();
        }
        match filter.classify(&user) {
            None => {
                reasons.push(0);
                pattern_ids.push(0);
            }
            Some((reason, pattern)) => {
                reasons.push(reason_code(reason));
                pattern_ids.push(match pattern {
                    None => 0,
                    Some(p) => match pattern_index.get(&p) {
                        Some(&id) => id,
                        None => {
                            patterns.push(p.clone());
                            let id = u32::try_from(patterns.len()).unwrap_or(u32::MAX);
                            pattern_index.insert(p, id);
                            id
                        }
                    },
                });
            }
        }
    }
    if parts.next().is_some() {
        return Ok(None);
    }
    Ok(Some(Decisions {
        reasons,
        pattern_ids,
        patterns,
    }))
}

/// `filter_users` on the fields `index.js` read from the users (see the module doc): the
/// decision for each user, or `null` when `index.js` must take the JSON entry point.
#[napi]
pub fn filter_user_fields(
    options: String,
    count: u32,
    fields: String,
) -> napi::Result<Option<FilterDecisions>> {
    errors::guard(|| Ok(decide(&options, count as usize, &fields)?.map(Into::into)))
}

/// [`filter_user_fields`] on libuv's worker pool.
pub struct FilterFieldsTask {
    options: String,
    count: usize,
    fields: String,
}

impl Task for FilterFieldsTask {
    type Output = Option<Decisions>;
    type JsValue = Option<FilterDecisions>;

    fn compute(&mut self) -> napi::Result<Option<Decisions>> {
        errors::guard(|| decide(&self.options, self.count, &self.fields))
    }

    fn resolve(&mut self, _env: Env, output: Option<Decisions>) -> napi::Result<Self::JsValue> {
        Ok(output.map(Into::into))
    }
}

/// Like `filterUserFields`, as a Promise computed off the JavaScript thread.
#[napi(ts_return_type = "Promise<FilterDecisions | null>")]
pub fn filter_user_fields_async(
    options: String,
    count: u32,
    fields: String,
) -> AsyncTask<FilterFieldsTask> {
    AsyncTask::new(FilterFieldsTask {
        options,
        count: count as usize,
        fields,
    })
}
