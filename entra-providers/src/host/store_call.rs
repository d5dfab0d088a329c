//! A sync store's host-facing calls, by name. Python's and Node's `MemoryStore` / `SqliteStore`
//! offer the same calls (seed the CRM records, read what sync wrote, answer the reconciliation
//! queue, keep settings, manage the connection); each binding forwards a method's name and its
//! arguments here, so reading the arguments into the contract's records, calling the store and
//! shaping the answer are written once and behave the same in both languages.

use entra_core::CoreError;
use entra_core::model::{
    Client, Contact, ManagedTenant, Resolution, ResolvedSettings, SettingsOverrides, SyncSettings,
    TenantMapping,
};
use entra_core::store::{QueueItem, RunRecord, StoreSnapshot, SyncStore, TenantRunResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::HostError;
use super::connection_json::{
    connect_json, connection_status_json, disconnect_json, record_validation_json,
};

/// A call's arguments in a binding's own values (Python objects, JSON texts), read by position.
pub trait CallArgs {
    /// The binding's error (a Python exception, a JavaScript `Error`).
    type Error;

    /// A host-layer error as the binding's error.
    fn error(&self, err: HostError) -> Self::Error;

    /// The argument at `index` as `T`; `name` (snake_case) names it in error messages. An
    /// argument not given reads as `null`.
    fn arg<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, Self::Error>;
}

/// One store call with its arguments read.
#[derive(Debug, Clone)]
pub enum StoreCall {
    /// Adds or replaces the host's clients (mapping candidates).
    UpsertClients(Vec<Client>),
    /// Adds or replaces the host's contacts.
    UpsertContacts(Vec<Contact>),
    /// The stored managed tenants.
    LoadTenants,
    /// The current mappings (mapped and skipped tenants).
    LoadMappings,
    /// The reconciliation queue of one tenant, or of every tenant.
    LoadQueue(Option<String>),
    /// An operator's answer to a queued identity, for a tenant.
    ResolveQueueItem(String, Resolution),
    /// One run record, or null.
    LoadRun(String),
    /// The per-tenant results of a run.
    LoadTenantResults(String),
    /// A tenant's sync settings (the defaults when none were saved).
    LoadSyncSettings(String),
    /// Saves a tenant's sync settings.
    SaveSyncSettings(String, SyncSettings),
    /// Everything the store holds.
    Snapshot,
    /// A settings layer: the account-wide defaults (no tenant) or one tenant's overrides.
    LoadSettingsOverrides(Option<String>),
    /// Replaces a settings layer (no tenant: the account-wide defaults).
    SaveSettingsOverrides(SettingsOverrides, Option<String>),
    /// A tenant's effective settings with each field's source.
    ResolveSyncSettings(String),
    /// The account's connections: `{active, history}`.
    ConnectionStatus,
    /// Connects with a connection type (`direct`, `cipp`).
    Connect(String),
    /// Records a provider's validation report on the active connection.
    RecordValidation(Value),
    /// Disconnects.
    Disconnect,
}

/// What a store call answers; serializes as the answer itself (`null` for a write).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum StoreAnswer {
    /// A write's answer: nothing.
    Done(()),
    Tenants(Vec<ManagedTenant>),
    Mappings(Vec<TenantMapping>),
    Queue(Vec<QueueItem>),
    Run(Option<RunRecord>),
    TenantResults(Vec<TenantRunResult>),
    Settings(SyncSettings),
    Snapshot(Box<StoreSnapshot>),
    Overrides(SettingsOverrides),
    Resolved(ResolvedSettings),
    /// The connection calls' JSON answers.
    Json(Value),
}

/// The table of store calls, written once: it makes both [`StoreCall::NAMES`] and
/// [`StoreCall::read`]'s match, so a call cannot be readable without being listed.
macro_rules! store_calls {
    ($args:ident; $($name:literal => $read:expr,)*) => {
        impl StoreCall {
            /// Every call's name, as the bindings pass it (snake_case).
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// Reads the call `method` (one of [`Self::NAMES`]) and its arguments; an unknown
            /// name or an argument that is not what the call takes is `invalid_input`.
            pub fn read<A: CallArgs>(method: &str, $args: &A) -> Result<Self, A::Error> {
                Ok(match method {
                    $($name => $read,)*
                    other => {
                        let message = format!("unknown store call `{other}`");
                        return Err($args.error(HostError::Input(CoreError::invalid_input(
                            message,
                        ))));
                    }
                })
            }
        }
    };
}

store_calls! {
    args;
    "upsert_clients" => Self::UpsertClients(args.arg(0, "clients")?),
    "upsert_contacts" => Self::UpsertContacts(args.arg(0, "contacts")?),
    "load_tenants" => Self::LoadTenants,
    "load_mappings" => Self::LoadMappings,
    "load_queue" => Self::LoadQueue(args.arg(0, "tenant_id")?),
    "resolve_queue_item" => {
        Self::ResolveQueueItem(args.arg(0, "tenant_id")?, args.arg(1, "resolution")?)
    },
    "load_run" => Self::LoadRun(args.arg(0, "run_id")?),
    "load_tenant_results" => Self::LoadTenantResults(args.arg(0, "run_id")?),
    "load_sync_settings" => Self::LoadSyncSettings(args.arg(0, "tenant_id")?),
    "save_sync_settings" => {
        Self::SaveSyncSettings(args.arg(0, "tenant_id")?, args.arg(1, "settings")?)
    },
    "snapshot" => Self::Snapshot,
    "load_settings_overrides" => Self::LoadSettingsOverrides(args.arg(0, "tenant_id")?),
    "save_settings_overrides" => {
        let value: Value = args.arg(0, "overrides")?;
        let overrides = SettingsOverrides::from_json(&value)
            .map_err(|e| args.error(HostError::Input(e)))?;
        Self::SaveSettingsOverrides(overrides, args.arg(1, "tenant_id")?)
    },
    "resolve_sync_settings" => Self::ResolveSyncSettings(args.arg(0, "tenant_id")?),
    "connection_status" => Self::ConnectionStatus,
    "connect" => Self::Connect(args.arg(0, "connection_type")?),
    "record_validation" => Self::RecordValidation(args.arg(0, "report")?),
    "disconnect" => Self::Disconnect,
}

impl StoreCall {
    /// Makes the call on `store`; `now_ms` stamps the connection records it writes.
    pub async fn run(
        self,
        store: &(dyn SyncStore + '_),
        now_ms: u64,
    ) -> Result<StoreAnswer, HostError> {
        use StoreAnswer as A;
        Ok(match self {
            Self::UpsertClients(clients) => A::Done(store.upsert_clients(&clients).await?),
            Self::UpsertContacts(contacts) => A::Done(store.upsert_contacts(&contacts).await?),
            Self::LoadTenants => A::Tenants(store.load_tenants().await?),
            Self::LoadMappings => A::Mappings(store.load_mappings().await?),
            Self::LoadQueue(tenant) => A::Queue(store.load_queue(tenant.as_deref()).await?),
            Self::ResolveQueueItem(tenant, resolution) => {
                A::Done(store.resolve_queue_item(&tenant, &resolution).await?)
            }
            Self::LoadRun(run_id) => A::Run(store.load_run(&run_id).await?),
            Self::LoadTenantResults(run_id) => {
                A::TenantResults(store.load_tenant_results(&run_id).await?)
            }
            Self::LoadSyncSettings(tenant) => A::Settings(store.load_sync_settings(&tenant).await?),
            Self::SaveSyncSettings(tenant, settings) => {
                A::Done(store.save_sync_settings(&tenant, &settings).await?)
            }
            Self::Snapshot => A::Snapshot(Box::new(store.snapshot().await?)),
            Self::LoadSettingsOverrides(tenant) => {
                A::Overrides(store.load_settings_overrides(tenant.as_deref()).await?)
            }
            Self::SaveSettingsOverrides(overrides, tenant) => A::Done(
                store
                    .save_settings_overrides(tenant.as_deref(), &overrides)
                    .await?,
            ),
            Self::ResolveSyncSettings(tenant) => {
                A::Resolved(store.resolve_sync_settings(&tenant).await?)
            }
            Self::ConnectionStatus => A::Json(connection_status_json(store).await?),
            Self::Connect(kind) => A::Json(connect_json(store, &kind, now_ms).await?),
            Self::RecordValidation(report) => {
                A::Json(record_validation_json(store, &report, now_ms).await?)
            }
            Self::Disconnect => A::Json(disconnect_json(store, now_ms).await?),
        })
    }
}
