//! The upstream seam: one trait for every provider (Microsoft Graph direct, CIPP), all normalizing
//! into the same tenant and user records. Providers decide nothing about contacts.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::filter::GroupMembership;
use crate::model::{ConnectionType, EntraUser, ManagedTenant, SubscribedSku, Warning};

mod error;
mod shared;
pub use error::{ProviderError, ProviderErrorCode};
pub use shared::DynProvider;

/// The tenants a provider lists. `complete` is true only when every page arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantListing {
    pub tenants: Vec<ManagedTenant>,
    pub complete: bool,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// The users of one tenant. When a page failed half-way, `complete` is false, `users` holds what
/// arrived and `error` says why: such a listing must never inactivate anyone by absence.
/// A row that could not be read is left out with `complete: false` and a warning naming it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserListing {
    pub users: Vec<EntraUser>,
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProviderError>,
    /// Non-fatal findings of the listing (rows left out, users listed twice), for the run report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// A tenant's subscribed SKUs (Graph `/subscribedSkus`), for the licence summary. A page
/// failing after the first yields `complete: false` with what arrived and the error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuListing {
    pub skus: Vec<SubscribedSku>,
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProviderError>,
}

/// Why a delta query reported a user as removed. Both count as removed for contact purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// Soft-deleted (restorable for 30 days).
    Changed,
    /// Permanently deleted.
    Deleted,
}

/// One user a delta query reported as removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedUser {
    pub entra_object_id: String,
    pub reason: RemovalReason,
}

/// The changes since a delta link (or, without one, a full enumeration that ends in a delta link).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeltaListing {
    /// Users that changed (or, for a full enumeration, every user).
    pub users: Vec<EntraUser>,
    pub removed: Vec<RemovedUser>,
    /// Where the next round starts; store it only once the round is applied.
    pub delta_link: Option<String>,
    /// The delta token expired or was refused: run a full listing instead. `users` is then empty.
    pub resync_required: bool,
    /// True when no delta link was given: the round enumerated every user, so absence counts.
    pub full_enumeration: bool,
    /// True only when every page arrived and every row could be read.
    pub complete: bool,
    /// Non-fatal findings of the round (rows left out), for the run report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl DeltaListing {
    /// The object ids reported removed, for the planner's `removedObjectIds`.
    pub fn removed_object_ids(&self) -> Vec<String> {
        self.removed
            .iter()
            .map(|r| r.entra_object_id.clone())
            .collect()
    }
}

/// An upstream of Entra data. Implementations are cheap to share across tasks.
#[async_trait]
pub trait EntraProvider: Send + Sync {
    /// Which kind of connection this is.
    fn connection_type(&self) -> ConnectionType;

    /// The customer tenants the MSP manages.
    async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError>;

    /// Every user of one customer tenant. A page failing half-way yields `complete: false`.
    async fn list_users(&self, entra_tenant_id: &str) -> Result<UserListing, ProviderError>;

    /// Whether [`EntraProvider::list_users_delta`] is supported.
    fn supports_delta(&self) -> bool {
        false
    }

    /// Users changed since `delta_link` (`None`: a full enumeration that yields the first link).
    async fn list_users_delta(
        &self,
        entra_tenant_id: &str,
        delta_link: Option<&str>,
    ) -> Result<DeltaListing, ProviderError> {
        let _ = (entra_tenant_id, delta_link);
        Err(ProviderError::new(
            ProviderErrorCode::Unsupported,
            "this provider does not support delta queries",
        ))
    }

    /// The transitive user members of one group (object ids only), read once per group and run.
    /// A group that does not exist is `status: not_found` (never an empty group); a page failing
    /// after the first is `status: incomplete` with the ids that arrived. An error on the first
    /// page is an `Err`: the caller treats the group as incomplete.
    async fn list_group_members(
        &self,
        entra_tenant_id: &str,
        group_id: &str,
    ) -> Result<GroupMembership, ProviderError> {
        let _ = (entra_tenant_id, group_id);
        Err(ProviderError::new(
            ProviderErrorCode::Unsupported,
            "this provider does not read group memberships",
        ))
    }

    /// The tenant's subscribed SKUs, with the same paging, throttling and error rules as users.
    async fn list_subscribed_skus(
        &self,
        entra_tenant_id: &str,
    ) -> Result<SkuListing, ProviderError> {
        let _ = entra_tenant_id;
        Err(ProviderError::new(
            ProviderErrorCode::Unsupported,
            "this provider does not read subscribed SKUs",
        ))
    }
}
