//! The partner-side discovery endpoints: GDAP customers and relationships (`$top` at most 300),
//! Lighthouse managed tenants (beta, delegated only) and legacy DAP contracts.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Caller, authenticate, denied, error, not_in_this_cloud, ok};
use crate::sandbox::clock::iso;
use crate::sandbox::estate::SandboxTenant;
use crate::sandbox::listing::PageCursor;
use crate::sandbox::query::{Params, decode_token, enc, encode_token, top};
use crate::sandbox::state::Shared;
use crate::sandbox::tokens::Claims;

/// GDAP role ids (Directory Readers, User Administrator, Helpdesk Administrator).
const DIRECTORY_READERS: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// The customer tenants visible to the caller: all of them for a partner-tenant token, none for
/// a customer-tenant token (a customer has no customers).
fn visible(shared: &Shared, claims: &Claims) -> Vec<SandboxTenant> {
    let state = shared.lock();
    if claims.tid == state.estate.partner.tenant_id {
        state.estate.tenants.clone()
    } else {
        Vec::new()
    }
}

/// The GDAP customers visible to the caller: DAP-only tenants have no GDAP relationship.
fn gdap_customers(shared: &Shared, claims: &Claims) -> Vec<SandboxTenant> {
    let dap_only = shared.lock().faults.dap_only.clone();
    visible(shared, claims)
        .into_iter()
        .filter(|t| !dap_only.contains(&t.tenant_id))
        .collect()
}

/// The answer of a GDAP API the sandbox cannot serve: absent from the cloud (400), or refused
/// by the `gdapUnavailable` fault (403).
fn gdap_gate(shared: &Shared, headers: &HeaderMap, segment: &str) -> Option<Response> {
    if !shared.cloud.offers_gdap() {
        return Some(not_in_this_cloud(segment, headers));
    }
    if shared.lock().faults.gdap_unavailable {
        return Some(denied(headers));
    }
    None
}

/// A paged answer over `rows`, honouring `$top` (at most `max`) and `$skiptoken`.
fn paged(
    shared: &Shared,
    headers: &HeaderMap,
    query: Option<&str>,
    path: &str,
    context: &str,
    rows: Vec<Value>,
    max: usize,
) -> Response {
    let params = Params::parse(query);
    let size = match top(&params, max) {
        Ok(n) => n.unwrap_or(shared.default_page_size.min(max)),
        Err(raw) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!(
                    "Invalid page size specified: '{raw}'. Must be between 1 and {max} inclusive."
                ),
                headers,
            );
        }
    };
    let cursor = match params.get("$skiptoken") {
        None => PageCursor {
            t: path.to_string(),
            o: 0,
            p: 0,
        },
        Some(raw) => match decode_token::<PageCursor>(raw) {
            Some(c) if c.t == path => c,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "The specified page token value has expired or is invalid.",
                    headers,
                );
            }
        },
    };
    let total = rows.len();
    let value: Vec<Value> = rows.into_iter().skip(cursor.o).take(size).collect();
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), json!(context));
    if cursor.o + size < total {
        let next = PageCursor {
            t: path.to_string(),
            o: cursor.o + size,
            p: cursor.p + 1,
        };
        let mut parts: Vec<String> = params
            .pairs()
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .map(|(k, v)| format!("{}={}", enc(k).replace("%24", "$"), enc(v)))
            .collect();
        parts.push(format!("$skiptoken={}", encode_token(&next)));
        body.insert(
            "@odata.nextLink".into(),
            json!(format!("{}{path}?{}", shared.graph_base, parts.join("&"))),
        );
    }
    body.insert("value".into(), Value::Array(value));
    ok(Value::Object(body), headers)
}

pub async fn customers(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Caller(claims): Caller,
) -> Response {
    if let Some(refused) = gdap_gate(&shared, &headers, "delegatedAdminCustomers") {
        return refused;
    }
    let rows = gdap_customers(&shared, &claims)
        .iter()
        .map(|t| {
            json!({
                "@odata.type": "#microsoft.graph.delegatedAdminCustomer",
                "@odata.etag": format!("W/\"JyIxODAw{}Jyc=\"", t.tenant_id.get(..8).unwrap_or_default()),
                "id": t.tenant_id,
                "tenantId": t.tenant_id,
                "displayName": t.display_name,
            })
        })
        .collect();
    let context = format!(
        "{}/v1.0/tenantRelationships/$metadata#delegatedAdminCustomers",
        shared.graph_base
    );
    paged(
        &shared,
        &headers,
        query.as_deref(),
        "/v1.0/tenantRelationships/delegatedAdminCustomers",
        &context,
        rows,
        300,
    )
}

pub async fn relationships(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Caller(claims): Caller,
) -> Response {
    if let Some(refused) = gdap_gate(&shared, &headers, "delegatedAdminRelationships") {
        return refused;
    }
    let params = Params::parse(query.as_deref());
    let status_filter = match params.get("$filter") {
        None => None,
        Some(f) => {
            let parsed = f
                .trim()
                .strip_prefix("status eq '")
                .and_then(|r| r.strip_suffix('\''))
                .map(str::to_string);
            match parsed {
                Some(s) => Some(s),
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        &format!("Invalid filter clause: '{f}'."),
                        &headers,
                    );
                }
            }
        }
    };
    let (partner_id, role_missing) = {
        let state = shared.lock();
        (
            state.estate.partner.tenant_id.clone(),
            state.faults.gdap_role_missing.clone(),
        )
    };
    let mut rows = Vec::new();
    for (k, t) in visible(&shared, &claims).iter().enumerate() {
        if shared.lock().faults.dap_only.contains(&t.tenant_id) {
            continue;
        }
        let roles = if role_missing.contains(&t.tenant_id) {
            vec![HELPDESK_ADMINISTRATOR]
        } else {
            vec![DIRECTORY_READERS, USER_ADMINISTRATOR]
        };
        let relationship = |id: String, status: &str, start: u64, end: u64| {
            json!({
                "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
                "id": id,
                "displayName": format!("{} admin relationship", t.display_name),
                "duration": "P730D",
                "customer": {"tenantId": t.tenant_id, "displayName": t.display_name},
                "accessDetails": {"unifiedRoles": roles.iter().map(|r| json!({"roleDefinitionId": r})).collect::<Vec<_>>()},
                "status": status,
                "autoExtendDuration": "P180D",
                "createdDateTime": iso(start),
                "activatedDateTime": iso(start + 120),
                "lastModifiedDateTime": iso(start + 120),
                "endDateTime": iso(end),
            })
        };
        let start = 1_700_000_000 + (k as u64 % 500) * 86_400;
        rows.push(relationship(
            format!("{}-{}", t.tenant_id, partner_id),
            "active",
            start,
            start + 730 * 86_400,
        ));
        if k % 3 == 0 {
            let old = start - 800 * 86_400;
            rows.push(relationship(
                format!("{}-{}", partner_id, t.tenant_id),
                "expired",
                old,
                old + 730 * 86_400,
            ));
        }
    }
    if let Some(status) = status_filter {
        rows.retain(|r| r["status"].as_str() == Some(status.as_str()));
    }
    let context = format!(
        "{}/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships",
        shared.graph_base
    );
    paged(
        &shared,
        &headers,
        query.as_deref(),
        "/v1.0/tenantRelationships/delegatedAdminRelationships",
        &context,
        rows,
        300,
    )
}

pub async fn lighthouse_tenants(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Caller(claims): Caller,
) -> Response {
    if !shared.cloud.offers_lighthouse() {
        return not_in_this_cloud("managedTenants", &headers);
    }
    if !claims.delegated() {
        return error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Application permissions are not supported for managedTenants.",
            &headers,
        );
    }
    if shared.lock().faults.lighthouse_unavailable {
        return denied(&headers);
    }
    let rows = visible(&shared, &claims)
        .iter()
        .filter(|t| t.lighthouse)
        .map(|t| {
            json!({
                "id": t.tenant_id,
                "tenantId": t.tenant_id,
                "displayName": t.display_name,
                "contract": {
                    "displayName": t.display_name,
                    "defaultDomainName": t.default_domain,
                    "contractType": 2,
                },
                "tenantStatusInformation": {
                    "onboardingStatus": "active",
                    "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges",
                    "lastDelegatedPrivilegeRefreshDateTime": iso(t.created + 86_400),
                    "workloadStatuses": [{"displayName": "Device Management", "onboardingStatus": "onboarded"}],
                },
                "createdDateTime": iso(t.created),
                "lastUpdatedDateTime": iso(t.created + 86_400),
            })
        })
        .collect();
    let context = format!(
        "{}/beta/$metadata#tenantRelationships/managedTenants/tenants",
        shared.graph_base
    );
    paged(
        &shared,
        &headers,
        query.as_deref(),
        "/beta/tenantRelationships/managedTenants/tenants",
        &context,
        rows,
        999,
    )
}

pub async fn contracts(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Caller(claims): Caller,
) -> Response {
    if shared.lock().faults.contracts_unavailable {
        return denied(&headers);
    }
    let dap_only = shared.lock().faults.dap_only.clone();
    let rows = visible(&shared, &claims)
        .iter()
        .filter(|t| t.dap_contract || dap_only.contains(&t.tenant_id))
        .map(|t| {
            json!({
                "id": format!("{}-contract", t.tenant_id),
                "contractType": "ResellerPartner",
                "customerId": t.tenant_id,
                "defaultDomainName": t.initial_domain,
                "displayName": t.display_name,
            })
        })
        .collect();
    let context = format!("{}/v1.0/$metadata#contracts", shared.graph_base);
    paged(
        &shared,
        &headers,
        query.as_deref(),
        "/v1.0/contracts",
        &context,
        rows,
        999,
    )
}

/// `GET /v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{id}')`: what the
/// partner side knows of any tenant (the sandbox knows its customers and the partner itself).
/// Any other function of `tenantRelationships` is an unknown segment.
pub async fn tenant_information(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    axum::extract::Path(function): axum::extract::Path<String>,
) -> Response {
    const NAME: &str = "findTenantInformationByTenantId";
    let Some(args) = function
        .strip_prefix(NAME)
        .and_then(|r| r.strip_prefix("(tenantId='"))
        .and_then(|r| r.strip_suffix("')"))
    else {
        let segment = function.split('(').next().unwrap_or_default().to_string();
        return not_in_this_cloud(&segment, &headers);
    };
    if let Err(r) = authenticate(&shared, &headers) {
        return r;
    }
    if !shared.cloud.offers_gdap() {
        return not_in_this_cloud(NAME, &headers);
    }
    if shared.lock().faults.tenant_information_unavailable {
        return denied(&headers);
    }
    let wanted = args.trim().to_ascii_lowercase();
    let tenant = {
        let state = shared.lock();
        state.estate.tenant(&wanted).cloned().or_else(|| {
            (state.estate.partner.tenant_id == wanted).then(|| state.estate.partner.clone())
        })
    };
    let Some(t) = tenant else {
        return error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{wanted}' does not exist or one of its queried reference-property objects are not present."
            ),
            &headers,
        );
    };
    ok(
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#microsoft.graph.tenantInformation", shared.graph_base),
            "tenantId": t.tenant_id,
            "federationBrandName": null,
            "displayName": t.display_name,
            "defaultDomainName": t.default_domain,
        }),
        &headers,
    )
}
