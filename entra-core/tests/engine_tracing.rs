//! The engine's tracing: one span per run, one per tenant inside it, counts on the events, and
//! no delta link (an upstream state token) in any field.

#[path = "support/fake_provider.rs"]
mod fake_provider;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use entra_core::engine::{SyncAllOptions, SyncEngine};
use entra_core::mapping::MappingOperation;
use entra_core::model::{Client, ManagedTenant};
use entra_core::store::{MemoryStore, SyncStore};
use fake_provider::{FakeProvider, user};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every span and event as text: `span <name> <fields>` and `event [<span path>] <fields>`.
#[derive(Default)]
struct Capture {
    next_id: AtomicU64,
    names: Mutex<BTreeMap<u64, String>>,
    stack: Mutex<Vec<u64>>,
    lines: Arc<Mutex<Vec<String>>>,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        let name = attrs.metadata().name().to_string();
        self.names.lock().unwrap().insert(id, name.clone());
        self.lines
            .lock()
            .unwrap()
            .push(format!("span {name}{}", fields.0));
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields(String::new());
        values.record(&mut fields);
        let name = self
            .names
            .lock()
            .unwrap()
            .get(&span.into_u64())
            .cloned()
            .unwrap_or_default();
        self.lines
            .lock()
            .unwrap()
            .push(format!("record {name}{}", fields.0));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let names = self.names.lock().unwrap();
        let path: Vec<String> = self
            .stack
            .lock()
            .unwrap()
            .iter()
            .filter_map(|id| names.get(id).cloned())
            .collect();
        self.lines
            .lock()
            .unwrap()
            .push(format!("event [{}]{}", path.join("/"), fields.0));
    }

    fn enter(&self, span: &Id) {
        self.stack.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut stack = self.stack.lock().unwrap();
        if let Some(pos) = stack.iter().rposition(|id| *id == span.into_u64()) {
            stack.remove(pos);
        }
    }
}

#[tokio::test]
async fn runs_and_tenants_have_spans_with_counts_and_no_delta_links() {
    let provider = FakeProvider::new().with_delta();
    let store = MemoryStore::new();
    let mut clients = Vec::new();
    for tenant in ["t-a", "t-b"] {
        let domain = format!("{tenant}.example");
        let mut record = ManagedTenant::new(tenant);
        record.display_name = Some(format!("Tenant {tenant}"));
        record.primary_domain = Some(domain.clone());
        record.domains = vec![domain.clone()];
        provider.add_tenant(record);
        provider.put_user(user(
            tenant,
            &format!("{tenant}-u1"),
            "Alice Archer",
            &format!("alice@{domain}"),
        ));
        provider.put_user(user(
            tenant,
            &format!("{tenant}-u2"),
            "Bruno Baker",
            &format!("bruno@{domain}"),
        ));
        clients.push(Client {
            client_id: format!("c-{tenant}"),
            client_name: Some(format!("Client {tenant}")),
            domains: vec![domain],
            secondary_domains: vec![],
        });
    }
    store.upsert_clients(&clients).await.unwrap();
    let engine = SyncEngine::new(provider, store);
    engine.discover().await.unwrap();
    engine
        .apply_mapping_changes(
            ["t-a", "t-b"]
                .iter()
                .map(|t| MappingOperation::Confirm {
                    entra_tenant_id: t.to_string(),
                    client_id: format!("c-{t}"),
                })
                .collect(),
        )
        .await
        .unwrap();

    let capture = Capture::default();
    let lines = Arc::clone(&capture.lines);
    let guard = tracing::subscriber::set_default(capture);
    // Two runs: the second reads a delta round from the stored link.
    let first = engine
        .sync_all(SyncAllOptions {
            request_key: Some("traced-1".into()),
            ..SyncAllOptions::default()
        })
        .await
        .unwrap();
    engine
        .sync_all(SyncAllOptions {
            request_key: Some("traced-2".into()),
            ..SyncAllOptions::default()
        })
        .await
        .unwrap();
    drop(guard);

    let lines = lines.lock().unwrap().clone();
    let text = lines.join("\n");
    let run_spans: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("span entra_sync.run"))
        .collect();
    assert_eq!(run_spans.len(), 2, "{text}");
    assert!(
        run_spans[0].contains(&format!("run_id={}", first.run.run_id)),
        "{text}"
    );
    assert!(run_spans[0].contains("tenants=2"), "{text}");
    let tenant_spans: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("span entra_sync.tenant"))
        .collect();
    assert_eq!(tenant_spans.len(), 4, "{text}");
    assert!(tenant_spans.iter().any(|l| l.contains("tenant=t-a")));
    assert!(tenant_spans.iter().any(|l| l.contains("client=c-t-b")));

    // Each tenant's counts are logged inside its span, itself inside the run's.
    let planned: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("tenant planned"))
        .collect();
    assert_eq!(planned.len(), 4, "{text}");
    assert!(
        planned
            .iter()
            .all(|l| l.starts_with("event [entra_sync.run/entra_sync.tenant]")),
        "{text}"
    );
    assert!(planned.iter().any(|l| l.contains("created=2")), "{text}");
    let finished: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("run finished"))
        .collect();
    assert_eq!(finished.len(), 2, "{text}");
    assert!(finished[0].contains("created=4"), "{text}");
    assert!(finished[0].contains("status=\"completed\""), "{text}");

    // The spans themselves carry the counts once they are known (one field per record).
    let recorded = |span: &str, field: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("record {span} {field}")))
            .count()
    };
    assert_eq!(recorded("entra_sync.tenant", "created=2"), 2, "{text}");
    assert_eq!(recorded("entra_sync.tenant", "created=0"), 2, "{text}");
    assert_eq!(recorded("entra_sync.tenant", "users=2"), 2, "{text}");
    assert_eq!(recorded("entra_sync.tenant", "queued=0"), 4, "{text}");
    assert_eq!(
        recorded("entra_sync.run", "status=\"completed\""),
        2,
        "{text}"
    );
    assert_eq!(recorded("entra_sync.run", "succeeded=2"), 2, "{text}");
    assert_eq!(recorded("entra_sync.run", "created=4"), 1, "{text}");

    // The delta links the store now holds never appear in the output.
    for tenant in ["t-a", "t-b"] {
        let link = engine
            .store()
            .load_delta_link(tenant)
            .await
            .unwrap()
            .unwrap();
        assert!(!text.contains(&link), "delta link {link} logged:\n{text}");
    }
    assert!(!text.contains("delta:"), "{text}");
}
