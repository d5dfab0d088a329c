//! Time and peak memory of one `plan_tenant_sync` over 1,000,000 users against 1,000,000
//! contacts (targets: at most 4 s and 2 GB). Peak resident memory is read from the kernel
//! (`VmHWM` in /proc/self/status) and includes the input snapshot itself.
//!
//! `ENTRA_BENCH_USERS` overrides the size. Runs only under `cargo bench` (which passes `--bench`), so test runs of all targets stay fast.

use std::time::Instant;

use entra_core::reconcile::plan_tenant_sync;

mod sync_data;

const USERS: usize = 1_000_000;

/// A `/proc/self/status` figure in MiB, when the platform has one.
fn status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Time this thread has spent on a CPU, from /proc/self/schedstat: unlike wall time, it does not
/// grow when other processes compete for the cores.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0} MiB"))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("plan_memory: run with `cargo bench --bench plan_memory`");
        return;
    }
    let users = std::env::var("ENTRA_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(USERS);
    let input = sync_data::plan_input(users);
    let input_peak = status_mib("VmHWM:");
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let plan = plan_tenant_sync(&input).expect("plan");
    let elapsed = start.elapsed();
    let cpu = cpu_seconds().zip(cpu_start).map(|(end, begin)| end - begin);
    let peak = status_mib("VmHWM:");
    println!(
        "plan_tenant_sync {users} users x {users} contacts: {:.2} s wall ({} on CPU), {} actions, peak RSS {} (input alone {})",
        elapsed.as_secs_f64(),
        cpu.map_or_else(|| "n/a".to_string(), |s| format!("{s:.2} s")),
        plan.actions.len(),
        show(peak),
        show(input_peak),
    );
    println!("counters: {:?}", plan.counters);
}
