//! `plan_tenant_sync`: decides, per listed user, what the host must do to keep the mapped
//! client's contacts in step with the tenant, without ever deleting, moving or guessing.

use sha2::{Digest, Sha256};

use crate::error::CoreError;
use crate::filter::{ExcludedUser, ExclusionReason, UserFilter};
use crate::model::{EntraUser, InactiveSource, ResolutionDecision, Warning};

use super::action::{Action, ActionKind, ActionReason, hex};
use super::addresses::{for_each_user_address, index_contacts, normalize};
use super::fields::{entra_email, new_contact, patch_for};
use super::hashing::{FastMap, FastSet};
use super::inactivation;
use super::input::{PlanInput, dedup_contacts, validate};
use super::matching::{MatchOutcome, match_user};
use super::metadata::{self, Stamper};
use super::plan::{Counters, SyncPlan};
use super::sink::{Collected, PlanSink, USERS_PER_BATCH};
use super::snapshot::{Snapshot, contact_index};

/// What the planner decided for one listed user.
enum Decision<'a> {
    /// Excluded, removed upstream, or dismissed by an operator: nothing to do.
    Nothing,
    /// Left the group scope: close the link to this contact, leave the contact as it is.
    Unlink(usize),
    /// Already linked to this contact of the mapped client.
    Linked(usize),
    /// Link to this contact.
    Link(usize, ActionReason),
    Create(ActionReason),
    Ambiguous(Vec<usize>),
    Conflict(ActionReason, Vec<&'a str>),
}

/// Plans the sync of one tenant's users into its mapped client's contacts.
///
/// Pure and deterministic: the same input gives a byte-identical plan. See `docs/contract.md`
/// for the rules.
pub fn plan_tenant_sync(input: &PlanInput) -> Result<SyncPlan, CoreError> {
    let mut lists = Collected::default();
    let mut plan = plan_tenant_sync_into(input, &mut lists)?;
    plan.actions = lists.actions;
    plan.excluded = lists.excluded;
    plan.seen = lists.seen;
    Ok(plan)
}

/// [`plan_tenant_sync`], handing the plan's `excluded`, `seen` and `actions` to `sink` as they
/// are made (see [`PlanSink`]) and returning the rest of the plan, those three lists empty.
///
/// For hosts that pass a large plan on (write it, send it to another language): they can start
/// on the first lists while the planner is still deciding. What the sink receives, joined in the
/// order received, is exactly those lists of [`plan_tenant_sync`]'s plan.
pub fn plan_tenant_sync_into(
    input: &PlanInput,
    sink: &mut dyn PlanSink,
) -> Result<SyncPlan, CoreError> {
    validate(input)?;
    // The digest is of the input as given (`apply_plan` hashes that), not of the deduplicated one.
    let given = input;
    let deduped: PlanInput;
    let (input, contact_by_id) = match contact_index(&input.contacts) {
        (index, false) => (input, index),
        (_, true) => {
            deduped = dedup_contacts(input).into_owned();
            (&deduped, contact_index(&deduped.contacts).0)
        }
    };
    let (filter, scope_warnings) =
        UserFilter::with_groups(&input.settings.filter, &input.group_memberships)?;
    let snap = Snapshot::build(input, contact_by_id)?;
    let contacts = &input.contacts;

    let mut excluded = Vec::new();
    let mut classes: Vec<Option<ExclusionReason>> = Vec::with_capacity(input.users.len());
    for user in &input.users {
        let class = filter.classify(user);
        classes.push(class.as_ref().map(|(reason, _)| *reason));
        if let Some((reason, pattern)) = class {
            excluded.push(ExcludedUser {
                user: user.clone(),
                reason,
                pattern,
            });
        }
    }
    let excluded_count = excluded.len() as u64;
    sink.excluded(excluded);
    sink.seen(metadata::seen(&snap));
    // Users the plan works on: listed, included, not reported removed.
    let active = |u: usize| classes.get(u).is_some_and(Option::is_none) && !snap.is_removed(u);

    // How many of those users link to each contact: a contact shared by several of them cannot
    // follow all of them, and must stay active while any of them is enabled.
    let mut live_links = vec![0u32; contacts.len()];
    for u in 0..input.users.len() {
        if active(u)
            && let Some((_, Some(c))) = snap.link_of_user(u)
            && let Some(n) = live_links.get_mut(c)
        {
            *n += 1;
        }
    }

    // Linked users the group scope leaves alone still hold their contact: a user whose scope is
    // unknown always, a user who left the scope unless leaving inactivates (only on a complete
    // scope, when the host turned it on). Their contact is not inactivated for another identity.
    let leave_inactivates =
        input.settings.inactivate_when_leaving_group_scope && filter.group_scope_complete();
    let mut held = live_links.clone();
    for (u, class) in classes.iter().enumerate() {
        let holds = match class {
            Some(ExclusionReason::GroupScopeUnknown) => true,
            Some(reason) if reason.is_out_of_group_scope() => !leave_inactivates,
            _ => false,
        };
        if holds
            && !snap.is_removed(u)
            && let Some((_, Some(c))) = snap.link_of_user(u)
            && let Some(n) = held.get_mut(c)
        {
            *n += 1;
        }
    }

    let mut inactivations = inactivation::plan(&snap, &classes, &held, leave_inactivates);
    let inactivated = inactivations.actions.len() as u64;

    // Contacts taken by an identity that is still there. An identity gone upstream (reported
    // removed, or absent from a complete listing) no longer holds its contact, whether this plan
    // closes its link or its contact was already inactive or locked, so a user re-created with the
    // same address gets the contact back; only a withheld inactivation keeps it held.
    // Linked users who left the group scope and whose contact this plan does not inactivate
    // (the default, or a contact sync may not inactivate): their link is closed, the contact
    // left as it is. A withheld inactivation keeps the link.
    let withheld_ids: FastSet<&str> = inactivations
        .withheld
        .iter()
        .map(|a| a.entra_object_id.as_str())
        .collect();
    let mut unlinks: Vec<Option<usize>> = vec![None; input.users.len()];
    for (u, user) in input.users.iter().enumerate() {
        let id = user.entra_object_id.as_str();
        if classes
            .get(u)
            .copied()
            .flatten()
            .is_some_and(ExclusionReason::is_out_of_group_scope)
            && !snap.is_removed(u)
            && !inactivations.closed.contains(id)
            && !withheld_ids.contains(id)
            && let Some((_, Some(c))) = snap.link_of_user(u)
            && snap.contact_at(c).is_some_and(|x| snap.in_client(x))
            && let Some(slot) = unlinks.get_mut(u)
        {
            *slot = Some(c);
        }
    }

    let mut released: FastSet<&str> = inactivations.closed.clone();
    for (user, unlink) in input.users.iter().zip(&unlinks) {
        if unlink.is_some() {
            released.insert(user.entra_object_id.as_str());
        }
    }
    for &li in &snap.unlisted_links {
        if let Some(link) = input.links.get(li)
            && (input.listing_complete || snap.removed.contains(link.entra_object_id.as_str()))
        {
            released.insert(link.entra_object_id.as_str());
        }
    }
    for (u, user) in input.users.iter().enumerate() {
        if snap.is_removed(u) {
            released.insert(user.entra_object_id.as_str());
        }
    }
    for action in &inactivations.withheld {
        released.remove(action.entra_object_id.as_str());
    }
    let mut blocked = vec![false; contacts.len()];
    for (link, c) in input.links.iter().zip(&snap.link_contact) {
        let Some(c) = *c else { continue };
        let released = !released.is_empty()
            && link.entra_tenant_id == input.entra_tenant_id
            && released.contains(link.entra_object_id.as_str());
        if link.active
            && !released
            && let Some(b) = blocked.get_mut(c)
        {
            *b = true;
        }
    }

    // Links and resolutions first, so a contact an operator chose is not offered to anyone else.
    let mut decisions: Vec<Option<Decision>> = Vec::with_capacity(input.users.len());
    for (u, user) in input.users.iter().enumerate() {
        if !active(u) {
            decisions.push(Some(match unlinks.get(u).copied().flatten() {
                Some(c) => Decision::Unlink(c),
                None => Decision::Nothing,
            }));
            continue;
        }
        if let Some((li, c)) = snap.link_of_user(u) {
            let link_contact_id = input
                .links
                .get(li)
                .map(|l| l.contact_id.as_str())
                .unwrap_or_default();
            decisions.push(Some(
                match c.and_then(|c| contacts.get(c).map(|x| (c, x))) {
                    None => Decision::Conflict(
                        ActionReason::LinkedContactMissing,
                        vec![link_contact_id],
                    ),
                    Some((_, x)) if !snap.in_client(x) => Decision::Conflict(
                        ActionReason::LinkedContactInOtherClient,
                        vec![x.contact_id.as_str()],
                    ),
                    Some((c, x)) if live_links.get(c).copied().unwrap_or(0) > 1 => {
                        Decision::Conflict(
                            ActionReason::ContactLinkedToSeveralIdentities,
                            vec![x.contact_id.as_str()],
                        )
                    }
                    Some((c, _)) => Decision::Linked(c),
                },
            ));
            continue;
        }
        let resolution = if snap.resolution.is_empty() {
            None
        } else {
            snap.resolution.get(user.entra_object_id.as_str())
        };
        let Some(resolution) = resolution else {
            decisions.push(None);
            continue;
        };
        decisions.push(Some(match resolution.decision {
            ResolutionDecision::Dismissed => Decision::Nothing,
            ResolutionDecision::CreateNew => Decision::Create(ActionReason::Resolution),
            ResolutionDecision::LinkExisting => {
                let wanted = resolution.contact_id.as_deref().unwrap_or_default();
                match snap.contact(wanted) {
                    Some((c, x)) if snap.in_client(x) => match blocked.get_mut(c) {
                        Some(taken @ false) => {
                            *taken = true;
                            Decision::Link(c, ActionReason::Resolution)
                        }
                        _ => Decision::Conflict(
                            ActionReason::ContactLinkedToOtherIdentity,
                            vec![x.contact_id.as_str()],
                        ),
                    },
                    _ => {
                        Decision::Conflict(ActionReason::ResolutionContactUnavailable, vec![wanted])
                    }
                }
            }
        }));
    }

    // Address matching for everyone else, against an index of just the addresses they carry.
    let mut wanted: FastSet<String> = FastSet::default();
    let mut buf = String::new();
    for (user, decision) in input.users.iter().zip(&decisions) {
        if decision.is_none() {
            for_each_user_address(
                user,
                &mut buf,
                |_| true,
                |address, _| {
                    if !wanted.contains(address) {
                        wanted.insert(address.to_string());
                    }
                },
            );
        }
    }
    let by_address = index_contacts(contacts, &wanted);
    drop(wanted);
    let mut outcomes: Vec<Option<MatchOutcome>> = Vec::with_capacity(input.users.len());
    let mut claims: FastMap<usize, u32> = FastMap::default();
    for (user, decision) in input.users.iter().zip(&decisions) {
        if decision.is_some() {
            outcomes.push(None);
            continue;
        }
        let outcome = match_user(&snap, &by_address, user, &blocked);
        if let MatchOutcome::Candidates(candidates) = &outcome {
            for (c, _) in candidates {
                *claims.entry(*c).or_default() += 1;
            }
        }
        outcomes.push(Some(outcome));
    }
    let id = |i: usize| {
        contacts
            .get(i)
            .map(|c| c.contact_id.as_str())
            .unwrap_or_default()
    };
    for (decision, outcome) in decisions.iter_mut().zip(outcomes) {
        let Some(outcome) = outcome else {
            continue;
        };
        *decision = Some(match outcome {
            MatchOutcome::Candidates(c) if c.len() > 1 => {
                Decision::Ambiguous(c.into_iter().map(|(i, _)| i).collect())
            }
            MatchOutcome::Candidates(c) => match c.first() {
                Some(&(i, _)) if claims.get(&i).copied().unwrap_or(0) > 1 => {
                    Decision::Conflict(ActionReason::DuplicateUpstreamAddress, vec![id(i)])
                }
                Some(&(i, reason)) => Decision::Link(i, reason),
                None => Decision::Create(ActionReason::NoMatch),
            },
            MatchOutcome::LinkedElsewhere(c) => Decision::Conflict(
                ActionReason::ContactLinkedToOtherIdentity,
                c.into_iter().map(id).collect(),
            ),
            MatchOutcome::OtherClient(c) => Decision::Conflict(
                ActionReason::EmailInOtherClient,
                c.into_iter().map(id).collect(),
            ),
            MatchOutcome::NoMatch => Decision::Create(ActionReason::NoMatch),
        });
    }

    hold_back_shared_creates(input, &mut decisions);

    let mut emitter = Emitter {
        snap: &snap,
        inactivated_now: &inactivations.contacts,
        actions: std::mem::take(&mut inactivations.actions),
        counters: Counters::default(),
        new_ids: FastSet::default(),
    };
    let stamper = Stamper::new(&snap);
    for (n, (user, decision)) in input.users.iter().zip(decisions).enumerate() {
        emitter.emit(user, decision.unwrap_or(Decision::Nothing));
        if (n + 1) % USERS_PER_BATCH == 0 {
            emitter.hand_over(&stamper, sink);
        }
    }
    emitter.hand_over(&stamper, sink);
    stamper.stamp(&mut inactivations.withheld);

    let mut counters = emitter.counters;
    counters.inactivated = inactivated;
    counters.withheld = inactivations.withheld.len() as u64;
    counters.excluded = excluded_count;

    let mut warnings = scope_warnings;
    if !input.listing_complete {
        warnings.push(Warning::new(
            "listing_incomplete",
            "the user listing did not finish; nobody was inactivated for being absent from it",
        ));
    }
    warnings.extend(inactivations.warnings);

    Ok(SyncPlan {
        entra_tenant_id: input.entra_tenant_id.clone(),
        client_id: input.client_id.clone(),
        input_digest: Some(sink.digest(given)),
        actions: Vec::new(),
        withheld: inactivations.withheld,
        excluded: Vec::new(),
        counters,
        warnings,
        seen_at: input.now.clone(),
        seen: Vec::new(),
    })
}

/// A create is held back when its email is also the email of another create of this plan, or
/// an address of a user left unsettled (queued as ambiguous or in conflict): two upstream users
/// sharing an address is a duplicate to resolve, never two contacts with one address, and a
/// contact created for one of them would change what the other is told on the next run. Users
/// that end up linked by this plan do not hold anything back. An operator's `create_new` is never
/// held back, but it does hold back an automatic create of the same address.
fn hold_back_shared_creates(input: &PlanInput, decisions: &mut [Option<Decision<'_>>]) {
    let create_email = |user: &EntraUser| entra_email(user).and_then(normalize);
    // Address -> (holders, last unsettled user counted).
    let mut holders: FastMap<String, (u32, usize)> = FastMap::default();
    for (user, decision) in input.users.iter().zip(decisions.iter()) {
        if let Some(Decision::Create(_)) = decision
            && let Some(email) = create_email(user)
        {
            holders.entry(email).or_insert((0, usize::MAX)).0 += 1;
        }
    }
    if holders.is_empty() {
        return;
    }
    // Lengths of the wanted addresses (modulo 64): most addresses are skipped on length alone.
    let lengths: u64 = holders
        .keys()
        .fold(0, |mask, k| mask | 1u64 << (k.len() % 64));
    let prefilter = |raw: &str| !raw.is_ascii() || lengths & (1u64 << (raw.len() % 64)) != 0;
    let mut buf = String::new();
    for (u, (user, decision)) in input.users.iter().zip(decisions.iter()).enumerate() {
        if !matches!(
            decision,
            Some(Decision::Ambiguous(_) | Decision::Conflict(..))
        ) {
            continue;
        }
        for_each_user_address(user, &mut buf, prefilter, |address, _| {
            if let Some((count, last)) = holders.get_mut(address)
                && *last != u
            {
                *count += 1;
                *last = u;
            }
        });
    }
    for (user, decision) in input.users.iter().zip(decisions.iter_mut()) {
        if let Some(Decision::Create(ActionReason::NoMatch)) = decision
            && create_email(user).is_some_and(|e| holders.get(&e).is_some_and(|h| h.0 > 1))
        {
            *decision = Some(Decision::Conflict(
                ActionReason::DuplicateUpstreamAddress,
                vec![],
            ));
        }
    }
}

/// Turns decisions into actions and counters, in user order.
struct Emitter<'s, 'a> {
    snap: &'s Snapshot<'a>,
    inactivated_now: &'s FastSet<usize>,
    actions: Vec<Action>,
    counters: Counters,
    new_ids: FastSet<String>,
}

impl Emitter<'_, '_> {
    /// Stamps the actions emitted so far and hands them to the sink.
    fn hand_over(&mut self, stamper: &Stamper<'_, '_>, sink: &mut dyn PlanSink) {
        if self.actions.is_empty() {
            return;
        }
        let mut batch = std::mem::take(&mut self.actions);
        stamper.stamp(&mut batch);
        sink.actions(batch);
    }

    fn action(&self, kind: ActionKind, user: &EntraUser, reason: ActionReason) -> Action {
        let input = self.snap.input;
        Action::new(
            kind,
            &input.entra_tenant_id,
            &user.entra_object_id,
            &input.client_id,
            reason,
        )
    }

    fn contact_id(&self, i: usize) -> &str {
        self.snap
            .input
            .contacts
            .get(i)
            .map(|c| c.contact_id.as_str())
            .unwrap_or_default()
    }

    fn emit(&mut self, user: &EntraUser, decision: Decision<'_>) {
        match decision {
            Decision::Nothing => {}
            Decision::Unlink(i) => {
                let mut action =
                    self.action(ActionKind::Unlink, user, ActionReason::LeftGroupScope);
                if let Some(contact) = self.snap.contact_at(i) {
                    action = action.on_contact(contact);
                }
                self.actions.push(action.sealed());
                self.counters.unlinked += 1;
            }
            Decision::Linked(i) => {
                if !self.follow_ups(user, i) {
                    self.counters.unchanged += 1;
                }
            }
            Decision::Link(i, reason) => {
                let mut action = self.action(ActionKind::Link, user, reason);
                if let Some(contact) = self.snap.contact_at(i) {
                    action = action.on_contact(contact);
                }
                let action = action.sealed();
                self.actions.push(action);
                self.counters.linked += 1;
                self.follow_ups(user, i);
            }
            Decision::Create(reason) => {
                let input = self.snap.input;
                let id = self.new_contact_id(user);
                let contact = new_contact(user, id, &input.client_id, &input.settings.field_sync);
                let mut action = self
                    .action(ActionKind::Create, user, reason)
                    .with_contact_id(&contact.contact_id);
                action.contact = Some(contact);
                self.actions.push(action.sealed());
                self.counters.created += 1;
            }
            Decision::Ambiguous(candidates) => {
                let mut action = self.action(
                    ActionKind::QueueAmbiguous,
                    user,
                    ActionReason::MultipleCandidates,
                );
                action.candidate_contact_ids = candidates
                    .into_iter()
                    .map(|i| self.contact_id(i).to_string())
                    .collect();
                self.actions.push(described(action, user).sealed());
                self.counters.ambiguous += 1;
            }
            Decision::Conflict(reason, contact_ids) => {
                let mut action = self.action(ActionKind::Conflict, user, reason);
                action.contact_ids = contact_ids.into_iter().map(str::to_string).collect();
                self.actions.push(described(action, user).sealed());
                self.counters.conflicts += 1;
            }
        }
    }

    /// Update and reactivation of the contact `i` linked to `user`; whether anything was planned.
    fn follow_ups(&mut self, user: &EntraUser, i: usize) -> bool {
        let input = self.snap.input;
        let Some(contact) = input.contacts.get(i) else {
            return false;
        };
        if contact.locked {
            return false;
        }
        let mut planned = false;
        let patch = patch_for(user, contact, &input.settings.field_sync);
        if !patch.is_empty() {
            let mut action = self
                .action(ActionKind::Update, user, ActionReason::FieldsChanged)
                .on_contact(contact);
            action.patch = Some(patch);
            self.actions.push(action.sealed());
            self.counters.updated += 1;
            planned = true;
        }
        let (inactive, source) = if self.inactivated_now.contains(&i) {
            (true, Some(InactiveSource::EntraSync))
        } else {
            (contact.is_inactive, contact.inactive_source)
        };
        if inactive
            && source == Some(InactiveSource::EntraSync)
            && user.account_enabled
            && input.settings.reactivate_when_enabled
        {
            let action = self
                .action(ActionKind::Reactivate, user, ActionReason::EnabledUpstream)
                .on_contact(contact)
                .sealed();
            self.actions.push(action);
            self.counters.reactivated += 1;
            planned = true;
        }
        planned
    }

    /// A deterministic id for the contact created for `user`, unique within the snapshot.
    fn new_contact_id(&mut self, user: &EntraUser) -> String {
        let input = self.snap.input;
        let mut hasher = Sha256::new();
        hasher.update(input.entra_tenant_id.as_bytes());
        hasher.update([0x1f]);
        hasher.update(user.entra_object_id.as_bytes());
        let base = format!("entra-{}", hex(&hasher.finalize()[..16]));
        let mut id = base.clone();
        let mut n = 2;
        while self.snap.contact_by_id.contains_key(id.as_str()) || self.new_ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.new_ids.insert(id.clone());
        id
    }
}

/// Adds who the item is about, for an operator's queue.
fn described(mut action: Action, user: &EntraUser) -> Action {
    action.display_name = user.display_name.clone();
    action.user_principal_name = user.user_principal_name.clone();
    action
}
