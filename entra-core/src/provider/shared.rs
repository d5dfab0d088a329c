//! Providers behind a pointer: `Arc<P>` and `Box<P>` are providers themselves (also for
//! `P = dyn EntraProvider`), so a host that picks its upstream at run time (a binding, a config
//! file) holds a [`DynProvider`] and runs one engine type over any of them.

use std::sync::Arc;

use async_trait::async_trait;

use super::{DeltaListing, EntraProvider, ProviderError, SkuListing, TenantListing, UserListing};
use crate::filter::GroupMembership;
use crate::model::ConnectionType;

/// Any provider, chosen at run time.
pub type DynProvider = Arc<dyn EntraProvider>;

/// Forwards every method (defaults included) to the provider behind the pointer.
macro_rules! forward_provider {
    ($ptr:ident) => {
        #[async_trait]
        impl<P: EntraProvider + ?Sized> EntraProvider for $ptr<P> {
            fn connection_type(&self) -> ConnectionType {
                (**self).connection_type()
            }

            async fn list_managed_tenants(&self) -> Result<TenantListing, ProviderError> {
                (**self).list_managed_tenants().await
            }

            async fn list_users(
                &self,
                entra_tenant_id: &str,
            ) -> Result<UserListing, ProviderError> {
                (**self).list_users(entra_tenant_id).await
            }

            fn supports_delta(&self) -> bool {
                (**self).supports_delta()
            }

            async fn list_users_delta(
                &self,
                entra_tenant_id: &str,
                delta_link: Option<&str>,
            ) -> Result<DeltaListing, ProviderError> {
                (**self).list_users_delta(entra_tenant_id, delta_link).await
            }

            async fn list_group_members(
                &self,
                entra_tenant_id: &str,
                group_id: &str,
            ) -> Result<GroupMembership, ProviderError> {
                (**self).list_group_members(entra_tenant_id, group_id).await
            }

            async fn list_subscribed_skus(
                &self,
                entra_tenant_id: &str,
            ) -> Result<SkuListing, ProviderError> {
                (**self).list_subscribed_skus(entra_tenant_id).await
            }
        }
    };
}

forward_provider!(Arc);
forward_provider!(Box);
