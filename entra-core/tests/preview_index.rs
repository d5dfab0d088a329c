//! A [`PreviewIndex`] built once previews exactly as the one-shot `preview_mappings` does: over
//! every shared `preview_mappings` vector, and with one index reused for several tenant lists.
//! (Generated estates are compared in `mapping_properties.rs`.)

use std::path::Path;

use entra_core::mapping::{PreviewIndex, PreviewInput, preview_mappings};

/// The index's answer for `input`, through the same entry points a host uses.
fn indexed(input: &PreviewInput) -> Result<serde_json::Value, String> {
    let index = PreviewIndex::new(input.clients.clone(), input.options.clone())
        .map_err(|e| e.code().to_string())?;
    let out = index
        .preview(&input.tenants, &input.mappings)
        .map_err(|e| e.code().to_string())?;
    Ok(serde_json::to_value(out).expect("output serializes"))
}

fn one_shot(input: &PreviewInput) -> Result<serde_json::Value, String> {
    preview_mappings(input)
        .map(|out| serde_json::to_value(out).expect("output serializes"))
        .map_err(|e| e.code().to_string())
}

#[test]
fn an_index_previews_every_shared_vector_exactly_as_preview_mappings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/preview_mappings");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).expect("vector directory") {
        let path = entry.expect("entry").path();
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("vector")).expect("json");
        // Ill-typed inputs never reach either entry point.
        let Ok(input) = serde_json::from_value::<PreviewInput>(case["input"].clone()) else {
            continue;
        };
        assert_eq!(indexed(&input), one_shot(&input), "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} vectors compared");
}

#[test]
fn one_index_serves_many_previews_of_different_tenants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/preview_mappings");
    for name in [
        "candidates_are_ranked_best_first.json",
        "domain_shared_by_two_clients_needs_review.json",
        "mapped_skipped_and_history_rows.json",
        "exact_domain_auto_matches.json",
    ] {
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(name)).expect("vector")).expect("json");
        let input: PreviewInput = serde_json::from_value(case["input"].clone()).expect("input");
        let index =
            PreviewIndex::new(input.clients.clone(), input.options.clone()).expect("valid index");
        // Every prefix and every single tenant, in turn, against the same index.
        let mut lists: Vec<Vec<_>> = (0..=input.tenants.len())
            .map(|n| input.tenants.iter().take(n).cloned().collect())
            .collect();
        lists.extend(input.tenants.iter().map(|t| vec![t.clone()]));
        for tenants in lists {
            let alone = PreviewInput {
                tenants: tenants.clone(),
                ..input.clone()
            };
            let got = index
                .preview(&tenants, &input.mappings)
                .expect("indexed preview");
            assert_eq!(got, preview_mappings(&alone).expect("preview"), "{name}");
        }
    }
}
