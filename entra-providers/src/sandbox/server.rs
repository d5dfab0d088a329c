//! Starting, inspecting, steering and stopping the sandbox.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_core::model::{Client, Contact, EntraUser};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::{Faults, SandboxConfig};
use super::error::SandboxError;
use super::estate::{Estate, SandboxTenant, SandboxUser};
use super::ids::{guid, opaque};
use super::mutations::{self, Mutation};
use super::state::{RefreshGrant, SandboxCredentials, Shared, State, signing_key};
use super::tokens::TokenSigner;
use super::{cipp, graph, login};

/// A running sandbox: three loopback services (login, Graph, CIPP) over one synthetic estate.
///
/// Dropping it stops the services; [`Sandbox::shutdown`] does so gracefully and waits.
pub struct Sandbox {
    shared: Arc<Shared>,
    login_addr: SocketAddr,
    graph_addr: SocketAddr,
    cipp_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("login", &self.login_addr)
            .field("graph", &self.graph_addr)
            .field("cipp", &self.cipp_addr)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Builds the estate and serves it on three ephemeral 127.0.0.1 ports. Call it inside a Tokio
    /// runtime: the services run as tasks of that runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        if config.default_page_size == 0 || config.delta_page_size == 0 {
            return Err(SandboxError::InvalidConfig(
                "page sizes must be at least 1".into(),
            ));
        }
        if config.token_lifetime.as_secs() == 0 {
            return Err(SandboxError::InvalidConfig(
                "token lifetime must be at least one second".into(),
            ));
        }
        let estate = Estate::generate(&config)?;
        let login_listener = TcpListener::bind("127.0.0.1:0").await?;
        let graph_listener = TcpListener::bind("127.0.0.1:0").await?;
        let cipp_listener = TcpListener::bind("127.0.0.1:0").await?;
        let login_addr = login_listener.local_addr()?;
        let graph_addr = graph_listener.local_addr()?;
        let cipp_addr = cipp_listener.local_addr()?;

        // Client ids follow the seed; secrets do not (nothing should depend on them).
        let mut ids_rng = StdRng::seed_from_u64(config.seed ^ 0x5eed_c11e);
        let mut secret_rng = rand::rng();
        let credentials = SandboxCredentials {
            client_id: guid(&mut ids_rng),
            client_secret: format!(
                "{}8Q~{}",
                opaque(&mut secret_rng, 3),
                opaque(&mut secret_rng, 34)
            ),
            partner_tenant_id: estate.partner.tenant_id.clone(),
            partner_refresh_token: String::new(),
            cipp_tenant_id: estate.partner.tenant_id.clone(),
            cipp_client_id: guid(&mut ids_rng),
            cipp_client_secret: format!(
                "{}8Q~{}",
                opaque(&mut secret_rng, 3),
                opaque(&mut secret_rng, 34)
            ),
        };
        let partner_user = (
            estate.partner_user_id.clone(),
            estate.partner_user_upn.clone(),
        );
        let mut state = State {
            estate,
            faults: config.faults.clone(),
            rng: StdRng::seed_from_u64(config.seed ^ 0xfa17_5eed),
            estate_rng: StdRng::seed_from_u64(config.seed ^ 0x0e57_a7e0),
            mutation_rng: StdRng::seed_from_u64(config.seed ^ 0x0a11_0c8e),
            counters: BTreeMap::new(),
            refresh_tokens: Default::default(),
            codes: Default::default(),
            token_generation: 0,
            delta_epoch: 0,
            seq: 0,
            changes: Vec::new(),
        };
        let partner_refresh_token = state.issue_refresh_token(RefreshGrant {
            client_id: credentials.client_id.clone(),
            user_id: partner_user.0,
            upn: partner_user.1,
            scope: format!(
                "openid offline_access {}/DelegatedAdminRelationship.Read.All",
                config.cloud.graph_base()
            ),
            revoked: false,
            redeemed: false,
        });
        let shared = Arc::new(Shared {
            signer: TokenSigner::new(signing_key()),
            token_lifetime: config.token_lifetime.as_secs(),
            default_page_size: config.default_page_size,
            delta_page_size: config.delta_page_size,
            redirect_uris: config.redirect_uris.clone(),
            credentials: SandboxCredentials {
                partner_refresh_token,
                ..credentials
            },
            login_base: format!("http://{login_addr}"),
            graph_base: format!("http://{graph_addr}"),
            cipp_base: format!("http://{cipp_addr}"),
            cloud: config.cloud,
            graph_audience: config.cloud.graph_base().to_string(),
            state: Mutex::new(state),
        });

        let (stop, _) = watch::channel(false);
        let mut tasks = Vec::new();
        for (listener, router) in [
            (login_listener, login::router(shared.clone())),
            (graph_listener, graph::router(shared.clone())),
            (cipp_listener, cipp::router(shared.clone())),
        ] {
            let mut rx = stop.subscribe();
            tasks.push(tokio::spawn(async move {
                let signal = async move {
                    while !*rx.borrow() {
                        if rx.changed().await.is_err() {
                            break;
                        }
                    }
                };
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(signal)
                    .await
                {
                    tracing::warn!(error = %e, "sandbox listener stopped with an error");
                }
            }));
        }
        tracing::debug!(login = %login_addr, graph = %graph_addr, cipp = %cipp_addr, "sandbox started");
        Ok(Sandbox {
            shared,
            login_addr,
            graph_addr,
            cipp_addr,
            stop,
            tasks: Mutex::new(tasks),
        })
    }

    /// `http://127.0.0.1:<port>`: use as the login authority base (`{base}/{tenant}/oauth2/v2.0/token`).
    pub fn login_base_url(&self) -> String {
        self.shared.login_base.clone()
    }

    /// `http://127.0.0.1:<port>`: use as the Graph base (`{base}/v1.0/users`).
    pub fn graph_base_url(&self) -> String {
        self.shared.graph_base.clone()
    }

    /// `http://127.0.0.1:<port>`: use as the CIPP API URL (`{base}/api/ListTenants`).
    pub fn cipp_base_url(&self) -> String {
        self.shared.cipp_base.clone()
    }

    /// The national cloud the sandbox plays (see [`SandboxConfig::cloud`]).
    pub fn cloud(&self) -> crate::auth::NationalCloud {
        self.shared.cloud
    }

    /// The app credentials and the partner's refresh token.
    pub fn credentials(&self) -> SandboxCredentials {
        self.shared.credentials.clone()
    }

    /// The MSP's own tenant.
    pub fn partner_tenant(&self) -> SandboxTenant {
        self.shared.lock().estate.partner.clone()
    }

    /// The customer tenants, in estate order.
    pub fn tenants(&self) -> Vec<SandboxTenant> {
        self.shared.lock().estate.tenants.clone()
    }

    /// The live (not deleted) users of a tenant, sorted by object id.
    pub fn users(&self, tenant_id: &str) -> Vec<SandboxUser> {
        self.shared
            .lock()
            .estate
            .live_users(tenant_id)
            .into_iter()
            .cloned()
            .collect()
    }

    /// The groups of a customer tenant as Graph lists them (`id`, `displayName`, ...); see
    /// `SANDBOX.md` for who is in which, and the nesting.
    pub fn groups(&self, tenant_id: &str) -> Vec<serde_json::Value> {
        super::groups::groups(&self.shared.lock().estate, tenant_id)
    }

    /// The id of the group named `name` (`All Staff`, `Sales`, `Sales EMEA`, `Contractors`) in a
    /// tenant.
    pub fn group_id(&self, tenant_id: &str, name: &str) -> String {
        super::groups::group_id(tenant_id, name)
    }

    /// The object ids (sorted) a correct transitive member listing of a group returns right
    /// now; `None` for a group the tenant does not have.
    pub fn expected_group_members(&self, tenant_id: &str, group_id: &str) -> Option<Vec<String>> {
        let state = self.shared.lock();
        super::groups::transitive_members(&state.estate, tenant_id, group_id)
            .map(|users| users.into_iter().map(|u| u.id.clone()).collect())
    }

    /// The tenant's subscribed SKUs, as Graph `/subscribedSkus` returns them.
    pub fn subscribed_skus(&self, tenant_id: &str) -> Vec<serde_json::Value> {
        super::groups::subscribed_skus(&self.shared.lock().estate, tenant_id)
    }

    /// The canonical records a correct provider returns for a tenant right now.
    pub fn expected_users(&self, tenant_id: &str) -> Vec<EntraUser> {
        self.users(tenant_id)
            .iter()
            .map(SandboxUser::to_entra_user)
            .collect()
    }

    /// The clients the host's CRM already has.
    pub fn crm_clients(&self) -> Vec<Client> {
        self.shared.lock().estate.clients.clone()
    }

    /// The contacts the host's CRM already has.
    pub fn crm_contacts(&self) -> Vec<Contact> {
        self.shared.lock().estate.contacts.clone()
    }

    /// Changes the directory; returns the id of the user touched (or created).
    pub fn mutate(&self, mutation: Mutation) -> Result<String, SandboxError> {
        mutations::apply(&mut self.shared.lock(), mutation)
    }

    /// The faults currently active.
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.clone()
    }

    /// Replaces the active faults.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults = faults;
    }

    /// Edits the active faults in place.
    pub fn update_faults(&self, edit: impl FnOnce(&mut Faults)) {
        edit(&mut self.shared.lock().faults);
    }

    /// How many requests reached a path (e.g. `/v1.0/users`, `/api/ListTenants`,
    /// `/{tenant}/oauth2/v2.0/token`), faulted ones included.
    pub fn request_count(&self, path: &str) -> u64 {
        self.shared.lock().counters.get(path).copied().unwrap_or(0)
    }

    /// Requests per path.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.lock().counters.clone()
    }

    /// Forgets the request counts.
    pub fn reset_request_counts(&self) {
        self.shared.lock().counters.clear();
    }

    /// Every access token issued so far stops working (Graph and CIPP answer 401), as after a
    /// key rollover or revocation; new tokens work.
    pub fn revoke_access_tokens(&self) {
        self.shared.lock().token_generation += 1;
    }

    /// Every refresh token issued so far is revoked (redeeming one fails with AADSTS700082).
    pub fn revoke_refresh_tokens(&self) {
        for grant in self.shared.lock().refresh_tokens.values_mut() {
            grant.revoked = true;
        }
    }

    /// Every delta link handed out so far has expired (400 `syncStateNotFound`).
    pub fn expire_delta_tokens(&self) {
        self.shared.lock().delta_epoch += 1;
    }

    /// Stops the three services and waits for them (at most five seconds).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}
