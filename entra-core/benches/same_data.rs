//! The pure Rust time of the calls the Python benchmark makes, on exactly its data.
//!
//! `bindings-python/benches/bench_plan.py` writes its inputs as JSON and runs
//! `cargo bench -p entra-core --bench same_data -- DIR`; this reads `DIR/filter_users.json` and
//! `DIR/plan_tenant_sync.json` (each optional), runs the core function on the typed input the
//! given number of times and prints one JSON object with the best wall time of each, in seconds
//! (and, as `plan_tenant_sync_read_json`, the time of reading the plan's input from its JSON text).
//! As on the Python side, freeing the result is not timed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use entra_core::filter::{FilterInput, filter_users};
use entra_core::reconcile::{PlanInput, plan_tenant_sync};
use serde::de::DeserializeOwned;

fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            std::process::exit(2);
        }
    }
}

fn best_of<T, O, E: std::fmt::Debug>(
    repeat: usize,
    input: &T,
    run: impl Fn(&T) -> Result<O, E>,
) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..repeat {
        let start = Instant::now();
        let output = run(input).expect("the core accepts the benchmark input");
        best = best.min(start.elapsed().as_secs_f64());
        drop(output);
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; the data directory is the first other argument.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: cargo bench -p entra-core --bench same_data -- DIR [REPEAT]");
        return;
    };
    let repeat = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut times = serde_json::Map::new();
    if let Some(input) = read::<FilterInput>(&dir.join("filter_users.json")) {
        times.insert(
            "filter_users".into(),
            best_of(repeat, &input, filter_users).into(),
        );
    }
    let plan_path = dir.join("plan_tenant_sync.json");
    if let Some(input) = read::<PlanInput>(&plan_path) {
        times.insert(
            "plan_tenant_sync".into(),
            best_of(repeat, &input, plan_tenant_sync).into(),
        );
        // What reading the same input from JSON text costs (the floor of a binding whose input
        // crosses as text): not part of the figure above.
        if let Ok(text) = std::fs::read(&plan_path) {
            times.insert(
                "plan_tenant_sync_read_json".into(),
                best_of(repeat, &text, |t| serde_json::from_slice::<PlanInput>(t)).into(),
            );
        }
    }
    println!("{}", serde_json::Value::Object(times));
}
