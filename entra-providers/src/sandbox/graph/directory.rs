//! Tenant directory reads besides users: `/domains`, `/organization` and a user's
//! `mailboxSettings` (whose `userPurpose` tells shared mailboxes and rooms from people).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{DirectoryCaller, error, ok};
use crate::sandbox::clock::iso;
use crate::sandbox::state::Shared;

pub async fn domains(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    DirectoryCaller { tenant: tenant_id }: DirectoryCaller,
) -> Response {
    if shared.lock().faults.domains_denied.contains(&tenant_id) {
        return super::denied(&headers);
    }
    let tenant = shared.lock().estate.tenant(&tenant_id).cloned();
    let Some(tenant) = tenant else {
        return error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            "Tenant not found.",
            &headers,
        );
    };
    let domain = |name: &str, verified: bool| {
        json!({
            "id": name,
            "authenticationType": "Managed",
            "availabilityStatus": null,
            "isAdminManaged": true,
            "isDefault": name == tenant.default_domain,
            "isInitial": name == tenant.initial_domain,
            "isRoot": true,
            "isVerified": verified,
            "passwordNotificationWindowInDays": null,
            "passwordValidityPeriodInDays": null,
            "supportedServices": if verified { json!(["Email", "OfficeCommunicationsOnline"]) } else { json!([]) },
            "state": null,
        })
    };
    let mut value: Vec<Value> = tenant.domains.iter().map(|d| domain(d, true)).collect();
    value.extend(tenant.unverified_domains.iter().map(|d| domain(d, false)));
    ok(
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#domains", shared.graph_base),
            "value": value,
        }),
        &headers,
    )
}

pub async fn organization(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    DirectoryCaller { tenant: tenant_id }: DirectoryCaller,
) -> Response {
    let tenant = shared.lock().estate.tenant(&tenant_id).cloned();
    let Some(tenant) = tenant else {
        return error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            "Tenant not found.",
            &headers,
        );
    };
    let verified: Vec<Value> = tenant
        .domains
        .iter()
        .map(|d| {
            json!({
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": *d == tenant.default_domain,
                "isInitial": *d == tenant.initial_domain,
                "name": d,
                "type": "Managed",
            })
        })
        .collect();
    ok(
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#organization", shared.graph_base),
            "value": [{
                "id": tenant.tenant_id,
                "displayName": tenant.display_name,
                "tenantType": "AAD",
                "countryLetterCode": "US",
                "createdDateTime": iso(tenant.created),
                "onPremisesSyncEnabled": if tenant.directory_sync { json!(true) } else { Value::Null },
                "verifiedDomains": verified,
            }]
        }),
        &headers,
    )
}

pub async fn mailbox_settings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    DirectoryCaller { tenant: tenant_id }: DirectoryCaller,
) -> Response {
    let user = {
        let state = shared.lock();
        state
            .estate
            .live_users(&tenant_id)
            .into_iter()
            .find(|u| u.id == id || u.user_principal_name.eq_ignore_ascii_case(&id))
            .cloned()
    };
    let Some(user) = user else {
        return error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
            &headers,
        );
    };
    let Some(purpose) = user.user_purpose() else {
        return error(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            &headers,
        );
    };
    ok(
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users('{}')/mailboxSettings", shared.graph_base, user.id),
            "timeZone": "UTC",
            "language": {"locale": "en-US", "displayName": "English (United States)"},
            "userPurpose": purpose,
        }),
        &headers,
    )
}
