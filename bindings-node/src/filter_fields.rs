//! `filterUsers` over the few fields the filter reads, so a listing never crosses as JSON.
//!
//! `index.js` reads, for each user, exactly what [`UserFilter::classify`] looks at (whether the
//! account is enabled, whether it has a license, the UPN, the mail, the display name and the
//! user type) into one byte of flags per user and one string, and builds the result from the
//! caller's own user objects with the decisions this module returns, as
//! `Array.prototype.filter` would. Reading and writing a hundred thousand whole users through
//! JSON costs ten times the filter itself; these few fields cost less than the filter.
//!
//! The flags say which fields are present; the string holds the present texts, separated by
//! NUL, user after user, in the order UPN, mail, display name, user type. A mail equal to the
//! UPN and the user types `Member` and `Guest` are flags only (no text). A text that itself
//! contains NUL makes the count of texts wrong; the function then answers `null` and `index.js`
//! takes the JSON entry point instead.
//!
//! With group settings, `index.js` also passes the users' object ids and the group listings (one
//! JSON string), which the group scope decides from.
//!
//! If the filter ever reads another field of the user, this module and `index.js` must pass it
//! too; `__test__/filter.test.mjs` compares every decision with `call('filter_users', ...)`.

use std::collections::HashMap;

use entra_core::filter::{ExclusionReason, GroupMembership, UserFilter};
use entra_core::model::{EntraUser, FilterOptions};
use napi::bindgen_prelude::{AsyncTask, Uint8Array, Uint32Array};
use napi::{Env, Task};
use napi_derive::napi;

use crate::errors;

const FLAG_ENABLED: u8 = 1;
const FLAG_LICENSED: u8 = 2;
const FLAG_UPN: u8 = 4;
const FLAG_MAIL: u8 = 8;
/// The mail is present and equal to the UPN (not repeated in the texts).
const FLAG_MAIL_IS_UPN: u8 = 16;
const FLAG_DISPLAY_NAME: u8 = 32;
/// Two bits: the user type is absent (0), a text (1), `Member` (2) or `Guest` (3).
const USER_TYPE_SHIFT: u8 = 6;
const USER_TYPE_TEXT: u8 = 1;
const USER_TYPE_MEMBER: u8 = 2;
const USER_TYPE_GUEST: u8 = 3;

/// The exclusion reasons in the order of their codes (code = position + 1; 0 is "included").
const REASONS: [ExclusionReason; 9] = [
    ExclusionReason::AccountDisabled,
    ExclusionReason::MissingIdentity,
    ExclusionReason::Guest,
    ExclusionReason::Unlicensed,
    ExclusionReason::ServiceAccount,
    ExclusionReason::TenantCustomPattern,
    ExclusionReason::NotInIncludedGroup,
    ExclusionReason::InExcludedGroup,
    ExclusionReason::GroupScopeUnknown,
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
        ExclusionReason::NotInIncludedGroup => 7,
        ExclusionReason::InExcludedGroup => 8,
        ExclusionReason::GroupScopeUnknown => 9,
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
    /// The group scope's warnings as a JSON array, when there are any.
    pub warnings_json: Option<String>,
}

/// The decisions as plain vectors (built off the JavaScript thread for the async variant).
pub struct Decisions {
    reasons: Vec<u8>,
    pattern_ids: Vec<u32>,
    patterns: Vec<String>,
    warnings_json: Option<String>,
}

/// What the group scope reads besides the flags: each user's object id (in order) and the
/// group listings.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Scope {
    object_ids: Vec<String>,
    #[serde(default)]
    group_memberships: Vec<GroupMembership>,
}

impl From<Decisions> for FilterDecisions {
    fn from(d: Decisions) -> Self {
        Self {
            reasons: Uint8Array::new(d.reasons),
            pattern_ids: Uint32Array::new(d.pattern_ids),
            patterns: d.patterns,
            warnings_json: d.warnings_json,
        }
    }
}

/// Sets an optional field of the scratch user without allocating once its buffer exists.
fn set(field: &mut Option<String>, text: Option<&str>) {
    match (field.as_mut(), text) {
        (_, None) => *field = None,
        (Some(s), Some(text)) => {
            s.clear();
            s.push_str(text);
        }
        (None, Some(text)) => *field = Some(text.to_owned()),
    }
}

/// Decides every user (see the module doc); `None` when `texts` does not hold exactly the texts
/// `flags` announce or the options are not the contract's (the caller then takes the JSON entry
/// point, which names what is wrong).
fn decide(
    options: &str,
    flags: &[u8],
    texts: &str,
    scope: Option<&str>,
) -> napi::Result<Option<Decisions>> {
    let Ok(options) = serde_json::from_str::<Option<FilterOptions>>(options) else {
        return Ok(None);
    };
    let options = options.unwrap_or_default();
    // The group scope decides from the users' object ids and the group listings.
    let (object_ids, memberships) = match scope {
        None => (None, Vec::new()),
        Some(scope) => match serde_json::from_str::<Scope>(scope) {
            Ok(s) if s.object_ids.len() == flags.len() => (Some(s.object_ids), s.group_memberships),
            _ => return Ok(None),
        },
    };
    let (filter, warnings) =
        UserFilter::with_groups(&options, &memberships).map_err(|e| errors::error(&e))?;
    let warnings_json = if warnings.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&warnings).map_err(|_| errors::internal("warnings"))?)
    };
    let count = flags.len();
    let mut reasons = Vec::with_capacity(count);
    let mut pattern_ids = Vec::with_capacity(count);
    let mut patterns: Vec<String> = Vec::new();
    let mut pattern_index: HashMap<String, u32> = HashMap::new();
    let mut user = EntraUser::new("", "");
    // An empty string holds no text at all (`split` would still give one empty piece).
    let mut parts = texts.split('\0');
    let mut empty = texts.is_empty();
    let mut next = |wanted: bool| -> Option<Option<&str>> {
        if !wanted {
            return Some(None);
        }
        if empty {
            return None;
        }
        let part = parts.next();
        if part.is_none() {
            empty = true;
        }
        part.map(Some)
    };
    for (i, &f) in flags.iter().enumerate() {
        if let Some(id) = object_ids.as_ref().and_then(|ids| ids.get(i)) {
            user.entra_object_id.clone_from(id);
        }
        let user_type = f >> USER_TYPE_SHIFT;
        let (Some(upn), Some(mail), Some(name), Some(kind)) = (
            next(f & FLAG_UPN != 0),
            next(f & FLAG_MAIL != 0 && f & FLAG_MAIL_IS_UPN == 0),
            next(f & FLAG_DISPLAY_NAME != 0),
            next(user_type == USER_TYPE_TEXT),
        ) else {
            return Ok(None);
        };
        let mail = if f & FLAG_MAIL_IS_UPN != 0 { upn } else { mail };
        let kind = match user_type {
            USER_TYPE_MEMBER => Some("Member"),
            USER_TYPE_GUEST => Some("Guest"),
            _ => kind,
        };
        user.account_enabled = f & FLAG_ENABLED != 0;
        set(&mut user.user_principal_name, upn);
        set(&mut user.email, mail);
        set(&mut user.display_name, name);
        set(&mut user.user_type, kind);
        let licensed = f & FLAG_LICENSED != 0;
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
    // Every text announced was read; one more means a text held a NUL.
    if next(true).is_some() {
        return Ok(None);
    }
    Ok(Some(Decisions {
        reasons,
        pattern_ids,
        patterns,
        warnings_json,
    }))
}

/// `filter_users` on the fields `index.js` read from the users (see the module doc): the
/// decision for each user, or `null` when `index.js` must take the JSON entry point.
#[napi]
pub fn filter_user_fields(
    options: String,
    flags: Uint8Array,
    texts: String,
    scope: Option<String>,
) -> napi::Result<Option<FilterDecisions>> {
    errors::guard(|| Ok(decide(&options, &flags, &texts, scope.as_deref())?.map(Into::into)))
}

/// [`filter_user_fields`] on libuv's worker pool.
pub struct FilterFieldsTask {
    options: String,
    flags: Vec<u8>,
    texts: String,
    scope: Option<String>,
}

impl Task for FilterFieldsTask {
    type Output = Option<Decisions>;
    type JsValue = Option<FilterDecisions>;

    fn compute(&mut self) -> napi::Result<Option<Decisions>> {
        errors::guard(|| {
            decide(
                &self.options,
                &self.flags,
                &self.texts,
                self.scope.as_deref(),
            )
        })
    }

    fn resolve(&mut self, _env: Env, output: Option<Decisions>) -> napi::Result<Self::JsValue> {
        Ok(output.map(Into::into))
    }
}

/// Like `filterUserFields`, as a Promise computed off the JavaScript thread.
#[napi(ts_return_type = "Promise<FilterDecisions | null>")]
pub fn filter_user_fields_async(
    options: String,
    flags: Uint8Array,
    texts: String,
    scope: Option<String>,
) -> AsyncTask<FilterFieldsTask> {
    AsyncTask::new(FilterFieldsTask {
        options,
        flags: flags.to_vec(),
        texts,
        scope,
    })
}
