//! Comparing a provider's listings with the sandbox estate they were read from.

use std::collections::BTreeSet;

use entra_core::model::{EntraUser, ManagedTenant};
use entra_core::provider::TenantListing;
use entra_providers::sandbox::{Sandbox, SandboxTenant};

use super::AnyResult;

/// Users ordered by object id, to compare listings whatever order the upstream pages them in.
pub fn sorted(mut users: Vec<EntraUser>) -> Vec<EntraUser> {
    users.sort_by(|a, b| a.entra_object_id.cmp(&b.entra_object_id));
    users
}

/// Each tenant of the estate with its record in `listing`, once the listing is found to name
/// exactly the estate's tenants.
pub fn estate_in_listing<'a>(
    sandbox: &Sandbox,
    listing: &'a TenantListing,
) -> AnyResult<Vec<(SandboxTenant, &'a ManagedTenant)>> {
    let expected: BTreeSet<String> = sandbox.tenants().into_iter().map(|t| t.tenant_id).collect();
    let listed: BTreeSet<String> = listing
        .tenants
        .iter()
        .map(|t| t.entra_tenant_id.clone())
        .collect();
    assert_eq!(listed, expected);
    let mut pairs = Vec::new();
    for tenant in sandbox.tenants() {
        let found = listing
            .tenants
            .iter()
            .find(|t| t.entra_tenant_id == tenant.tenant_id)
            .ok_or("tenant missing")?;
        assert_eq!(
            found.display_name.as_deref(),
            Some(tenant.display_name.as_str())
        );
        pairs.push((tenant, found));
    }
    Ok(pairs)
}
