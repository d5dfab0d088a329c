//! `filterUsers` over the few fields the filter reads, so a listing never crosses as JSON.
//!
//! `index.js` reads, for each user, exactly what the core's field filter
//! ([`entra_core::filter::fields`]) takes (whether the account is enabled, whether it has a
//! license, the UPN, the mail, the display name and the user type) into one byte of flags per
//! user and the texts, and builds the result from the caller's own user objects with the
//! decisions this module returns, as `Array.prototype.filter` would. This module only converts:
//! flags and UTF-16 texts into the core's [`FieldChunk`], its decisions into typed arrays.
//!
//! The flags say which fields are present; the present texts follow each other, user after user,
//! in the order UPN, mail, display name, user type, joined by `index.js` into one string (or a
//! few, for a listing too large for one JavaScript string; no text spans two), with the length
//! of each text in a `Uint32Array`. A mail equal to the UPN and the user types `Member` and
//! `Guest` are flags only (no text). A text that is not well-formed UTF-16 (a lone surrogate),
//! or lengths that do not add up to the texts the flags announce, make the function answer
//! `null`: `index.js` then takes the JSON entry point, which names what is wrong.
//!
//! With group settings, `index.js` also passes the users' object ids and the group listings (one
//! JSON string), which the group scope decides from.
//!
//! For a large listing `index.js` starts the decisions on a thread of their own
//! ([`filter_user_fields_start`], or the async variant on libuv's pool) and meanwhile checks the
//! contract keys the filter does not read; if one is not what the entry point reads, the
//! decisions are dropped and the entry point answers.
//!
//! `__test__/filter.test.mjs` compares every decision with `call('filter_users', ...)`.

use entra_core::filter::fields::{self, FieldChunk, FieldClassifier, FieldUser};
use entra_core::filter::{ExclusionReason, GroupMembership, UserFilter};
use entra_core::model::FilterOptions;
use napi::bindgen_prelude::{AsyncTask, Uint8Array, Uint32Array, Utf16String};
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

/// The contract names of the exclusion reasons, by code - 1 (`account_disabled`, ...).
#[napi]
pub fn filter_reason_names() -> Vec<String> {
    ExclusionReason::ALL
        .iter()
        .map(|r| r.as_str().to_string())
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

/// The core's decisions and the group scope's warnings (made off the JavaScript thread for the
/// threaded and async variants).
pub struct Decisions {
    decisions: fields::Decisions,
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
            reasons: Uint8Array::new(d.decisions.reasons),
            pattern_ids: Uint32Array::new(d.decisions.pattern_ids),
            patterns: d.decisions.patterns,
            warnings_json: d.warnings_json,
        }
    }
}

/// The texts in order, over the pieces `index.js` joined them into (no text spans two
/// pieces): each `next(true)` is the following text's code units, `next(false)` is no text;
/// `None` once the lengths or the units run out.
struct Texts<'a> {
    pieces: std::slice::Iter<'a, Utf16String>,
    units: &'a [u16],
    lengths: std::slice::Iter<'a, u32>,
}

impl<'a> Texts<'a> {
    fn new(pieces: &'a [Utf16String], lengths: &'a [u32]) -> Self {
        Self {
            pieces: pieces.iter(),
            units: &[],
            lengths: lengths.iter(),
        }
    }

    fn next(&mut self, wanted: bool) -> Option<Option<&'a [u16]>> {
        if !wanted {
            return Some(None);
        }
        let len = usize::try_from(*self.lengths.next()?).ok()?;
        while self.units.is_empty() && len > 0 {
            self.units = self.pieces.next()?;
        }
        if len > self.units.len() {
            return None;
        }
        let (text, rest) = self.units.split_at(len);
        self.units = rest;
        Some(Some(text))
    }

    /// Whether every length and every unit was read.
    fn finished(&mut self) -> bool {
        self.units.is_empty() && self.lengths.len() == 0 && self.pieces.all(|p| p.is_empty())
    }
}

/// One user's fields from its flags and texts into `chunk`; `None` when the texts run out or
/// one is not well-formed UTF-16.
fn read_user(chunk: &mut FieldChunk, flags: u8, texts: &mut Texts<'_>) -> Option<FieldUser> {
    let user_type = flags >> USER_TYPE_SHIFT;
    let mail_is_upn = flags & FLAG_MAIL_IS_UPN != 0;
    let upn = texts.next(flags & FLAG_UPN != 0)?;
    let mail = texts.next(flags & FLAG_MAIL != 0 && !mail_is_upn)?;
    let name = texts.next(flags & FLAG_DISPLAY_NAME != 0)?;
    let kind = texts.next(user_type == USER_TYPE_TEXT)?;
    let mut text = |units: Option<&[u16]>| match units {
        None => Some(None),
        Some(units) => chunk.text_utf16(units).map(Some),
    };
    let user_principal_name = text(upn)?;
    let email = if mail_is_upn {
        user_principal_name
    } else {
        text(mail)?
    };
    let display_name = text(name)?;
    let user_type = match user_type {
        USER_TYPE_MEMBER => chunk.text("Member"),
        USER_TYPE_GUEST => chunk.text("Guest"),
        _ => match kind {
            None => None,
            Some(units) => Some(chunk.text_utf16(units)?),
        },
    };
    Some(FieldUser {
        enabled: flags & FLAG_ENABLED != 0,
        licensed: flags & FLAG_LICENSED != 0,
        object_id: None,
        user_principal_name,
        email,
        display_name,
        user_type,
    })
}

/// Decides every user (see the module doc); `None` when `texts` and `lengths` do not hold
/// exactly the texts `flags` announce, a text is not well-formed UTF-16 or the options are not
/// the contract's (the caller then takes the JSON entry point, which names what is wrong).
fn decide(
    options: &str,
    flags: &[u8],
    texts: &[Utf16String],
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
    let mut chunk = FieldChunk::new(0);
    chunk.reserve(flags.len());
    let mut texts = Texts::new(texts, lengths);
    for (i, &f) in flags.iter().enumerate() {
        let Some(mut user) = read_user(&mut chunk, f, &mut texts) else {
            return Ok(None);
        };
        if let Some(id) = object_ids.as_ref().and_then(|ids| ids.get(i)) {
            user.object_id = chunk.text(id);
        }
        chunk.push(user);
    }
    // Every text announced was read, and nothing else was passed.
    if !texts.finished() {
        return Ok(None);
    }
    let mut decisions = fields::Decisions::default();
    FieldClassifier::new(&filter).classify(&chunk, &mut decisions);
    Ok(Some(Decisions {
        decisions,
        warnings_json,
    }))
}

/// `filter_users` on the fields `index.js` read from the users (see the module doc): the
/// decision for each user, or `null` when `index.js` must take the JSON entry point.
#[napi]
pub fn filter_user_fields(
    options: String,
    flags: Uint8Array,
    texts: Vec<Utf16String>,
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
    texts: Vec<Utf16String>,
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
    texts: Vec<Utf16String>,
    lengths: Uint32Array,
    scope: Option<String>,
) -> AsyncTask<FilterFieldsTask> {
    AsyncTask::new(FilterFieldsTask {
        options,
        flags: flags.to_vec(),
        texts,
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
    texts: Vec<Utf16String>,
    lengths: Uint32Array,
    scope: Option<String>,
) -> PendingDecisions {
    let mut task = FilterFieldsTask {
        options,
        flags: flags.to_vec(),
        texts,
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
