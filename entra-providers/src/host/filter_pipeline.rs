//! Classifying a large listing while it is still being read.
//!
//! A binding reading users out of its own objects (see [`entra_core::filter::fields`]) can only
//! read on its own thread (Python holds the GIL). Reading costs about as much as classifying, so
//! for a large listing the calling thread reads chunks of users while a second thread classifies
//! the chunks already read; once done reading, the calling thread classifies what is left too.
//! The decisions come back in input order, exactly those of one pass.

use std::sync::Mutex;
use std::sync::mpsc;

use entra_core::filter::UserFilter;
use entra_core::filter::fields::{Decisions, FieldChunk, FieldClassifier};
use thiserror::Error;

use super::error_family::panic_message;

/// Below this many users a second thread costs more than it saves.
pub const THREADED_FROM: usize = 8_192;

/// A defect (the classifying thread panicked, or the reader gave more users than announced):
/// the binding reports it as an `internal` error.
#[derive(Debug, Clone, Error)]
#[error("{message}")]
pub struct ClassifyDefect {
    pub message: String,
}

impl ClassifyDefect {
    /// The stable code: `internal`.
    pub fn code(&self) -> &'static str {
        "internal"
    }
}

/// Decides `total` users read by `read(start)`, which returns the chunk of users from `start`
/// (at least one user), or `None` when the reader refuses the input: the whole call is then
/// `Ok(None)` and the binding takes its full reader. `read` runs on the calling thread only.
pub fn decide_while_reading(
    filter: &UserFilter,
    total: usize,
    mut read: impl FnMut(usize) -> Option<FieldChunk>,
) -> Result<Option<Decisions>, ClassifyDefect> {
    if total < THREADED_FROM {
        let mut classifier = FieldClassifier::new(filter);
        let mut decisions = Decisions::default();
        let mut start = 0;
        while start < total {
            let Some(chunk) = read(start).filter(|c| !c.is_empty()) else {
                return Ok(None);
            };
            start += chunk.len();
            classifier.classify(&chunk, &mut decisions);
        }
        return all_decided(decisions, total);
    }
    let (sender, receiver) = mpsc::channel::<FieldChunk>();
    let receiver = Mutex::new(receiver);
    // Classifies chunks until none is left to take; each chunk's decisions keep its start.
    let classify_taken = || {
        let mut classifier = FieldClassifier::new(filter);
        let mut done = Vec::new();
        loop {
            let taken = match receiver.lock() {
                Ok(queue) => queue.recv(),
                Err(_) => break,
            };
            let Ok(chunk) = taken else { break };
            let mut decisions = Decisions::default();
            classifier.classify(&chunk, &mut decisions);
            done.push((chunk.start, decisions));
        }
        done
    };
    let (refused, mut done, other) = std::thread::scope(|scope| {
        let classifier = scope.spawn(classify_taken);
        let mut start = 0;
        let mut refused = false;
        while start < total {
            let Some(chunk) = read(start).filter(|c| !c.is_empty()) else {
                refused = true;
                break;
            };
            start += chunk.len();
            if sender.send(chunk).is_err() {
                break;
            }
        }
        drop(sender);
        // Done reading: this thread classifies what the other has not taken yet (nothing
        // when refused: the channel is closed and the other thread drains it).
        let done = if refused {
            Vec::new()
        } else {
            classify_taken()
        };
        (refused, done, classifier.join())
    });
    if refused {
        return Ok(None);
    }
    match other {
        Ok(other) => done.extend(other),
        Err(payload) => {
            return Err(ClassifyDefect {
                message: panic_message(payload.as_ref()),
            });
        }
    }
    done.sort_unstable_by_key(|(start, _)| *start);
    let mut decisions = Decisions::default();
    decisions.reserve(total);
    for (_, part) in done {
        decisions.append(part);
    }
    all_decided(decisions, total)
}

/// The decisions, when there is one per user.
fn all_decided(decisions: Decisions, total: usize) -> Result<Option<Decisions>, ClassifyDefect> {
    if decisions.len() != total {
        return Err(ClassifyDefect {
            message: format!(
                "internal error: {} of {total} users decided",
                decisions.len()
            ),
        });
    }
    Ok(Some(decisions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_core::filter::fields::FieldUser;
    use entra_core::model::FilterOptions;

    /// A reader of `total` synthetic users in chunks of `size`; refuses from `refuse_at`.
    fn reader(
        total: usize,
        size: usize,
        refuse_at: Option<usize>,
    ) -> impl FnMut(usize) -> Option<FieldChunk> {
        move |start| {
            if refuse_at.is_some_and(|at| start >= at) {
                return None;
            }
            let mut chunk = FieldChunk::new(start);
            for i in start..total.min(start + size) {
                let upn = if i % 7 == 0 {
                    format!("svc-{i}@x.com")
                } else {
                    format!("u{i}@x.com")
                };
                let user_principal_name = chunk.text(&upn);
                chunk.push(FieldUser {
                    enabled: i % 5 != 0,
                    licensed: true,
                    user_principal_name,
                    ..FieldUser::default()
                });
            }
            Some(chunk)
        }
    }

    /// Cases: listing sizes on both sides of the threaded bound and chunk sizes; the
    /// decisions must equal one pass over the same chunks.
    #[test]
    fn decisions_equal_one_pass_in_order() {
        let options = FilterOptions {
            custom_exclusion_patterns: vec!["^svc-".into()],
            ..FilterOptions::default()
        };
        let filter = UserFilter::new(&options).unwrap();
        for (total, size) in [
            (0, 10),
            (100, 10),
            (THREADED_FROM * 3, 512),
            (20_000, 1_000),
        ] {
            let decisions = decide_while_reading(&filter, total, reader(total, size, None))
                .unwrap()
                .unwrap();
            let mut expected = Decisions::default();
            let mut classifier = FieldClassifier::new(&filter);
            let mut read = reader(total, size, None);
            let mut start = 0;
            while start < total {
                let chunk = read(start).unwrap();
                start += chunk.len();
                classifier.classify(&chunk, &mut expected);
            }
            assert_eq!(decisions.reasons, expected.reasons, "{total} by {size}");
            assert_eq!(decisions.len(), total);
            assert!(total == 0 || decisions.excluded_count() > 0);
            for i in 0..total {
                assert_eq!(decisions.get(i), expected.get(i), "user {i}");
            }
        }
    }

    #[test]
    fn a_refusal_anywhere_is_none() {
        let filter = UserFilter::new(&FilterOptions::default()).unwrap();
        for (total, size, refuse_at) in [
            (100, 10, 50),
            (THREADED_FROM * 2, 512, 4_096),
            (THREADED_FROM * 2, 512, 0),
        ] {
            let out =
                decide_while_reading(&filter, total, reader(total, size, Some(refuse_at))).unwrap();
            assert!(out.is_none(), "{total} refused at {refuse_at}");
        }
        // A reader that yields no user cannot stall the loop.
        let out = decide_while_reading(&filter, 10, |start| Some(FieldChunk::new(start))).unwrap();
        assert!(out.is_none());
    }
}
