//! `plan_tenant_sync_into`: what the sink receives, joined in order, is exactly the lists of
//! `plan_tenant_sync`'s plan, and the plan it returns is the rest of that plan.

#[path = "../benches/sync_data/mod.rs"]
mod sync_data;

use entra_core::filter::ExcludedUser;
use entra_core::reconcile::{
    Action, PlanInput, PlanSink, SeenIdentity, SyncPlan, USERS_PER_BATCH, apply_plan, input_digest,
    plan_tenant_sync, plan_tenant_sync_into,
};

/// One call the planner made on the sink, with how many items it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Excluded(usize),
    Seen(usize),
    Actions(usize),
    Digest,
}

/// Keeps every call and every item, in order.
#[derive(Default)]
struct Recorder {
    calls: Vec<Call>,
    excluded: Vec<ExcludedUser>,
    seen: Vec<SeenIdentity>,
    actions: Vec<Action>,
}

impl PlanSink for Recorder {
    fn excluded(&mut self, mut excluded: Vec<ExcludedUser>) {
        self.calls.push(Call::Excluded(excluded.len()));
        self.excluded.append(&mut excluded);
    }

    fn seen(&mut self, mut seen: Vec<SeenIdentity>) {
        self.calls.push(Call::Seen(seen.len()));
        self.seen.append(&mut seen);
    }

    fn actions(&mut self, mut actions: Vec<Action>) {
        self.calls.push(Call::Actions(actions.len()));
        self.actions.append(&mut actions);
    }

    fn digest(&mut self, input: &PlanInput) -> String {
        self.calls.push(Call::Digest);
        input_digest(input)
    }
}

/// The input with every user's `accountEnabled` turned off.
fn all_disabled(mut input: PlanInput) -> PlanInput {
    for user in &mut input.users {
        user.account_enabled = false;
    }
    input
}

#[test]
fn the_sink_receives_exactly_the_plans_lists_in_order() {
    // (case, input, fewest action batches expected)
    let cases: Vec<(&str, PlanInput, usize)> = vec![
        ("no users", sync_data::plan_input(0), 0),
        ("one batch", sync_data::plan_input(300), 1),
        (
            "several batches and a short last one",
            // 2% of the users are not listed: 16,056 users, three full batches and a short one.
            sync_data::plan_input(4 * USERS_PER_BATCH),
            4,
        ),
        // The mass-inactivation guard withholds every inactivation: no action at all, the
        // withheld ones in the plan returned.
        (
            "everyone disabled",
            all_disabled(sync_data::plan_input(2 * USERS_PER_BATCH)),
            0,
        ),
    ];
    for (case, input, fewest_batches) in cases {
        let whole = plan_tenant_sync(&input).expect(case);
        let mut sink = Recorder::default();
        let rest = plan_tenant_sync_into(&input, &mut sink).expect(case);

        // Excluded first, seen second, then only non-empty batches of actions, the digest last.
        assert_eq!(
            sink.calls.first(),
            Some(&Call::Excluded(whole.excluded.len())),
            "{case}"
        );
        assert_eq!(
            sink.calls.get(1),
            Some(&Call::Seen(whole.seen.len())),
            "{case}"
        );
        assert_eq!(sink.calls.last(), Some(&Call::Digest), "{case}");
        let batches: Vec<usize> = sink.calls[2..sink.calls.len() - 1]
            .iter()
            .map(|call| match call {
                Call::Actions(n) => *n,
                other => panic!("{case}: {other:?} after the first two calls"),
            })
            .collect();
        assert!(batches.iter().all(|&n| n > 0), "{case}: {batches:?}");
        assert!(batches.len() >= fewest_batches, "{case}: {batches:?}");

        assert_eq!(sink.actions, whole.actions, "{case}");
        assert_eq!(sink.excluded, whole.excluded, "{case}");
        assert_eq!(sink.seen, whole.seen, "{case}");
        let lists_emptied = SyncPlan {
            actions: Vec::new(),
            excluded: Vec::new(),
            seen: Vec::new(),
            ..whole.clone()
        };
        assert_eq!(rest, lists_emptied, "{case}");
        // Joined back, the plan is the same byte for byte.
        let joined = SyncPlan {
            actions: sink.actions,
            excluded: sink.excluded,
            seen: sink.seen,
            ..rest
        };
        assert_eq!(
            serde_json::to_string(&joined).unwrap(),
            serde_json::to_string(&whole).unwrap(),
            "{case}"
        );
    }
}

#[test]
fn an_input_refused_hands_nothing_to_the_sink() {
    let mut input = sync_data::plan_input(2 * USERS_PER_BATCH);
    input.users[USERS_PER_BATCH].entra_object_id = " ".into();
    let mut sink = Recorder::default();
    let err = plan_tenant_sync_into(&input, &mut sink).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(sink.calls, Vec::new());
}

/// Hosts build the contact list from overlapping queries, so a contact may come twice; the
/// planner plans on the list with each contact once, but the plan's digest is the input's as
/// given, which is what `apply_plan` checks it against.
#[test]
fn the_digest_is_the_inputs_as_given_even_with_a_contact_listed_twice() {
    let mut input = sync_data::plan_input(300);
    let repeated = input.contacts[7].clone();
    input.contacts.push(repeated);
    let whole = plan_tenant_sync(&input).expect("plan");
    assert_eq!(
        whole.input_digest.as_deref(),
        Some(input_digest(&input).as_str())
    );
    let mut sink = Recorder::default();
    let rest = plan_tenant_sync_into(&input, &mut sink).expect("plan");
    assert_eq!(rest.input_digest, whole.input_digest);
    apply_plan(&input, &whole).expect("the plan of this very input applies");
}
