//! Which input user each user record of a result repeats, so that a binding can hand back the
//! caller's own user objects (as its language's own `filter` would) instead of building equal
//! ones: the filter's included and excluded users, a plan's excluded users.

use entra_core::model::EntraUser;

/// For each output user in order, the index of the input user it equals. The outputs keep the
/// input order (one list of a result, not two interleaved), so one forward scan finds them all;
/// an output not found ends the search (the rest get no index, which costs the binding time,
/// never correctness: it then writes the record itself).
pub fn user_sources<'a>(
    outputs: impl IntoIterator<Item = &'a EntraUser>,
    inputs: &[EntraUser],
) -> Vec<Option<usize>> {
    let mut next = 0;
    let mut lost = false;
    outputs
        .into_iter()
        .map(|user| {
            if lost {
                return None;
            }
            let found = inputs.get(next..).and_then(|rest| {
                rest.iter().position(|candidate| {
                    candidate.entra_object_id == user.entra_object_id && candidate == user
                })
            });
            match found {
                Some(offset) => {
                    next += offset + 1;
                    Some(next - 1)
                }
                None => {
                    lost = true;
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, name: &str) -> EntraUser {
        let mut user = EntraUser::new("t", id);
        user.display_name = Some(name.into());
        user
    }

    /// A case: the outputs as (id, display name), and the indices expected.
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [Option<usize>],
    );

    /// Cases: (outputs, expected indices) over the inputs a, b, c, a' (a' shares a's id with
    /// another name).
    #[test]
    fn finds_each_output_in_order_and_stops_at_the_first_miss() {
        let inputs = [
            user("a", "A"),
            user("b", "B"),
            user("c", "C"),
            user("a", "A2"),
        ];
        let cases: [Case; 5] = [
            (&[], &[]),
            (&[("a", "A"), ("c", "C")], &[Some(0), Some(2)]),
            (&[("b", "B"), ("a", "A2")], &[Some(1), Some(3)]),
            // Changed on the way: not the input's record; nothing after it is searched.
            (&[("a", "changed"), ("b", "B")], &[None, None]),
            // Out of order: the second is not found after the first.
            (&[("c", "C"), ("a", "A")], &[Some(2), None]),
        ];
        for (outputs, expected) in cases {
            let outputs: Vec<EntraUser> = outputs.iter().map(|(id, n)| user(id, n)).collect();
            assert_eq!(user_sources(&outputs, &inputs), expected, "{outputs:?}");
        }
    }
}
