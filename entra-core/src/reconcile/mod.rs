//! The contact-sync planner: `plan_tenant_sync` and its reference applier `apply_plan`.
//!
//! The planner is a pure function of a snapshot ([`PlanInput`]) that returns a [`SyncPlan`]: the
//! actions a host applies in its own transaction. It never deletes, never moves a contact to
//! another client, never guesses between plausible contacts, never inactivates on an incomplete
//! listing, and never reactivates what someone else inactivated. `apply_plan` checks those rules
//! again on the plan it is handed, so an altered plan or one made from other data is refused.

mod action;
mod addresses;
mod apply;
mod digest;
mod fields;
pub(crate) mod hashing;
mod inactivation;
mod input;
mod matching;
mod metadata;
mod plan;
mod planner;
mod sink;
mod snapshot;
mod verify;

pub use action::{
    Action, ActionKind, ActionReason, ContactPatch, ContactSyncMetadata, LinkSyncMetadata,
};
pub use apply::apply_plan;
pub use digest::{contact_version, input_digest};
pub use input::{DEFAULT_SYNCED_BY, PlanInput};
pub use plan::{Counters, SeenIdentity, SyncPlan};
pub use planner::{plan_tenant_sync, plan_tenant_sync_into};
pub use sink::{PlanSink, USERS_PER_BATCH};
pub use verify::PlanRule;
