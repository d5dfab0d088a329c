//! `GET /api/ListTenants`: a bare array of rows from CIPP's `Tenants` table, sorted by name.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::raw_token_error;
use crate::sandbox::clock::iso;
use crate::sandbox::estate::SandboxTenant;
use crate::sandbox::query::Params;
use crate::sandbox::state::Shared;

fn row(t: &SandboxTenant, errors: u32, last_error: &str) -> Value {
    let refreshed = iso(t.created + 400 * 86_400);
    json!({
        "PartitionKey": "Tenants",
        "RowKey": t.tenant_id,
        "customerId": t.tenant_id,
        "displayName": t.display_name,
        "defaultDomainName": t.default_domain,
        "initialDomainName": t.initial_domain,
        "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges",
        "relationshipEnd": iso(t.created + 1_000 * 86_400),
        "relationshipCount": 1,
        "hasAutoExtend": true,
        "domains": "",
        "Excluded": false,
        "ExcludeUser": "",
        "ExcludeDate": "",
        "GraphErrorCount": errors,
        "LastGraphError": last_error,
        "RequiresRefresh": false,
        "LastRefresh": refreshed,
        "Timestamp": refreshed,
        "ETag": "W/\"datetime'2026-08-07T03%3A12%3A55.6Z'\"",
    })
}

pub fn list_tenants(shared: &Shared, params: &Params) -> Response {
    let state = shared.lock();
    if state.faults.cipp_tenants_error_row {
        return axum::Json(json!([{
            "Results": "Failed to retrieve tenants: Could not get token: invalid_grant:AADSTS700082: The refresh token has expired due to inactivity.",
            "defaultDomainName": "",
            "displayName": "Failed to retrieve tenants. Perform a permission check.",
            "customerId": "",
        }]))
        .into_response();
    }
    let filter = params
        .get("tenantFilter")
        .map(str::trim)
        .filter(|f| !f.is_empty() && !f.eq_ignore_ascii_case("AllTenants"));
    let mut tenants: Vec<&SandboxTenant> = state
        .estate
        .tenants
        .iter()
        .filter(|t| {
            filter.is_none_or(|f| {
                t.tenant_id.eq_ignore_ascii_case(f)
                    || t.domains.iter().any(|d| d.eq_ignore_ascii_case(f))
            })
        })
        .collect();
    tenants.sort_by(|a, b| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
    });
    let mut rows: Vec<Value> = Vec::new();
    if params.flag("AllTenantSelector") {
        rows.push(json!({
            "customerId": "AllTenants",
            "defaultDomainName": "AllTenants",
            "displayName": "*All Tenants",
            "domains": "AllTenants",
            "GraphErrorCount": 0,
        }));
    }
    if state.faults.cipp_partner_row && filter.is_none() {
        let mut partner = row(&state.estate.partner, 0, "");
        partner["displayName"] = json!("*Partner Tenant");
        partner["domains"] = json!("PartnerTenant");
        rows.push(partner);
    }
    for t in tenants {
        let fault = state.faults.token_errors.get(&t.tenant_id).copied();
        let (errors, last) = match fault {
            Some(f) => (3, raw_token_error(f)),
            None if state.faults.gdap_role_missing.contains(&t.tenant_id) => (
                1,
                "Authorization_RequestDenied: Insufficient privileges to complete the operation."
                    .to_string(),
            ),
            None => (0, String::new()),
        };
        rows.push(row(t, errors, &last));
    }
    if state.faults.cipp_tenants_null_row {
        rows.push(Value::Null);
    }
    axum::Json(Value::Array(rows)).into_response()
}
