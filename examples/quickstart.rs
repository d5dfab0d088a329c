//! entra-sync quickstart: the whole story, end to end, in one command.
//!
//! ```text
//! cargo run -p entra-examples --example quickstart
//! ```
//!
//! Without credentials it starts the loopback sandbox (a synthetic MSP estate served by fake
//! Microsoft login, Graph and CIPP endpoints on 127.0.0.1), keeps its state in a SQLite file
//! under the system temp folder (or `ENTRA_DATA_DIR`), and walks through: connect and validate →
//! discover tenants → mapping preview → confirm the auto-matches and one reviewed candidate →
//! dry run → initial sync → changes upstream (a user disabled, one deleted, one renamed with a
//! new email, one added, one alias now matching an existing contact) → second sync → summary per
//! tenant → third sync showing zero changes.
//!
//! Environment variables:
//! - `ENTRA_CONNECTION` = `sandbox` (default), `direct` (Microsoft Graph with partner access) or
//!   `cipp`. With `sandbox`, `ENTRA_SANDBOX_PROVIDER=cipp` reads the sandbox through its CIPP API
//!   instead of Graph.
//! - `direct`: `MICROSOFT_CLIENT_ID`, `MICROSOFT_CLIENT_SECRET`, `MICROSOFT_TENANT_ID` (the
//!   partner tenant) and `ENTRA_DIRECT_REFRESH_TOKEN` (a partner user's refresh token from the
//!   consent flow).
//! - `cipp`: `ENTRA_CIPP_BASE_URL`, `ENTRA_CIPP_CLIENT_ID`, `ENTRA_CIPP_CLIENT_SECRET`,
//!   `ENTRA_CIPP_TENANT_ID`.
//! - `ENTRA_CRM_FILE` (real connections): a JSON file `{"clients": [...], "contacts": [...]}` in
//!   the contract shape, standing in for the PSA's data. Without it every tenant is unmatched.
//! - `ENTRA_APPLY=1` (real connections): apply the sync to the local SQLite file. Without it a
//!   real connection only runs a dry run. Upstream is only ever read, never changed.
//! - `ENTRA_DATA_DIR`: where the SQLite file goes.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use entra_core::engine::{RunReport, SyncAllOptions, SyncEngine, SyncOptions};
use entra_core::ids::RunTrigger;
use entra_core::mapping::{MappingOperation, MatchReason, PreviewOptions, PreviewOutput};
use entra_core::model::{Client, Contact, FieldSync, SyncSettings};
use entra_core::provider::EntraProvider;
use entra_core::reconcile::{Action, ActionKind};
use entra_core::store::{SqliteStore, SyncStore};
use entra_providers::auth::{CloudEndpoints, TokenSet};
use entra_providers::cipp::{CippConfig, CippProvider, validate_cipp_connection};
use entra_providers::graph::{GraphConfig, GraphOptions, GraphProvider, GraphSettings};
use entra_providers::sandbox::{Mutation, NewUser, Sandbox, SandboxConfig, UserKind};
use entra_providers::secrets::Secret;

type AnyError = Box<dyn Error + Send + Sync>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> Result<String, AnyError> {
    env(name).ok_or_else(|| format!("{name} is not set").into())
}

/// The contract name of a match reason (`exact_domain`, `fuzzy_name`, ...).
fn reason_name(reason: &MatchReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn heading(step: &str) {
    println!("\n== {step} ==");
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let started = Instant::now();
    let connection = env("ENTRA_CONNECTION").unwrap_or_else(|| "sandbox".into());
    let store = open_store()?;
    match connection.as_str() {
        "sandbox" => run_sandbox(store).await?,
        "direct" => {
            heading("1. Connect and validate (Microsoft Graph, partner access)");
            let provider = GraphProvider::new(GraphSettings {
                client_id: required("MICROSOFT_CLIENT_ID")?,
                client_secret: Secret::new(required("MICROSOFT_CLIENT_SECRET")?),
                partner_tenant_id: required("MICROSOFT_TENANT_ID")?,
                tokens: TokenSet::from_refresh_token(Secret::new(required(
                    "ENTRA_DIRECT_REFRESH_TOKEN",
                )?)),
                config: GraphConfig {
                    options: GraphOptions {
                        include_domains: true,
                        ..GraphOptions::default()
                    },
                    ..GraphConfig::default()
                },
            })?;
            print_validation(&provider.validate_direct_connection().await);
            run_real(provider, store).await?;
        }
        "cipp" => {
            heading("1. Connect and validate (CIPP)");
            let config = CippConfig::new(
                required("ENTRA_CIPP_BASE_URL")?,
                required("ENTRA_CIPP_TENANT_ID")?,
                required("ENTRA_CIPP_CLIENT_ID")?,
                Secret::new(required("ENTRA_CIPP_CLIENT_SECRET")?),
            );
            print_validation(&validate_cipp_connection(config.clone()).await);
            run_real(CippProvider::new(config)?, store).await?;
        }
        other => return Err(format!("unknown ENTRA_CONNECTION `{other}`").into()),
    }
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

fn open_store() -> Result<SqliteStore, AnyError> {
    let dir = match env("ENTRA_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("entra-sync-quickstart-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("entra-sync.sqlite");
    println!("State is kept in {}", path.display());
    Ok(SqliteStore::open(&path)?)
}

/// Prints a connection check report (both providers' reports share the check names' spirit:
/// each check passed or failed with an error code).
fn print_validation(report: &impl serde::Serialize) {
    let value = serde_json::to_value(report).unwrap_or_default();
    let empty = Vec::new();
    let checks = value["checks"].as_array().unwrap_or(&empty);
    let mut all_ok = true;
    for check in checks {
        let ok = check["ok"].as_bool().unwrap_or(false) || check["status"] == "passed";
        all_ok &= ok;
        let code = check["code"]
            .as_str()
            .or_else(|| check["errorCode"].as_str())
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        println!(
            "  {:<28} {}{code} {}",
            check["name"].as_str().unwrap_or("?"),
            if ok { "ok" } else { "FAILED" },
            check["message"].as_str().unwrap_or("")
        );
    }
    println!(
        "  connection {}",
        if all_ok && !checks.is_empty() {
            "OK"
        } else {
            "has problems"
        }
    );
}

/// The sandbox story, with upstream changes between the syncs.
async fn run_sandbox(store: SqliteStore) -> Result<(), AnyError> {
    heading("1. Connect and validate (loopback sandbox)");
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let creds = sandbox.credentials();
    println!(
        "  sandbox: login {}  graph {}  cipp {}",
        sandbox.login_base_url(),
        sandbox.graph_base_url(),
        sandbox.cipp_base_url()
    );
    // The CRM the PSA already has: its clients and contacts.
    let contacts = sandbox.crm_contacts();
    let clients = sandbox.crm_clients();
    store.upsert_clients(&clients).await?;
    store.upsert_contacts(&contacts).await?;
    println!(
        "  CRM imported: {} clients, {} contacts",
        clients.len(),
        contacts.len()
    );

    if env("ENTRA_SANDBOX_PROVIDER").as_deref() == Some("cipp") {
        let mut config = CippConfig::new(
            sandbox.cipp_base_url(),
            creds.cipp_tenant_id.clone(),
            creds.cipp_client_id.clone(),
            Secret::new(creds.cipp_client_secret.clone()),
        );
        config.login_base = sandbox.login_base_url();
        config.partner_tenant_id = Some(creds.partner_tenant_id.clone());
        print_validation(&validate_cipp_connection(config.clone()).await);
        let engine = SyncEngine::new(CippProvider::new(config)?, store);
        sandbox_story(&sandbox, &engine, &clients).await
    } else {
        let provider = GraphProvider::new(GraphSettings {
            client_id: creds.client_id.clone(),
            client_secret: Secret::new(creds.client_secret.clone()),
            partner_tenant_id: creds.partner_tenant_id.clone(),
            tokens: TokenSet::from_refresh_token(Secret::new(creds.partner_refresh_token.clone())),
            config: GraphConfig {
                endpoints: CloudEndpoints::custom(
                    &sandbox.login_base_url(),
                    &sandbox.graph_base_url(),
                )?,
                options: GraphOptions {
                    include_domains: true,
                    ..GraphOptions::default()
                },
                ..GraphConfig::default()
            },
        })?;
        print_validation(&provider.validate_direct_connection().await);
        let engine = SyncEngine::new(provider, store);
        sandbox_story(&sandbox, &engine, &clients).await
    }
}

async fn sandbox_story<P: EntraProvider>(
    sandbox: &Sandbox,
    engine: &SyncEngine<P, SqliteStore>,
    clients: &[Client],
) -> Result<(), AnyError> {
    let names = discover(engine).await?;
    let preview = preview(engine, &names, clients).await?;
    let mapped = confirm(engine, &preview, true).await?;
    let users: BTreeMap<String, String> = sandbox
        .tenants()
        .iter()
        .flat_map(|t| sandbox.users(&t.tenant_id))
        .map(|u| (u.id, u.user_principal_name))
        .collect();
    // The CRM also holds a contact that no Entra user matches yet; later a user gets its address.
    let legacy = match mapped.first() {
        Some(tenant) => legacy_contact(sandbox, engine, tenant).await?,
        None => None,
    };
    // Show off the field toggles: names, emails and job titles follow Entra on mapped tenants.
    for tenant in &mapped {
        let settings = SyncSettings {
            field_sync: FieldSync {
                display_name: true,
                email: true,
                job_title: true,
                ..FieldSync::default()
            },
            ..SyncSettings::default()
        };
        engine.store().save_sync_settings(tenant, &settings).await?;
    }

    heading("5. Dry run: what would happen (nothing is written)");
    let dry = engine.sync_all(options("dry-run", true)).await?;
    print_plan_samples(&dry, 4, &users);
    summary(&dry, &names);

    heading("6. Initial sync");
    let initial = engine.sync_all(options("initial", false)).await?;
    println!(
        "  run {} ended {}",
        initial.run.run_id,
        initial.run.status.as_str()
    );
    summary(&initial, &names);
    licences(&initial, &names);

    heading("7. Changes upstream");
    let Some(tenant) = mapped.first() else {
        println!("  no tenant is mapped; nothing more to show");
        return Ok(());
    };
    upstream_changes(sandbox, engine, tenant, legacy).await?;

    heading("8. Second sync (delta where the provider supports it)");
    let second = engine.sync_all(options("second", false)).await?;
    let users: BTreeMap<String, String> = sandbox
        .tenants()
        .iter()
        .flat_map(|t| sandbox.users(&t.tenant_id))
        .map(|u| (u.id, u.user_principal_name))
        .chain(users)
        .collect();
    print_plan_samples(&second, 12, &users);
    heading("9. Summary of the second sync");
    summary(&second, &names);
    let queue = engine.store().load_queue(None).await?;
    println!(
        "  reconciliation queue: {} open item(s) for an operator",
        queue
            .iter()
            .filter(|i| i.state == entra_core::store::QueueState::Open)
            .count()
    );

    heading("10. Third sync (a full listing): nothing left to do");
    let mut third_options = options("third", false);
    third_options.sync.use_delta = false;
    let third = engine.sync_all(third_options).await?;
    summary(&third, &names);
    let c = third.run.counters;
    let changes = c.created + c.linked + c.updated + c.inactivated + c.reactivated;
    println!(
        "  contact changes in the third sync: {changes} ({})",
        if changes == 0 {
            "idempotent"
        } else {
            "NOT idempotent"
        }
    );
    Ok(())
}

/// A real connection: read-only upstream, dry run unless `ENTRA_APPLY=1`.
async fn run_real<P: EntraProvider>(provider: P, store: SqliteStore) -> Result<(), AnyError> {
    let clients = match env("ENTRA_CRM_FILE") {
        Some(path) => {
            let crm: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
            let clients: Vec<Client> = entra_core::json::from_value(&crm["clients"])?;
            let contacts: Vec<Contact> = entra_core::json::from_value(&crm["contacts"])?;
            store.upsert_clients(&clients).await?;
            store.upsert_contacts(&contacts).await?;
            println!(
                "  CRM imported from {path}: {} clients, {} contacts",
                clients.len(),
                contacts.len()
            );
            clients
        }
        None => {
            println!("  ENTRA_CRM_FILE not set: no CRM clients, so every tenant stays unmatched");
            Vec::new()
        }
    };
    let engine = SyncEngine::new(provider, store);
    let names = discover(&engine).await?;
    let preview = preview(&engine, &names, &clients).await?;
    // Against a real estate only unambiguous domain matches are confirmed automatically.
    confirm(&engine, &preview, false).await?;
    let apply = env("ENTRA_APPLY").as_deref() == Some("1");
    heading(if apply {
        "5. Sync (ENTRA_APPLY=1: written to the local SQLite file only)"
    } else {
        "5. Dry run (set ENTRA_APPLY=1 to apply to the local SQLite file)"
    });
    let report = engine.sync_all(options("real", !apply)).await?;
    print_plan_samples(&report, 10, &BTreeMap::new());
    summary(&report, &names);
    licences(&report, &names);
    Ok(())
}

fn options(key: &str, dry_run: bool) -> SyncAllOptions {
    SyncAllOptions {
        sync: SyncOptions {
            dry_run,
            use_delta: true,
        },
        trigger: RunTrigger::Manual,
        request_key: Some(format!("quickstart-{key}-{}", std::process::id())),
        ..SyncAllOptions::default()
    }
}

/// Step 2; returns tenant display names by id.
async fn discover<P: EntraProvider>(
    engine: &SyncEngine<P, SqliteStore>,
) -> Result<BTreeMap<String, String>, AnyError> {
    heading("2. Discover customer tenants");
    let report = engine.discover().await?;
    for warning in report.warnings.iter().chain(&report.merge.warnings) {
        println!("  warning {}: {}", warning.code, warning.message);
    }
    let tenants = engine.store().load_tenants().await?;
    let mut names = BTreeMap::new();
    for t in &tenants {
        let name = t
            .display_name
            .clone()
            .unwrap_or_else(|| t.entra_tenant_id.clone());
        println!(
            "  {:<36} {:<34} {}",
            t.entra_tenant_id,
            name,
            t.domains.join(", ")
        );
        names.insert(t.entra_tenant_id.clone(), name);
    }
    println!(
        "  {} tenant(s): {} new, {} updated",
        tenants.len(),
        report.merge.insert.len(),
        report.merge.update.len()
    );
    Ok(names)
}

/// Step 3.
async fn preview<P: EntraProvider>(
    engine: &SyncEngine<P, SqliteStore>,
    names: &BTreeMap<String, String>,
    clients: &[Client],
) -> Result<PreviewOutput, AnyError> {
    heading("3. Mapping preview (nothing is written)");
    let preview = engine.preview_mappings(PreviewOptions::default()).await?;
    let client_name = |id: &str| {
        clients
            .iter()
            .find(|c| c.client_id == id)
            .and_then(|c| c.client_name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let tenant_name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    for m in &preview.auto_matched {
        println!(
            "  auto     {:<34} -> {:<34} {} {}",
            tenant_name(&m.entra_tenant_id),
            client_name(&m.suggestion.client_id),
            reason_name(&m.suggestion.reason),
            m.suggestion.matched_domain.as_deref().unwrap_or("")
        );
    }
    for group in &preview.fuzzy_candidates {
        for (i, s) in group.candidates.iter().enumerate() {
            println!(
                "  {}   {:<34} ?> {:<34} {} score {:.2}",
                if i == 0 { "review" } else { "      " },
                if i == 0 {
                    tenant_name(&group.entra_tenant_id)
                } else {
                    String::new()
                },
                client_name(&s.client_id),
                reason_name(&s.reason),
                s.score
            );
        }
    }
    for u in &preview.unmatched {
        println!(
            "  unmatched {:<33} no client shares a domain or a similar name",
            tenant_name(&u.entra_tenant_id)
        );
    }
    println!(
        "  {} auto-matched, {} to review, {} unmatched",
        preview.auto_matched.len(),
        preview.fuzzy_candidates.len(),
        preview.unmatched.len()
    );
    Ok(preview)
}

/// Step 4: confirm the auto-matches (and, when asked, the best candidate of the first tenant to
/// review, as an operator would after looking at it). Returns the mapped tenant ids.
async fn confirm<P: EntraProvider>(
    engine: &SyncEngine<P, SqliteStore>,
    preview: &PreviewOutput,
    one_reviewed: bool,
) -> Result<Vec<String>, AnyError> {
    heading("4. Confirm mappings");
    let mut ops: Vec<MappingOperation> = preview
        .auto_matched
        .iter()
        .map(|m| MappingOperation::Confirm {
            entra_tenant_id: m.entra_tenant_id.clone(),
            client_id: m.suggestion.client_id.clone(),
        })
        .collect();
    if one_reviewed
        && let Some(group) = preview.fuzzy_candidates.first()
        && let Some(best) = group.candidates.first()
    {
        println!(
            "  operator reviewed {} and picked client {} ({}, score {:.2})",
            group.entra_tenant_id,
            best.client_id,
            reason_name(&best.reason),
            best.score
        );
        ops.push(MappingOperation::Confirm {
            entra_tenant_id: group.entra_tenant_id.clone(),
            client_id: best.client_id.clone(),
        });
    }
    let out = engine.apply_mapping_changes(ops).await?;
    for w in &out.warnings {
        println!("  warning {}: {}", w.code, w.message);
    }
    let mapped: Vec<String> = engine
        .store()
        .load_mapped_tenants()
        .await?
        .into_iter()
        .map(|m| m.entra_tenant_id)
        .collect();
    println!("  {} tenant(s) mapped", mapped.len());
    Ok(mapped)
}

/// Adds to the CRM a contact of `tenant`'s client whose address no user has yet.
async fn legacy_contact<P: EntraProvider>(
    sandbox: &Sandbox,
    engine: &SyncEngine<P, SqliteStore>,
    tenant: &str,
) -> Result<Option<(Contact, String)>, AnyError> {
    let client = engine
        .store()
        .load_mapped_tenants()
        .await?
        .into_iter()
        .find(|m| m.entra_tenant_id == tenant)
        .and_then(|m| m.client_id);
    let domain = sandbox
        .tenants()
        .into_iter()
        .find(|t| t.tenant_id == tenant)
        .map(|t| t.default_domain);
    let (Some(client), Some(domain)) = (client, domain) else {
        return Ok(None);
    };
    let mut contact = Contact::new("crm-legacy-pat", client);
    contact.email = Some(format!("pat.legacy@{domain}"));
    contact.full_name = Some("Pat Legacy".into());
    engine
        .store()
        .upsert_contacts(std::slice::from_ref(&contact))
        .await?;
    println!(
        "  the CRM also has contact Pat Legacy <pat.legacy@{domain}>, whom no Entra user matches yet"
    );
    Ok(Some((contact, tenant.to_string())))
}

/// Step 7: an admin changes the directory of one tenant.
async fn upstream_changes<P: EntraProvider>(
    sandbox: &Sandbox,
    engine: &SyncEngine<P, SqliteStore>,
    tenant: &str,
    legacy: Option<(Contact, String)>,
) -> Result<(), AnyError> {
    let linked: BTreeSet<String> = engine
        .store()
        .snapshot()
        .await?
        .links
        .into_iter()
        .filter(|l| l.active && l.entra_tenant_id == tenant)
        .map(|l| l.entra_object_id)
        .collect();
    let people: Vec<_> = sandbox
        .users(tenant)
        .into_iter()
        .filter(|u| u.kind == UserKind::Person && u.account_enabled && linked.contains(&u.id))
        .collect();
    let Some(domain) = sandbox
        .tenants()
        .into_iter()
        .find(|t| t.tenant_id == tenant)
        .map(|t| t.default_domain)
    else {
        return Ok(());
    };
    let mut people = people.into_iter();
    if let Some(u) = people.next() {
        sandbox.mutate(Mutation::Disable {
            user_id: u.id.clone(),
        })?;
        println!("  disabled  {}", u.display_name);
    }
    if let Some(u) = people.next() {
        sandbox.mutate(Mutation::HardDelete {
            user_id: u.id.clone(),
        })?;
        println!("  deleted   {}", u.display_name);
    }
    if let Some(u) = people.next() {
        let new_name = format!("{} (Finance)", u.display_name);
        let new_email = format!(
            "{}.finance@{domain}",
            u.id.chars().take(8).collect::<String>()
        );
        sandbox.mutate(Mutation::Rename {
            user_id: u.id.clone(),
            display_name: new_name.clone(),
            given_name: None,
            surname: None,
        })?;
        sandbox.mutate(Mutation::ChangeEmail {
            user_id: u.id.clone(),
            email: new_email.clone(),
        })?;
        println!("  renamed   {} -> {new_name} <{new_email}>", u.display_name);
    }
    sandbox.mutate(Mutation::AddUser {
        tenant_id: tenant.to_string(),
        user: NewUser {
            display_name: "Nora Newcomer".into(),
            given_name: Some("Nora".into()),
            surname: Some("Newcomer".into()),
            email: format!("nora.newcomer@{domain}"),
            job_title: Some("Office Manager".into()),
            account_enabled: true,
        },
    })?;
    println!("  added     Nora Newcomer <nora.newcomer@{domain}>");
    if let Some((contact, legacy_tenant)) = legacy
        && legacy_tenant == tenant
        && let Some(address) = contact.email.clone()
    {
        let id = sandbox.mutate(Mutation::AddUser {
            tenant_id: tenant.to_string(),
            user: NewUser {
                display_name: "Patricia Legacy".into(),
                given_name: Some("Patricia".into()),
                surname: Some("Legacy".into()),
                email: format!("patricia.legacy@{domain}"),
                job_title: None,
                account_enabled: true,
            },
        })?;
        sandbox.mutate(Mutation::AddAlias {
            user_id: id,
            address: address.clone(),
        })?;
        println!(
            "  alias     Patricia Legacy now also receives {address}, the address of an existing CRM contact"
        );
    }
    Ok(())
}

fn describe(action: &Action, users: &BTreeMap<String, String>) -> String {
    let who = action
        .user_principal_name
        .clone()
        .or_else(|| users.get(&action.entra_object_id).cloned())
        .or_else(|| action.display_name.clone())
        .or_else(|| action.contact.as_ref().and_then(|c| c.email.clone()))
        .unwrap_or_else(|| action.entra_object_id.clone());
    let reason = action
        .reason
        .and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let detail = match action.kind {
        ActionKind::Update => action
            .patch
            .as_ref()
            .and_then(|p| serde_json::to_string(p).ok())
            .unwrap_or_default(),
        ActionKind::QueueAmbiguous => format!("candidates {:?}", action.candidate_contact_ids),
        ActionKind::Conflict => format!("contacts {:?}", action.contact_ids),
        _ => action.contact_id.clone().unwrap_or_default(),
    };
    format!(
        "{:<16} {who:<42} {reason:<22} {detail}",
        kind_name(action.kind)
    )
}

fn kind_name(kind: ActionKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn print_plan_samples(report: &RunReport, per_tenant: usize, users: &BTreeMap<String, String>) {
    for plan in &report.plans {
        if plan.actions.is_empty() {
            continue;
        }
        println!(
            "  {} ({} actions):",
            plan.entra_tenant_id,
            plan.actions.len()
        );
        for action in plan.actions.iter().take(per_tenant) {
            println!("    {}", describe(action, users));
        }
        if plan.actions.len() > per_tenant {
            println!("    … and {} more", plan.actions.len() - per_tenant);
        }
    }
}

/// The licence summary each tenant's full listing produced: per SKU, what is bought, what is
/// assigned and what could be reclaimed (licences of disabled users and guests).
fn licences(report: &RunReport, names: &BTreeMap<String, String>) {
    println!("  licences (purchased / assigned / to reclaim: disabled users and guests):");
    let mut shown = 0;
    for r in &report.results {
        let Some(summary) = &r.license_summary else {
            continue;
        };
        shown += 1;
        let name = names
            .get(&r.entra_tenant_id)
            .cloned()
            .unwrap_or_else(|| r.entra_tenant_id.clone());
        let skus: Vec<String> = summary
            .skus
            .iter()
            .filter(|s| s.assigned > 0 || s.purchased < 10_000)
            .map(|s| {
                format!(
                    "{} {}/{}/{}",
                    s.product_name, s.purchased, s.assigned, s.reclaimable
                )
            })
            .collect();
        println!(
            "    {:<30} {} licensed user(s); {}",
            name.chars().take(30).collect::<String>(),
            summary.totals.licensed_users,
            skus.join("; ")
        );
    }
    if shown == 0 {
        println!("    (no summary: the listings were not full, or the provider reads no SKUs)");
    }
}

fn summary(report: &RunReport, names: &BTreeMap<String, String>) {
    println!(
        "  {:<30} {:<7} {:>7} {:>6} {:>7} {:>9} {:>11} {:>11} {:>9} {:>9} {:>8} {:>8}",
        "tenant",
        "mode",
        "created",
        "linked",
        "updated",
        "unchanged",
        "inactivated",
        "reactivated",
        "ambiguous",
        "conflicts",
        "excluded",
        "withheld"
    );
    for r in &report.results {
        let name: String = names
            .get(&r.entra_tenant_id)
            .cloned()
            .unwrap_or_else(|| r.entra_tenant_id.clone())
            .chars()
            .take(30)
            .collect();
        if let Some(error) = &r.error {
            println!("  {name:<30} FAILED  {}: {}", error.code, error.message);
            continue;
        }
        let c = &r.counters;
        println!(
            "  {name:<30} {:<7} {:>7} {:>6} {:>7} {:>9} {:>11} {:>11} {:>9} {:>9} {:>8} {:>8}",
            r.mode
                .and_then(|m| serde_json::to_value(m).ok())
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            c.created,
            c.linked,
            c.updated,
            c.unchanged,
            c.inactivated,
            c.reactivated,
            c.ambiguous,
            c.conflicts,
            c.excluded,
            c.withheld
        );
    }
    let c = &report.run.counters;
    println!(
        "  run {}: {} tenant(s) ok, {} failed — created {}, linked {}, updated {}, inactivated {}, reactivated {}, queued {}",
        report.run.status.as_str(),
        report.run.tenants_succeeded,
        report.run.tenants_failed,
        c.created,
        c.linked,
        c.updated,
        c.inactivated,
        c.reactivated,
        c.ambiguous + c.conflicts
    );
}
