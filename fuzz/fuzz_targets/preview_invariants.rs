//! `preview_mappings` on arbitrary well-formed inputs (JSON in the contract shape, seeded from
//! the shared vectors), asserting that every tenant lands in one group and names never
//! auto-match.
#![no_main]

use entra_core::mapping::preview::{PreviewInput, preview_mappings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = serde_json::from_slice::<PreviewInput>(data)
        && let Ok(output) = preview_mappings(&input)
    {
        entra_sync_fuzz::check_preview(&input, &output);
    }
});
