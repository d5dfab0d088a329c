//! Every contract input record through the JSON entry point: the first byte picks the function,
//! the rest is the input text. Any input gives a result or a typed error, never a panic; plans
//! that come back also pass the safety invariants.
#![no_main]

use entra_core::api::{FUNCTIONS, call};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let function = FUNCTIONS[pick as usize % FUNCTIONS.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(input) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    match call(function, &input) {
        Ok(output) => {
            assert!(!output.is_null(), "{function} returned null");
            if function == "plan_tenant_sync"
                && let Ok(plan_input) = serde_json::from_value(input)
            {
                entra_sync_fuzz::check_plan(&plan_input);
            }
        }
        Err(err) => {
            assert!(!err.code().is_empty());
            assert!(
                err.to_string().chars().count() <= 1_200,
                "an unbounded error message"
            );
        }
    }
});
