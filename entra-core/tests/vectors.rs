//! Runs the shared JSON test vectors (`tests/vectors/<function>/*.json` at the repository root,
//! plus every directory listed in `ENTRA_VECTORS_DIR`, colon-separated) through [`entra_core::api::call`].
//!
//! A case is `{name, function, input, expected}` or `{name, function, input, expectedError}`.
//! `expected` matches as a subset: an object matches when every listed key matches, arrays match
//! element-wise in order (and must have the same length). `expectedError: {}` means the call must
//! fail; `{"code": c}` means it must fail with code `c`, and `details` (optional) must match the
//! error's structured details as a subset.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Subset match; returns the JSON path of the first mismatch.
fn matches(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => matches(ev, av, &p)?,
                    None if ev.is_null() => {}
                    None => return Err(format!("{p}: missing (expected {ev})")),
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: expected {} elements, got {}: {}",
                    e.len(),
                    a.len(),
                    actual
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                matches(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            if (e - a).abs() <= 1e-9 {
                Ok(())
            } else {
                Err(format!("{path}: expected {e}, got {a}"))
            }
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, got {a}")),
    }
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let function = case["function"]
        .as_str()
        .ok_or("case has no `function`")?
        .to_string();
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let result = entra_core::api::call(&function, &input);
    match (case.get("expected"), case.get("expectedError"), result) {
        (_, Some(expected_error), Ok(out)) => Err(format!(
            "expected error {expected_error}, got success: {out}"
        )),
        (_, Some(expected_error), Err(err)) => match expected_error.get("code") {
            Some(code) if code != err.code() => Err(format!(
                "expected error code {code}, got {} ({err})",
                err.code()
            )),
            _ => match expected_error.get("details") {
                Some(details) => {
                    matches(details, &err.details().unwrap_or(Value::Null), "$.details")
                }
                None => Ok(()),
            },
        },
        (Some(expected), None, Ok(out)) => matches(expected, &out, "$"),
        (Some(_), None, Err(err)) => Err(format!("unexpected error {}: {err}", err.code())),
        (None, None, _) => Err("case has neither `expected` nor `expectedError`".into()),
    }
}

#[test]
fn shared_vectors() {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")];
    if let Ok(extra) = std::env::var("ENTRA_VECTORS_DIR") {
        dirs.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    let mut files = Vec::new();
    for dir in &dirs {
        collect(dir, &mut files);
    }
    let mut failures = Vec::new();
    for file in &files {
        if let Err(why) = run_case(file) {
            failures.push(format!("{}: {why}", file.display()));
        }
    }
    println!("{} vector cases run", files.len());
    assert!(
        failures.is_empty(),
        "{} of {} vector cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
