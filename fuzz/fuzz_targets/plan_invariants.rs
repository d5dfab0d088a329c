//! `plan_tenant_sync` on arbitrary well-formed inputs (JSON in the contract shape, seeded from
//! the shared vectors), asserting the safety invariants on every plan.
#![no_main]

use entra_core::reconcile::PlanInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = serde_json::from_slice::<PlanInput>(data) {
        entra_sync_fuzz::check_plan(&input);
    }
});
