//! `GET /api/ListUsers`: every user of a tenant in one bare array of Graph beta objects plus CIPP's
//! extras. It answers an unknown tenant with `200 []`, which is why a sync must not trust it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{raw_token_error, resolve, text};
use crate::sandbox::filter::Filter;
use crate::sandbox::query::Params;
use crate::sandbox::state::Shared;
use crate::sandbox::user_json::{self, ALL};

pub fn list_users(shared: &Shared, params: &Params) -> Response {
    if params
        .get("tenantFilter")
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("AllTenants"))
    {
        return axum::Json(json!([{
            "Message": "This function has been deprecated for all users, please use ListGraphRequest instead"
        }]))
        .into_response();
    }
    let Some(tenant) = resolve(shared, params) else {
        return axum::Json(json!([])).into_response();
    };
    let filter = match params.get("graphFilter").map(|f| Filter::parse(f, true)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.message),
    };
    let state = shared.lock();
    if let Some(fault) = state.faults.token_errors.get(&tenant.tenant_id).copied() {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Could not get token: {}", raw_token_error(fault)),
        );
    }
    if state.faults.gdap_role_missing.contains(&tenant.tenant_id) {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Insufficient privileges to complete the operation.",
        );
    }
    // ListUsers follows every page inside the one call: a failing page fails the whole call.
    if let Some(page) = state.faults.failing_page.get(&tenant.tenant_id).copied() {
        let pages = state
            .estate
            .live_users(&tenant.tenant_id)
            .len()
            .div_ceil(999)
            .max(1);
        if page < pages {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The service is currently unavailable. Please try again later.",
            );
        }
    }
    let rows: Vec<Value> = state
        .estate
        .live_users(&tenant.tenant_id)
        .into_iter()
        .filter(|u| filter.as_ref().is_none_or(|f| f.matches(u)))
        .map(|u| {
            let mut row = user_json::render(u, ALL);
            row.insert(
                "onPremisesSyncEnabled".into(),
                json!(u.on_premises_sync_enabled.unwrap_or(false)),
            );
            row.insert(
                "username".into(),
                json!(u.user_principal_name.split('@').next().unwrap_or("")),
            );
            row.insert("Aliases".into(), json!(u.proxy_addresses.join(", ")));
            row.insert(
                "LicJoined".into(),
                json!(
                    u.assigned_licenses
                        .iter()
                        .map(|sku| sku_name(sku))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            row.insert(
                "primDomain".into(),
                json!({"value": tenant.default_domain, "label": tenant.default_domain}),
            );
            Value::Object(row)
        })
        .collect();
    axum::Json(Value::Array(rows)).into_response()
}

fn sku_name(sku: &str) -> &'static str {
    match sku {
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" => "Microsoft 365 Business Premium",
        "6fd2c87f-b296-42f0-b197-1e91e994b900" => "Office 365 E3",
        "4b9405b0-7788-4568-add1-99614e613b69" => "Exchange Online (Plan 1)",
        _ => "Unknown SKU",
    }
}
