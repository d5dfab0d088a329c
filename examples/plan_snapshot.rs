//! Plans a contact sync from a JSON snapshot and prints the plan: a table of actions, then the
//! counters, the excluded users and the warnings. Nothing is written anywhere: this is a dry run.
//!
//! ```text
//! cargo run -p entra-examples --example plan_snapshot [path/to/snapshot.json]
//! ```
//!
//! Without a path it uses the bundled `examples/data/snapshot.json`, a small tenant with a disabled
//! user, a guest, a service account, an alias match, an ambiguous pair, a linked user whose email
//! changed and a person who already exists under another client.

use std::collections::HashMap;
use std::process::ExitCode;

use entra_core::reconcile::{Action, ActionKind, PlanInput, SyncPlan, plan_tenant_sync};

const BUNDLED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/snapshot.json");

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| BUNDLED.to_string());
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let input: PlanInput = match entra_core::json::from_str(&text) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("{path}: {e} ({})", e.code());
            return ExitCode::FAILURE;
        }
    };
    match plan_tenant_sync(&input) {
        Ok(plan) => {
            print_plan(&input, &plan);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot plan: {e} ({})", e.code());
            ExitCode::FAILURE
        }
    }
}

fn print_plan(input: &PlanInput, plan: &SyncPlan) {
    let names: HashMap<&str, &str> = input
        .users
        .iter()
        .map(|u| {
            let name = u
                .display_name
                .as_deref()
                .or(u.user_principal_name.as_deref())
                .unwrap_or(&u.entra_object_id);
            (u.entra_object_id.as_str(), name)
        })
        .collect();
    let who = |a: &Action| {
        names.get(a.entra_object_id.as_str()).map_or_else(
            || {
                let short: String = a.entra_object_id.chars().take(8).collect();
                format!("{short}… (not listed)")
            },
            |n| n.to_string(),
        )
    };

    println!(
        "Plan for tenant {} -> client {} ({} users listed, listing {})",
        plan.entra_tenant_id,
        plan.client_id,
        input.users.len(),
        if input.listing_complete {
            "complete"
        } else {
            "incomplete"
        }
    );
    println!();
    println!(
        "{:<16} {:<24} {:<12} {:<32} details",
        "action", "user", "contact", "reason"
    );
    println!("{}", "-".repeat(110));
    for action in &plan.actions {
        print_action(action, &who(action));
    }
    if !plan.withheld.is_empty() {
        println!();
        println!("Withheld by the mass-inactivation guard (not to be applied):");
        for action in &plan.withheld {
            print_action(action, &who(action));
        }
    }

    let c = &plan.counters;
    println!();
    println!(
        "Counters: created {}, linked {}, updated {}, unchanged {}, ambiguous {}, conflicts {}, inactivated {}, reactivated {}, excluded {}, withheld {}",
        c.created,
        c.linked,
        c.updated,
        c.unchanged,
        c.ambiguous,
        c.conflicts,
        c.inactivated,
        c.reactivated,
        c.excluded,
        c.withheld
    );
    if !plan.excluded.is_empty() {
        println!();
        println!("Excluded users:");
        for e in &plan.excluded {
            let name = names
                .get(e.user.entra_object_id.as_str())
                .copied()
                .unwrap_or("?");
            let reason = json_name(&e.reason);
            match &e.pattern {
                Some(p) => println!("  {name:<30} {reason} ({p})"),
                None => println!("  {name:<30} {reason}"),
            }
        }
    }
    println!();
    if plan.warnings.is_empty() {
        println!("Warnings: none");
    } else {
        println!("Warnings:");
        for w in &plan.warnings {
            println!("  {}: {}", w.code, w.message);
        }
    }
}

fn print_action(action: &Action, user: &str) {
    let kind = json_name(&action.kind);
    let reason = action.reason.as_ref().map(json_name).unwrap_or_default();
    let contact = action.contact_id.as_deref().unwrap_or("");
    let details = match action.kind {
        ActionKind::Create => action
            .contact
            .as_ref()
            .map(|c| {
                format!(
                    "new contact: {} <{}>",
                    c.full_name.as_deref().unwrap_or(""),
                    c.email.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default(),
        ActionKind::Update => action
            .patch
            .as_ref()
            .and_then(|p| serde_json::to_string(p).ok())
            .unwrap_or_default(),
        ActionKind::QueueAmbiguous => {
            format!("candidates: {}", action.candidate_contact_ids.join(", "))
        }
        ActionKind::Conflict => format!("contacts: {}", action.contact_ids.join(", ")),
        _ => String::new(),
    };
    let contact = if action.kind == ActionKind::Create {
        "(new)"
    } else {
        contact
    };
    println!("{kind:<16} {user:<24} {contact:<12} {reason:<32} {details}");
}

/// The contract's snake_case name of an enum value.
fn json_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
