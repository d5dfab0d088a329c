//! `planTenantSync` with its input read while it is written and its plan handed over while it
//! is made.
//!
//! `index.js` writes the input's top-level entries one by one, and its `users` and `contacts` a
//! slice at a time (each slice a JSON array of its own); a thread of the addon reads those slices
//! into the core's typed records as they arrive, while the JavaScript thread writes the next ones.
//! Once the input is closed, the same thread plans it with `plan_tenant_sync_into` and writes
//! each list the core hands over (`excluded` and `seen` early, then the actions batch by batch,
//! then `withheld` and the rest of the plan) as JSON pieces that `index.js` parses while the
//! next ones are planned. So writing the input and reading it overlap, and so do the end of the
//! plan and parsing it, instead of each following the other.
//!
//! An input this reader refuses is planned again from its whole text (`plan_pieces`), so errors
//! are exactly the entry point's.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::ScopedJoinHandle;

use entra_core::filter::ExcludedUser;
use entra_core::model::{Contact, EntraUser};
use entra_core::reconcile::{
    Action, PlanInput, PlanSink, SeenIdentity, input_digest, plan_tenant_sync_into,
};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::errors;
use crate::plan_pieces::pieces;
use crate::pure::drop_later;
use crate::runtime::to_json;

/// What `index.js` writes: a whole top-level entry (`"key":value`), a slice of `users` or
/// `contacts`, or the end of the input.
enum Piece {
    Entry(String),
    Slice { key: String, json: String },
    End,
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
    fn take(&mut self, key: String, json: String) {
        if self.refused {
            return;
        }
        self.refused = !match key.as_str() {
            "users" => read_slice(&mut self.users, &json),
            "contacts" => read_slice(&mut self.contacts, &json),
            // No other list is sent in slices.
            _ => false,
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

/// Reads pieces until the end of the input; `None` when the stream was given up (its sender
/// dropped before the end).
fn receive(pieces: Receiver<Piece>) -> Option<Received> {
    let mut received = Received::default();
    for piece in pieces {
        match piece {
            Piece::Entry(text) if !received.refused => received.entries.push(text),
            Piece::Entry(_) => {}
            Piece::Slice { key, json } => received.take(key, json),
            Piece::End => return Some(received),
        }
    }
    None
}

/// What the planning thread hands the JavaScript thread, in order.
enum Out {
    /// A JSON array of elements of the plan's `excluded`, `seen`, `actions` or `withheld`.
    List {
        key: &'static str,
        json: String,
    },
    /// The rest of the plan, those lists empty: the last message of a plan.
    Head(String),
    /// The input does not read as a plan's input: plan it from its whole text.
    Refused,
    Failed(napi::Error),
}

/// A piece of a streamed plan, as `index.js` reads it: `key` is `excluded`, `seen`, `actions`
/// or `withheld` (`json` a JSON array of that list's next elements), `head` (`json` the plan
/// with its lists empty, always the last piece), or `refused` (no `json`: the input does not
/// read as a plan's input; plan it from its whole text to get the entry point's error).
#[napi(object)]
pub struct PlanPiece {
    pub key: String,
    pub json: Option<String>,
}

impl From<Out> for napi::Result<PlanPiece> {
    fn from(out: Out) -> Self {
        let piece = |key: &str, json| PlanPiece {
            key: key.into(),
            json,
        };
        match out {
            Out::List { key, json } => Ok(piece(key, Some(json))),
            Out::Head(json) => Ok(piece("head", Some(json))),
            Out::Refused => Ok(piece("refused", None)),
            Out::Failed(error) => Err(error),
        }
    }
}

/// The sink of the planning thread: writes each list as it comes and sends it on.
struct Forward<'a, 's> {
    out: &'a Sender<Out>,
    /// A list that could not be written (a bug): reported instead of the plan.
    failed: Option<napi::Error>,
    /// The thread hashing the input's digest meanwhile, if one could be started.
    digest: Option<ScopedJoinHandle<'s, String>>,
}

impl Forward<'_, '_> {
    fn list<T: Serialize + Send + 'static>(&mut self, key: &'static str, list: Vec<T>) {
        match pieces(&list) {
            // A closed channel means nobody reads this plan any more.
            Ok(written) => written.into_iter().for_each(|json| {
                let _ = self.out.send(Out::List { key, json });
            }),
            Err(error) => {
                self.failed.get_or_insert(error);
            }
        }
        drop_later(list);
    }
}

impl PlanSink for Forward<'_, '_> {
    fn excluded(&mut self, excluded: Vec<ExcludedUser>) {
        self.list("excluded", excluded);
    }

    fn seen(&mut self, seen: Vec<SeenIdentity>) {
        self.list("seen", seen);
    }

    fn actions(&mut self, actions: Vec<Action>) {
        self.list("actions", actions);
    }

    fn digest(&mut self, input: &PlanInput) -> String {
        let hashed = self.digest.take().and_then(|thread| thread.join().ok());
        hashed.unwrap_or_else(|| input_digest(input))
    }
}

/// Plans `input`, sending its lists as they come and its head last. The input's digest is
/// hashed on a second thread meanwhile: the JavaScript thread, which parses the lists, leaves
/// most of the second core free until the actions come.
fn plan(input: &PlanInput, out: &Sender<Out>) -> napi::Result<()> {
    std::thread::scope(|scope| {
        let digest = std::thread::Builder::new()
            .name("entra-sync-digest".into())
            .spawn_scoped(scope, || input_digest(input))
            .ok();
        let mut sink = Forward {
            out,
            failed: None,
            digest,
        };
        let mut plan = plan_tenant_sync_into(input, &mut sink).map_err(|e| errors::error(&e))?;
        sink.list("withheld", std::mem::take(&mut plan.withheld));
        if let Some(error) = sink.failed {
            return Err(error);
        }
        let _ = out.send(Out::Head(to_json(&plan)?));
        Ok(())
    })
}

/// The thread of one stream: reads the input until its end, then plans it.
fn read_and_plan(pieces: Receiver<Piece>, out: Sender<Out>) {
    let Some(received) = receive(pieces) else {
        return; // given up: nobody waits for a plan
    };
    let outcome = errors::guard(|| match received.into_input() {
        Some(input) => {
            let planned = plan(&input, &out);
            drop(input);
            planned
        }
        None => {
            let _ = out.send(Out::Refused);
            Ok(())
        }
    });
    if let Err(error) = outcome {
        let _ = out.send(Out::Failed(error));
    }
}

/// One `planTenantSync` whose input is being written (see the module's documentation).
#[napi]
pub struct PlanStream {
    pieces: Option<Sender<Piece>>,
    out: Arc<Mutex<Receiver<Out>>>,
}

#[napi]
impl PlanStream {
    /// Starts the reading and planning thread.
    #[napi(constructor)]
    pub fn new() -> napi::Result<Self> {
        let (pieces, received) = channel();
        let (sent, out) = channel();
        std::thread::Builder::new()
            .name("entra-sync-plan".into())
            .spawn(move || read_and_plan(received, sent))
            .map_err(|e| errors::internal(format!("no planning thread: {e}")))?;
        Ok(Self {
            pieces: Some(pieces),
            out: Arc::new(Mutex::new(out)),
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

    /// Ends the input: the thread plans it, and `next` hands the plan over.
    #[napi]
    pub fn close(&mut self) {
        self.send(Piece::End);
        self.pieces = None;
    }

    /// Gives up: the thread drops what it read and plans nothing. Writing the input failed.
    #[napi]
    pub fn cancel(&mut self) {
        self.pieces = None;
    }

    /// The next piece of the plan (see `PlanPiece`), waiting for it; `null` once the head was
    /// handed over. A plan that fails throws its error here.
    #[napi]
    pub fn next(&self) -> napi::Result<Option<PlanPiece>> {
        next(&self.out)
    }

    /// Like `next`, waiting off the JavaScript thread.
    #[napi(ts_return_type = "Promise<PlanPiece | null>")]
    pub fn next_async(&self) -> AsyncTask<NextTask> {
        AsyncTask::new(NextTask {
            out: Arc::clone(&self.out),
        })
    }
}

impl PlanStream {
    fn send(&self, piece: Piece) {
        // A closed channel means `close` or `cancel` came first: nothing more is read.
        if let Some(pieces) = &self.pieces {
            let _ = pieces.send(piece);
        }
    }
}

fn next(out: &Mutex<Receiver<Out>>) -> napi::Result<Option<PlanPiece>> {
    let out = out
        .lock()
        .map_err(|_| errors::internal("a plan stream's reader panicked"))?;
    // The thread ends after the head, a refusal or an error: then there is nothing more.
    match out.recv() {
        Ok(piece) => napi::Result::from(piece).map(Some),
        Err(_) => Ok(None),
    }
}

/// `nextAsync` on libuv's worker pool.
pub struct NextTask {
    out: Arc<Mutex<Receiver<Out>>>,
}

impl Task for NextTask {
    type Output = Option<PlanPiece>;
    type JsValue = Option<PlanPiece>;

    fn compute(&mut self) -> napi::Result<Option<PlanPiece>> {
        next(&self.out)
    }

    fn resolve(&mut self, _env: Env, output: Option<PlanPiece>) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}
