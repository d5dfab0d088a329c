//! `filterUsers` over the few fields the filter reads, so a listing never crosses as JSON.
//!
//! `index.js` reads, for each user, exactly what [`UserFilter::classify`] looks at (whether the
//! account is enabled, whether it has a license, the UPN, the mail, the display name and the
//! user type) into one byte of flags per user and the texts' code units, and builds the result
//! from the caller's own user objects with the decisions this module returns, as
//! `Array.prototype.filter` would. Reading and writing a hundred thousand whole users through
//! JSON costs ten times the filter itself; these few fields cost less than the filter.
//!
//! The flags say which fields are present; the present texts follow each other, user after user,
//! in the order UPN, mail, display name, user type, as UTF-16 code units (copied by `index.js`
//! straight from the JavaScript strings into a `Uint16Array`, so no string is built, joined or
//! converted on the JavaScript side), with the length of each text in a `Uint32Array`. A mail
//! equal to the UPN and the user types `Member` and `Guest` are flags only (no text). A text
//! that is not well-formed UTF-16 (a lone surrogate), or lengths that do not add up to the texts
//! the flags announce, make the function answer `null`: `index.js` then takes the JSON entry
//! point, which names what is wrong.
//!
//! With group settings, `index.js` also passes the users' object ids and the group listings (one
//! JSON string), which the group scope decides from.
//!
//! For a large listing `index.js` starts the decisions on a thread of their own
//! ([`filter_user_fields_start`], or the async variant on libuv's pool) and meanwhile checks the
//! contract keys the filter does not read; if one is not what the entry point reads, the
//! decisions are dropped and the entry point answers.
//!
//! If the filter ever reads another field of the user, this module and `index.js` must pass it
//! too; `__test__/filter.test.mjs` compares every decision with `call('filter_users', ...)`.

use std::collections::HashMap;

use entra_core::filter::{ExclusionReason, GroupMembership, UserFilter};
use entra_core::model::{EntraUser, FilterOptions};
use napi::bindgen_prelude::{AsyncTask, Uint8Array, Uint16Array, Uint32Array};
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

/// Sets an optional field of the scratch user to a text given as UTF-16 code units, without
/// allocating once its buffer exists; false when the units are not well-formed UTF-16.
fn set_utf16(field: &mut Option<String>, units: Option<&[u16]>) -> bool {
    let Some(units) = units else {
        *field = None;
        return true;
    };
    // Most texts are ASCII: one byte per unit, copied in one vectorized pass.
    if units.iter().fold(0, |any, &u| any | u) < 0x80 {
        let mut bytes = field.take().map(String::into_bytes).unwrap_or_default();
        bytes.clear();
        bytes.extend(units.iter().map(|&u| u.to_le_bytes()[0]));
        // Always ASCII here, so always valid UTF-8.
        *field = String::from_utf8(bytes).ok();
        return field.is_some();
    }
    let text = field.get_or_insert_with(String::new);
    text.clear();
    for c in char::decode_utf16(units.iter().copied()) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => return false,
        }
    }
    true
}

/// Sets an optional field of the scratch user to a text without allocating once its buffer
/// exists.
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

/// The texts in order: each `next(true)` is the following text's code units, `next(false)` is
/// no text; `None` once the lengths or the units run out.
struct Texts<'a> {
    units: &'a [u16],
    lengths: std::slice::Iter<'a, u32>,
}

impl<'a> Texts<'a> {
    fn next(&mut self, wanted: bool) -> Option<Option<&'a [u16]>> {
        if !wanted {
            return Some(None);
        }
        let len = usize::try_from(*self.lengths.next()?).ok()?;
        if len > self.units.len() {
            return None;
        }
        let (text, rest) = self.units.split_at(len);
        self.units = rest;
        Some(Some(text))
    }

    /// Whether every length and every unit was read.
    fn finished(&self) -> bool {
        self.units.is_empty() && self.lengths.len() == 0
    }
}

/// Decides every user (see the module doc); `None` when `units` and `lengths` do not hold
/// exactly the texts `flags` announce, a text is not well-formed UTF-16 or the options are not
/// the contract's (the caller then takes the JSON entry point, which names what is wrong).
fn decide(
    options: &str,
    flags: &[u8],
    units: &[u16],
    lengths: &[u32],
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
    let mut texts = Texts {
        units,
        lengths: lengths.iter(),
    };
    for (i, &f) in flags.iter().enumerate() {
        if let Some(id) = object_ids.as_ref().and_then(|ids| ids.get(i)) {
            user.entra_object_id.clone_from(id);
        }
        let user_type = f >> USER_TYPE_SHIFT;
        let mail_is_upn = f & FLAG_MAIL_IS_UPN != 0;
        let (Some(upn), Some(mail), Some(name), Some(kind)) = (
            texts.next(f & FLAG_UPN != 0),
            texts.next(f & FLAG_MAIL != 0 && !mail_is_upn),
            texts.next(f & FLAG_DISPLAY_NAME != 0),
            texts.next(user_type == USER_TYPE_TEXT),
        ) else {
            return Ok(None);
        };
        let well_formed = set_utf16(&mut user.user_principal_name, upn)
            && set_utf16(&mut user.display_name, name)
            && match user_type {
                USER_TYPE_MEMBER => {
                    set(&mut user.user_type, Some("Member"));
                    true
                }
                USER_TYPE_GUEST => {
                    set(&mut user.user_type, Some("Guest"));
                    true
                }
                _ => set_utf16(&mut user.user_type, kind),
            }
            && if mail_is_upn {
                set(&mut user.email, user.user_principal_name.as_deref());
                true
            } else {
                set_utf16(&mut user.email, mail)
            };
        if !well_formed {
            return Ok(None);
        }
        user.account_enabled = f & FLAG_ENABLED != 0;
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
    // Every text announced was read, and nothing else was passed.
    if !texts.finished() {
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
    texts: Uint16Array,
    lengths: Uint32Array,
    scope: Option<String>,
) -> napi::Result<Option<FilterDecisions>> {
    errors::guard(|| {
        Ok(decide(&options, &flags, &texts, &lengths, scope.as_deref())?.map(Into::into))
    })
}

/// [`filter_user_fields`] on libuv's worker pool.
pub struct FilterFieldsTask {
    options: String,
    flags: Vec<u8>,
    texts: Vec<u16>,
    lengths: Vec<u32>,
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
                &self.lengths,
                self.scope.as_deref(),
            )
        })
    }

    fn resolve(&mut self, _env: Env, output: Option<Decisions>) -> napi::Result<Self::JsValue> {
        Ok(output.map(Into::into))
    }
}

/// Like `filterUserFields`, as a Promise computed off the JavaScript thread (the arrays are
/// copied first: the caller may reuse them).
#[napi(ts_return_type = "Promise<FilterDecisions | null>")]
pub fn filter_user_fields_async(
    options: String,
    flags: Uint8Array,
    texts: Uint16Array,
    lengths: Uint32Array,
    scope: Option<String>,
) -> AsyncTask<FilterFieldsTask> {
    AsyncTask::new(FilterFieldsTask {
        options,
        flags: flags.to_vec(),
        texts: texts.to_vec(),
        lengths: lengths.to_vec(),
        scope,
    })
}

/// Decisions being made on a thread of their own, started by [`filter_user_fields_start`]: the
/// synchronous `filterUsers` checks the keys the filter does not read meanwhile, on the
/// JavaScript thread, then waits for them with `finish`.
#[napi]
pub struct PendingDecisions {
    state: Pending,
}

enum Pending {
    /// Deciding on the thread.
    Running(std::thread::JoinHandle<napi::Result<Option<Decisions>>>),
    /// No thread could be started (`Some(Ok(None))`: the JSON entry point decides), or taken by
    /// `finish` (`None`).
    Done(Option<napi::Result<Option<Decisions>>>),
}

#[napi]
impl PendingDecisions {
    /// Waits for the decisions: what `filterUserFields` would have returned (or thrown). A second
    /// call is an internal error.
    #[napi]
    pub fn finish(&mut self) -> napi::Result<Option<FilterDecisions>> {
        let state = std::mem::replace(&mut self.state, Pending::Done(None));
        let result = match state {
            Pending::Running(handle) => handle
                .join()
                .unwrap_or_else(|payload| Err(errors::internal(errors::panic_message(&*payload)))),
            Pending::Done(Some(result)) => result,
            Pending::Done(None) => Err(errors::internal("the decisions were taken already")),
        };
        Ok(result?.map(Into::into))
    }
}

/// Starts `filterUserFields` on a thread of its own (the arrays are copied first: the caller
/// may reuse them); [`PendingDecisions::finish`] waits for it. If no thread can be started, the
/// decisions are `null`, so `index.js` takes the JSON entry point.
#[napi]
pub fn filter_user_fields_start(
    options: String,
    flags: Uint8Array,
    texts: Uint16Array,
    lengths: Uint32Array,
    scope: Option<String>,
) -> PendingDecisions {
    let mut task = FilterFieldsTask {
        options,
        flags: flags.to_vec(),
        texts: texts.to_vec(),
        lengths: lengths.to_vec(),
        scope,
    };
    let spawned = std::thread::Builder::new()
        .name("entra-sync-filter".into())
        .spawn(move || task.compute());
    PendingDecisions {
        state: match spawned {
            Ok(handle) => Pending::Running(handle),
            Err(_) => Pending::Done(Some(Ok(None))),
        },
    }
}
