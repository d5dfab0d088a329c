//! Where a plan's long lists go while it is being made, so a host can hand them on (write them,
//! send them to another process or language) while the rest is still being planned, instead of
//! waiting for the whole plan. [`plan_tenant_sync`](super::plan_tenant_sync) collects them into
//! the [`SyncPlan`](super::SyncPlan) it returns; the lists and their order are the same either
//! way.

use crate::filter::ExcludedUser;

use super::action::Action;
use super::digest::input_digest;
use super::input::PlanInput;
use super::plan::SeenIdentity;

/// How many users' actions the planner finishes before handing them to the sink: large enough
/// that a batch costs nothing extra, small enough that a host handing batches on starts early.
pub const USERS_PER_BATCH: usize = 4_096;

/// Receives a plan's `excluded`, `seen` and `actions` as
/// [`plan_tenant_sync_into`](super::plan_tenant_sync_into) makes them.
///
/// Calls come in this order: `excluded` once (soon after the plan starts: the filter decides
/// first), `seen` once, then `actions` as many times as there are batches, each batch final
/// (metadata included) and in plan order, then `digest` once. A plan that fails calls nothing
/// after its error; what was received before must then be dropped.
pub trait PlanSink {
    /// Every listed user the filter kept out, in user order.
    fn excluded(&mut self, excluded: Vec<ExcludedUser>);
    /// Every listed identity of the tenant with an active link, in user order.
    fn seen(&mut self, seen: Vec<SeenIdentity>);
    /// The next actions of the plan, in order.
    fn actions(&mut self, actions: Vec<Action>);
    /// The plan's `inputDigest`: [`input_digest`] of `input`. Asked last, so a host with a core
    /// to spare can hash the input there while the planner works, and return that result here;
    /// the default hashes it now. (A plan carrying any other digest is refused by `apply_plan`.)
    fn digest(&mut self, input: &PlanInput) -> String {
        input_digest(input)
    }
}

/// The sink of [`plan_tenant_sync`](super::plan_tenant_sync): keeps everything, in order.
#[derive(Default)]
pub(crate) struct Collected {
    pub(crate) excluded: Vec<ExcludedUser>,
    pub(crate) seen: Vec<SeenIdentity>,
    pub(crate) actions: Vec<Action>,
}

impl PlanSink for Collected {
    fn excluded(&mut self, excluded: Vec<ExcludedUser>) {
        self.excluded = excluded;
    }

    fn seen(&mut self, seen: Vec<SeenIdentity>) {
        self.seen = seen;
    }

    fn actions(&mut self, mut actions: Vec<Action>) {
        self.actions.append(&mut actions);
    }
}
