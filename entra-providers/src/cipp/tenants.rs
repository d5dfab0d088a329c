//! Reading CIPP's `GET /api/ListTenants` answer into canonical tenants.
//!
//! CIPP answers with a bare array of rows from its tenant table, keyed by `customerId`. The same
//! 200 answer can carry a single error row with an empty `customerId` when CIPP itself failed to
//! build the list: that is a failed listing, never an empty one, or every client would look
//! abandoned. Pseudo-rows (`AllTenants`, the partner's own tenant) are not customers.

use std::collections::HashSet;

use entra_core::model::ManagedTenant;
use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde_json::Value;

use super::errors::classify_failed_listing;

/// The `customerId` CIPP gives its "all tenants" selector row.
const ALL_TENANTS: &str = "AllTenants";
/// The `domains` marker CIPP puts on the partner's own tenant row.
const PARTNER_TENANT_MARKER: &str = "PartnerTenant";

/// Turns a ListTenants answer into tenants, skipping `null` rows, the `AllTenants` pseudo-row,
/// excluded tenants and the partner tenant (`partner_tenant_id`, or the row CIPP marks as such).
pub fn parse_tenant_rows(
    answer: &Value,
    partner_tenant_id: Option<&str>,
) -> Result<Vec<ManagedTenant>, ProviderError> {
    let rows = answer.as_array().ok_or_else(|| {
        unexpected(format!(
            "ListTenants answered {} instead of a JSON array of tenants",
            kind(answer)
        ))
    })?;
    let mut tenants: Vec<ManagedTenant> = Vec::with_capacity(rows.len());
    let mut seen: HashSet<String> = HashSet::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if row.is_null() {
            continue;
        }
        let Some(fields) = row.as_object() else {
            return Err(unexpected(format!(
                "ListTenants row [{index}] is {} instead of an object",
                kind(row)
            )));
        };
        let customer_id = match fields.get("customerId") {
            Some(Value::String(id)) => id.trim(),
            Some(Value::Null) | None => {
                return Err(failed_or_unexpected(fields, index));
            }
            Some(other) => {
                return Err(unexpected(format!(
                    "ListTenants row [{index}].customerId is {} instead of a string",
                    kind(other)
                )));
            }
        };
        if customer_id.is_empty() {
            return Err(failed_or_unexpected(fields, index));
        }
        if is_pseudo_row(customer_id, fields, partner_tenant_id) || is_excluded(fields) {
            continue;
        }
        if !seen.insert(customer_id.to_ascii_lowercase()) {
            continue;
        }
        tenants.push(tenant_from_row(customer_id, fields));
    }
    Ok(tenants)
}

fn tenant_from_row(customer_id: &str, fields: &serde_json::Map<String, Value>) -> ManagedTenant {
    // Tenant ids are GUIDs, compared case-insensitively upstream; the direct provider lists
    // them lower-cased too, so a mapping survives a switch between the two.
    let mut tenant = ManagedTenant::new(customer_id.to_ascii_lowercase());
    tenant.display_name = text(fields, "displayName");
    tenant.primary_domain = text(fields, "defaultDomainName");
    let mut domains: Vec<String> = Vec::new();
    let mut add = |domain: &str| {
        let domain = domain.trim();
        if domain.is_empty()
            || domain.eq_ignore_ascii_case(ALL_TENANTS)
            || domain.eq_ignore_ascii_case(PARTNER_TENANT_MARKER)
            || domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
        {
            return;
        }
        domains.push(domain.to_string());
    };
    if let Some(primary) = &tenant.primary_domain {
        add(primary);
    }
    if let Some(initial) = text(fields, "initialDomainName") {
        add(&initial);
    }
    match fields.get("domains") {
        Some(Value::String(list)) => list.split([',', ';']).for_each(&mut add),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut add),
        _ => {}
    }
    tenant.domains = domains;
    if !tenant.domains.is_empty() {
        tenant.domain_source = Some(entra_core::model::DomainSource::Cipp);
    }
    tenant.health_note = health_note(fields);
    tenant
}

/// CIPP counts the tenant's recent token/Graph failures; operators must see them, since a tenant
/// CIPP cannot reach lists no users.
fn health_note(fields: &serde_json::Map<String, Value>) -> Option<String> {
    let count = match fields.get("GraphErrorCount") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse::<u64>().unwrap_or(0),
        _ => 0,
    };
    let last = text(fields, "LastGraphError").map(|s| crate::http::scrub(&s));
    match (count, last) {
        (0, None) => None,
        (0, Some(last)) => Some(format!("CIPP's last Graph error for this tenant: {last}")),
        (n, None) => Some(format!("CIPP reports {n} Graph errors for this tenant")),
        (n, Some(last)) => Some(format!(
            "CIPP reports {n} Graph errors for this tenant; last: {last}"
        )),
    }
}

fn is_pseudo_row(
    customer_id: &str,
    fields: &serde_json::Map<String, Value>,
    partner_tenant_id: Option<&str>,
) -> bool {
    customer_id.eq_ignore_ascii_case(ALL_TENANTS)
        || partner_tenant_id.is_some_and(|p| p.trim().eq_ignore_ascii_case(customer_id))
        || text(fields, "domains").is_some_and(|d| d.eq_ignore_ascii_case(PARTNER_TENANT_MARKER))
}

fn is_excluded(fields: &serde_json::Map<String, Value>) -> bool {
    matches!(fields.get("Excluded"), Some(Value::Bool(true)))
}

/// A row without a `customerId` is CIPP's error row (`Results: "Failed to retrieve tenants: …"`).
fn failed_or_unexpected(fields: &serde_json::Map<String, Value>, index: usize) -> ProviderError {
    let reason = text(fields, "Results")
        .or_else(|| text(fields, "displayName"))
        .unwrap_or_else(|| format!("ListTenants row [{index}] has no customerId"));
    classify_failed_listing(&reason)
}

fn text(fields: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    fields
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn unexpected(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorCode::UnexpectedResponse, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contoso() -> Value {
        json!({
            "PartitionKey": "Tenants",
            "RowKey": "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
            "customerId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
            "displayName": "Contoso Inc",
            "defaultDomainName": "contoso.com",
            "initialDomainName": "contoso.onmicrosoft.com",
            "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges",
            "domains": "",
            "Excluded": false,
            "GraphErrorCount": 0,
            "LastGraphError": "",
            "RequiresRefresh": false
        })
    }

    #[test]
    fn a_documented_row_maps_to_a_tenant() {
        let tenants = parse_tenant_rows(&json!([contoso()]), None).unwrap();
        assert_eq!(tenants.len(), 1);
        let t = &tenants[0];
        assert_eq!(t.entra_tenant_id, "52eaad04-13a2-4a2f-9ce8-93a294fadf36");
        assert_eq!(t.display_name.as_deref(), Some("Contoso Inc"));
        assert_eq!(t.primary_domain.as_deref(), Some("contoso.com"));
        assert_eq!(t.domains, vec!["contoso.com", "contoso.onmicrosoft.com"]);
        assert_eq!(t.health_note, None);
    }

    #[test]
    fn pseudo_rows_nulls_and_partner_are_skipped() {
        let partner = json!({"customerId": "11111111-0000-0000-0000-000000000001", "displayName": "My MSP", "defaultDomainName": "msp.com", "domains": ""});
        let marked = json!({"customerId": "22222222-0000-0000-0000-000000000002", "displayName": "*Partner Tenant", "domains": "PartnerTenant"});
        let all = json!({"customerId":"AllTenants","defaultDomainName":"AllTenants","displayName":"*All Tenants","domains":"AllTenants","GraphErrorCount":0});
        let answer = json!([null, all, partner, marked, contoso(), contoso()]);
        let tenants =
            parse_tenant_rows(&answer, Some("11111111-0000-0000-0000-000000000001")).unwrap();
        let ids: Vec<_> = tenants.iter().map(|t| t.entra_tenant_id.as_str()).collect();
        assert_eq!(ids, vec!["52eaad04-13a2-4a2f-9ce8-93a294fadf36"]);
    }

    #[test]
    fn tenant_ids_are_lower_cased_and_deduplicated() {
        let mut upper = contoso();
        upper["customerId"] = json!("52EAAD04-13A2-4A2F-9CE8-93A294FADF36");
        let tenants = parse_tenant_rows(&json!([upper, contoso()]), None).unwrap();
        assert_eq!(tenants.len(), 1);
        assert_eq!(
            tenants[0].entra_tenant_id,
            "52eaad04-13a2-4a2f-9ce8-93a294fadf36"
        );
    }

    #[test]
    fn excluded_rows_are_skipped() {
        let mut row = contoso();
        row["Excluded"] = json!(true);
        assert!(parse_tenant_rows(&json!([row]), None).unwrap().is_empty());
    }

    #[test]
    fn the_error_row_is_a_failed_listing() {
        let answer = json!([{"Results":"Failed to retrieve tenants: Could not get token","defaultDomainName":"","displayName":"Failed to retrieve tenants. Perform a permission check.","customerId":""}]);
        let err = parse_tenant_rows(&answer, None).unwrap_err();
        assert_eq!(err.code(), "upstream_unavailable");
        assert!(
            err.message.contains("Failed to retrieve tenants"),
            "{}",
            err.message
        );
    }

    #[test]
    fn an_error_row_among_good_rows_still_fails() {
        let answer = json!([contoso(), {"customerId": "", "displayName": "Failed to retrieve tenants. Perform a permission check."}]);
        assert!(parse_tenant_rows(&answer, None).is_err());
    }

    #[test]
    fn domains_strings_are_split_and_deduplicated() {
        let mut row = contoso();
        row["domains"] =
            json!("contoso.com, contoso.co.uk,,CONTOSO.ONMICROSOFT.COM ; fabrikam.net");
        let t = parse_tenant_rows(&json!([row]), None).unwrap().remove(0);
        assert_eq!(
            t.domains,
            vec![
                "contoso.com",
                "contoso.onmicrosoft.com",
                "contoso.co.uk",
                "fabrikam.net"
            ]
        );
    }

    #[test]
    fn graph_errors_become_a_health_note() {
        let mut row = contoso();
        row["GraphErrorCount"] = json!(3);
        row["LastGraphError"] =
            json!("invalid_grant:AADSTS65001: The user or administrator has not consented");
        let t = parse_tenant_rows(&json!([row]), None).unwrap().remove(0);
        let note = t.health_note.unwrap();
        assert!(note.contains('3') && note.contains("AADSTS65001"), "{note}");
    }

    #[test]
    fn wrong_shapes_are_unexpected_responses() {
        let err = parse_tenant_rows(&json!({"value": []}), None).unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        let err = parse_tenant_rows(&json!(["x"]), None).unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        let err = parse_tenant_rows(&json!([{"customerId": 5}]), None).unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        assert!(err.message.contains("customerId"));
    }

    #[test]
    fn an_empty_array_is_an_empty_listing() {
        assert!(parse_tenant_rows(&json!([]), None).unwrap().is_empty());
    }
}
