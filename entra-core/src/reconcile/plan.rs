//! The planner's output: what to do, what was held back, who was left out, and the tallies.

use serde::{Deserialize, Serialize};

use crate::filter::ExcludedUser;
use crate::model::Warning;

use super::action::Action;

/// A deterministic plan for one tenant and its mapped client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlan {
    pub entra_tenant_id: String,
    pub client_id: String,
    /// [`super::input_digest`] of the input the plan was made from. `apply_plan` refuses the plan
    /// for any other input; a plan without it (built by hand) gets every per-action check but
    /// not this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_digest: Option<String>,
    /// The actions to apply, in order.
    pub actions: Vec<Action>,
    /// Inactivations held back by the mass-inactivation guard or because the complete listing was
    /// empty; not to be applied.
    #[serde(default)]
    pub withheld: Vec<Action>,
    /// Listed users the filter kept out, with their reasons.
    #[serde(default)]
    pub excluded: Vec<ExcludedUser>,
    #[serde(default)]
    pub counters: Counters,
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// The input's `now`: when the identities of `seen` were seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<String>,
    /// Every listed identity of this tenant with an active link (excluded users too; not those
    /// reported removed). Touches, not changes: applying them sets the link's `lastSeenAt` to
    /// `seenAt` and the contact's `upstreamEnabled`, they are never actions and never counted,
    /// so a re-run with no upstream change still plans nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<SeenIdentity>,
}

/// A listed identity with an active link: what a host stamps without it counting as a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenIdentity {
    pub entra_object_id: String,
    pub contact_id: String,
    /// The user's `accountEnabled` in this listing.
    pub upstream_enabled: bool,
}

/// Tallies of a plan. Each user counts at most once per counter; `unchanged` counts exactly the
/// linked, included users whose contact needs nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Counters {
    pub created: u64,
    /// New links only (email, alias or resolution); a create is counted in `created` alone.
    pub linked: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub ambiguous: u64,
    pub conflicts: u64,
    pub inactivated: u64,
    pub reactivated: u64,
    pub excluded: u64,
    pub withheld: u64,
    /// Links closed because the user left the group scope (contact left as it is).
    pub unlinked: u64,
}
