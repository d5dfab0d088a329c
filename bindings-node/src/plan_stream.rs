//! `planTenantSync` with its input read while it is written. `index.js` writes the input's
//! top-level entries one by one, and its `users` and `contacts` a slice at a time (each slice a
//! JSON array of its own); a thread of the addon reads those slices into the core's typed records
//! as they arrive, while the JavaScript thread writes the next ones. Reading the input's text
//! costs about as much as writing it, so the two now overlap instead of following each other. An
//! input this reader refuses is planned again from its whole text (`plan_pieces`), so errors are
//! exactly the entry point's.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use entra_core::model::{Contact, EntraUser};
use entra_core::reconcile::PlanInput;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use serde::de::DeserializeOwned;

use crate::errors;
use crate::plan_pieces::{PlanPieces, plan_typed};

/// What `index.js` writes: a whole top-level entry (`"key":value`), or a slice of `users` or
/// `contacts`.
enum Piece {
    Entry(String),
    Slice { key: String, json: String },
}

/// The input as read so far.
#[derive(Default)]
struct Received {
    /// Whole entries, as written.
    entries: Vec<String>,
    /// The records of the sliced lists; `None` when the list came as a whole entry.
    users: Option<Vec<EntraUser>>,
    contacts: Option<Vec<Contact>>,
    /// A slice did not read as records: the whole text decides.
    refused: bool,
}

/// Appends the records of a JSON array to `list`; false when it does not read as records.
fn read_slice<T: DeserializeOwned>(list: &mut Option<Vec<T>>, json: &str) -> bool {
    match serde_json::from_str::<Vec<T>>(json) {
        Ok(mut read) => {
            list.get_or_insert_with(Vec::new).append(&mut read);
            true
        }
        Err(_) => false,
    }
}

impl Received {
    fn take(&mut self, piece: Piece) {
        if self.refused {
            return;
        }
        self.refused = !match piece {
            Piece::Entry(text) => {
                self.entries.push(text);
                true
            }
            Piece::Slice { key, json } => match key.as_str() {
                "users" => read_slice(&mut self.users, &json),
                "contacts" => read_slice(&mut self.contacts, &json),
                // No other list is sent in slices.
                _ => false,
            },
        };
    }

    /// The typed input: the entries read as one object, the sliced lists put in; `None` when
    /// any part does not read.
    fn into_input(self) -> Option<PlanInput> {
        if self.refused {
            return None;
        }
        let head = format!("{{{}}}", self.entries.join(","));
        let mut input: PlanInput = serde_json::from_str(&head).ok()?;
        if let Some(users) = self.users {
            input.users = users;
        }
        if let Some(contacts) = self.contacts {
            input.contacts = contacts;
        }
        Some(input)
    }
}

fn receive(pieces: Receiver<Piece>) -> Received {
    let mut received = Received::default();
    for piece in pieces {
        received.take(piece);
    }
    received
}

/// One `planTenantSync` whose input is being written (see the module's documentation).
#[napi]
pub struct PlanStream {
    pieces: Option<Sender<Piece>>,
    reader: Option<JoinHandle<Received>>,
}

#[napi]
impl PlanStream {
    /// Starts the reading thread.
    #[napi(constructor)]
    pub fn new() -> napi::Result<Self> {
        let (pieces, receiver) = channel();
        let reader = std::thread::Builder::new()
            .name("entra-sync-read".into())
            .spawn(move || receive(receiver))
            .map_err(|e| errors::internal(format!("no reading thread: {e}")))?;
        Ok(Self {
            pieces: Some(pieces),
            reader: Some(reader),
        })
    }

    /// A whole top-level entry of the input, `"key":value`.
    #[napi]
    pub fn entry(&mut self, text: String) {
        self.send(Piece::Entry(text));
    }

    /// The next slice of the list under `key` (`users` or `contacts`), as a JSON array.
    #[napi]
    pub fn slice(&mut self, key: String, json: String) {
        self.send(Piece::Slice { key, json });
    }

    /// Waits for the reader, then plans on the JavaScript thread; `null` when the input does not
    /// read as a plan's input (plan it from its whole text to get the entry point's error).
    #[napi]
    pub fn finish(&mut self) -> napi::Result<Option<PlanPieces>> {
        errors::guard(|| finish(self.reader_done()))
    }

    /// Like `finish`, waiting and planning off the JavaScript thread.
    #[napi(ts_return_type = "Promise<PlanPieces | null>")]
    pub fn finish_async(&mut self) -> AsyncTask<FinishTask> {
        AsyncTask::new(FinishTask {
            reader: self.reader_done(),
        })
    }

    /// Gives up: the reader drops what it read. Writing the input failed.
    #[napi]
    pub fn cancel(&mut self) {
        // The reader ends once the channel is closed; nobody waits for it.
        drop(self.reader_done());
    }
}

impl PlanStream {
    fn send(&self, piece: Piece) {
        // A closed channel means `finish` or `cancel` came first: nothing more is read.
        if let Some(pieces) = &self.pieces {
            let _ = pieces.send(piece);
        }
    }

    /// Closes the channel (the reader ends after the last piece) and hands over the reader.
    fn reader_done(&mut self) -> Option<JoinHandle<Received>> {
        self.pieces = None;
        self.reader.take()
    }
}

fn finish(reader: Option<JoinHandle<Received>>) -> napi::Result<Option<PlanPieces>> {
    let Some(reader) = reader else {
        return Err(errors::invalid_input(
            "this plan stream was already finished",
        ));
    };
    let received = reader
        .join()
        .map_err(|_| errors::internal("the plan stream's reader panicked"))?;
    match received.into_input() {
        Some(input) => plan_typed(input).map(Some),
        None => Ok(None),
    }
}

/// `finishAsync` on libuv's worker pool.
pub struct FinishTask {
    reader: Option<JoinHandle<Received>>,
}

impl Task for FinishTask {
    type Output = Option<PlanPieces>;
    type JsValue = Option<PlanPieces>;

    fn compute(&mut self) -> napi::Result<Option<PlanPieces>> {
        errors::guard(|| finish(self.reader.take()))
    }

    fn resolve(&mut self, _env: Env, output: Option<PlanPieces>) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}
