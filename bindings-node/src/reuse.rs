//! `filterUsers` hands back the caller's own user objects where they already have the canonical
//! shape, as Python's own `filter` would, instead of building equal ones.
//!
//! The core decides, user by user, through its public [`UserFilter::classify`] (what
//! `filter_users` itself runs); this module only reports where each decided user sits in the
//! input. A user whose input JSON text is exactly its canonical serialization is reported by its
//! position (`index.js` picks the caller's object); any other user is written out in canonical
//! form. The result is equal in content to `call('filter_users', ...)`. Input the fast reader
//! refuses goes through the JSON entry point, so errors are exactly the entry point's.

use entra_core::filter::UserFilter;
use entra_core::model::{EntraUser, FilterOptions};
use napi_derive::napi;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::errors;

/// The input with each user still as its JSON text.
#[derive(Deserialize)]
struct RawInput<'a> {
    #[serde(borrow)]
    users: Vec<&'a RawValue>,
    #[serde(default)]
    options: Option<FilterOptions>,
}

/// How many input users each piece of the result covers: a JavaScript string cannot exceed
/// about 512 MiB, and a million canonical users written out in one piece would.
const USERS_PER_PIECE: usize = 100_000;

/// An excluded user's verdict (its user entry is written in front of it).
#[derive(Serialize)]
struct Excluded {
    reason: entra_core::filter::ExclusionReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
}

/// One piece of the result, `{"included":[...],"excluded":[...]}`, written as it is decided.
#[derive(Default)]
struct Piece {
    included: String,
    excluded: String,
}

impl Piece {
    fn push(list: &mut String, item: &str) {
        list.push(if list.is_empty() { '[' } else { ',' });
        list.push_str(item);
    }

    fn finish(self) -> String {
        let list = |s: String| {
            if s.is_empty() {
                "[]".to_string()
            } else {
                s + "]"
            }
        };
        format!(
            "{{\"included\":{},\"excluded\":{}}}",
            list(self.included),
            list(self.excluded)
        )
    }
}

/// The typed users and their JSON texts, or `None` when the fast reader refuses the input.
fn read(text: &str) -> Option<(Vec<EntraUser>, Vec<&RawValue>, FilterOptions)> {
    let raw: RawInput<'_> = serde_json::from_str(text).ok()?;
    let users = raw
        .users
        .iter()
        .map(|u| serde_json::from_str::<EntraUser>(u.get()).ok())
        .collect::<Option<Vec<_>>>()?;
    Some((users, raw.users, raw.options.unwrap_or_default()))
}

/// Whether `text` is exactly `canonical` (the record's JSON, keys in the record's order, as the
/// providers write users) or the same record with its keys sorted (as `call` writes them). Both
/// orders have the same length, so a text of another length is neither; the first key tells
/// which order to compare with, so a text in another order costs no sorted copy.
fn is_canonical(user: &EntraUser, canonical: &str, text: &str) -> bool {
    const SORTED_FIRST_KEY: &str = "{\"accountEnabled\":";
    if canonical.len() != text.len() {
        return false;
    }
    if !text.starts_with(SORTED_FIRST_KEY) {
        return canonical == text;
    }
    serde_json::to_value(user)
        .and_then(|v| serde_json::to_string(&v))
        .is_ok_and(|sorted| sorted == text)
}

/// `filter_users` on JSON text in pieces; returns the result in pieces of JSON text
/// `{included, excluded}` (one per slice of the input users, in order) whose user entries are
/// positions in the input (a number) or canonical records (an object).
#[napi]
pub fn filter_users_reusing(input: Vec<String>) -> napi::Result<Vec<String>> {
    errors::guard(|| {
        let input = crate::pure::join(input);
        let Some((users, texts, options)) = read(&input) else {
            // The entry point decides (and names what is wrong with the input); its result has
            // every user in canonical form, which is also this function's format.
            let value = crate::pure::parse(&input, "")?;
            let output =
                entra_core::api::call("filter_users", &value).map_err(|e| errors::error(&e))?;
            return Ok(vec![crate::runtime::to_json(&output)?]);
        };
        let filter = UserFilter::new(&options).map_err(|e| errors::error(&e))?;
        let mut pieces = Vec::new();
        let mut piece = Piece::default();
        for (index, (user, text)) in users.iter().zip(&texts).enumerate() {
            if index > 0 && index % USERS_PER_PIECE == 0 {
                pieces.push(std::mem::take(&mut piece).finish());
            }
            let canonical = crate::runtime::to_json(user)?;
            let entry = if is_canonical(user, &canonical, text.get()) {
                index.to_string()
            } else {
                canonical
            };
            match filter.classify(user) {
                None => Piece::push(&mut piece.included, &entry),
                Some((reason, pattern)) => {
                    let excluded = Excluded { reason, pattern };
                    let mut item = crate::runtime::to_json(&excluded)?;
                    // `{"reason":...}` becomes `{"user":<entry>,"reason":...}`.
                    item.insert_str(1, &format!("\"user\":{entry},"));
                    Piece::push(&mut piece.excluded, &item);
                }
            }
        }
        pieces.push(piece.finish());
        crate::pure::drop_later(users);
        Ok(pieces)
    })
}
