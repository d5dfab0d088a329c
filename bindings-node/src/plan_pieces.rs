//! `planTenantSync` with its result written in pieces: the plan without its long lists, then
//! those lists (`actions`, `withheld`, `excluded`, `seen`) a slice at a time. `index.js` parses the
//! pieces one by one, and the async variant lets the event loop run between two of them, so
//! reading a 50,000-action plan never blocks a server for the whole `JSON.parse`. The input is
//! read straight into the core's typed `PlanInput` (no JSON tree); input that reader refuses
//! goes through the JSON entry point, so errors are exactly the entry point's.

use entra_core::reconcile::{PlanInput, SyncPlan};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use serde::Serialize;

use crate::errors;
use crate::pure::{drop_later, join, parse};
use crate::runtime::to_json;

/// How many elements of a list one piece holds: small enough that parsing one piece is a short
/// pause of the JavaScript thread, large enough that the pieces cost nothing extra.
const ELEMENTS_PER_PIECE: usize = 5_000;

/// The plan as JSON text in pieces: `head` is the plan with its lists empty; each list's
/// pieces are JSON arrays whose elements, in order, are the list.
#[napi(object)]
pub struct PlanPieces {
    pub head: String,
    pub actions: Vec<String>,
    pub withheld: Vec<String>,
    pub excluded: Vec<String>,
    /// `seen` (one entry per linked listed identity) is as long as a plan gets, so it comes in
    /// pieces too; left out of `head`.
    pub seen: Vec<String>,
}

/// A list as JSON arrays of up to `ELEMENTS_PER_PIECE` elements each.
pub(crate) fn pieces<T: Serialize>(list: &[T]) -> napi::Result<Vec<String>> {
    list.chunks(ELEMENTS_PER_PIECE).map(to_json).collect()
}

/// Writes the plan in pieces and frees it on a helper thread.
fn write(mut plan: SyncPlan) -> napi::Result<PlanPieces> {
    let actions = std::mem::take(&mut plan.actions);
    let withheld = std::mem::take(&mut plan.withheld);
    let excluded = std::mem::take(&mut plan.excluded);
    let seen = std::mem::take(&mut plan.seen);
    let written = PlanPieces {
        head: to_json(&plan)?,
        actions: pieces(&actions)?,
        withheld: pieces(&withheld)?,
        excluded: pieces(&excluded)?,
        seen: pieces(&seen)?,
    };
    drop_later((plan, actions, withheld, excluded, seen));
    Ok(written)
}

/// Plans on a typed input (read by the caller) and writes the plan in pieces.
fn plan_typed(typed: PlanInput) -> napi::Result<PlanPieces> {
    let planned = entra_core::reconcile::plan_tenant_sync(&typed);
    drop_later(typed);
    write(planned.map_err(|e| errors::error(&e))?)
}

/// Plans on JSON text in pieces (as `index.js` writes an input).
fn plan(input: Vec<String>) -> napi::Result<PlanPieces> {
    errors::guard(|| {
        let text = join(input);
        match serde_json::from_str::<PlanInput>(&text) {
            Ok(typed) => plan_typed(typed),
            Err(_) => {
                // The entry point decides, and names what is wrong with the input.
                let value = parse(&text, "")?;
                let output = entra_core::api::call("plan_tenant_sync", &value)
                    .map_err(|e| errors::error(&e))?;
                Ok(PlanPieces {
                    head: to_json(&output)?,
                    actions: Vec::new(),
                    withheld: Vec::new(),
                    excluded: Vec::new(),
                    seen: Vec::new(),
                })
            }
        }
    })
}

/// `plan_tenant_sync` on an input written as JSON text in pieces; the plan in pieces.
#[napi]
pub fn plan_tenant_sync_pieces(input: Vec<String>) -> napi::Result<PlanPieces> {
    plan(input)
}

/// One plan on libuv's worker pool.
pub struct PlanTask {
    input: Vec<String>,
}

impl Task for PlanTask {
    type Output = PlanPieces;
    type JsValue = PlanPieces;

    fn compute(&mut self) -> napi::Result<PlanPieces> {
        plan(std::mem::take(&mut self.input))
    }

    fn resolve(&mut self, _env: Env, output: PlanPieces) -> napi::Result<PlanPieces> {
        Ok(output)
    }
}

/// Like `planTenantSyncPieces`, as a Promise computed off the JavaScript thread.
#[napi(ts_return_type = "Promise<PlanPieces>")]
pub fn plan_tenant_sync_pieces_async(input: Vec<String>) -> AsyncTask<PlanTask> {
    AsyncTask::new(PlanTask { input })
}
