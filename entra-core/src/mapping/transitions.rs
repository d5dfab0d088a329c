//! `plan_mapping_changes`: turns an operator's mapping decisions into the rows to persist.
//!
//! A tenant has at most one active mapping. Replacing a decision never deletes the old row: it
//! is closed and kept as history, and a new row is opened. A batch that contradicts itself, or
//! that is based on a stale view of the current mapping, is refused as a whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::preview::{active_mappings, tenant_key};
use crate::error::{CoreError, echo};
use crate::model::{MappingState, TenantMapping, Warning, nullable::or_default};

/// One operator decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MappingOperation {
    /// Map an unmapped (or skipped) tenant to a client.
    #[serde(rename_all = "camelCase")]
    Confirm {
        entra_tenant_id: String,
        client_id: String,
    },
    /// Decide that a tenant is not synchronized.
    #[serde(rename_all = "camelCase")]
    Skip { entra_tenant_id: String },
    /// Move a mapped tenant from one client to another; `from_client_id` must be current.
    #[serde(rename_all = "camelCase")]
    Remap {
        entra_tenant_id: String,
        from_client_id: String,
        to_client_id: String,
    },
    /// Withdraw the tenant's current decision (mapped or skipped).
    #[serde(rename_all = "camelCase")]
    Unmap { entra_tenant_id: String },
}

impl MappingOperation {
    fn tenant(&self) -> &str {
        match self {
            MappingOperation::Confirm {
                entra_tenant_id, ..
            }
            | MappingOperation::Skip { entra_tenant_id }
            | MappingOperation::Remap {
                entra_tenant_id, ..
            }
            | MappingOperation::Unmap { entra_tenant_id } => entra_tenant_id,
        }
    }
}

/// Input of [`plan_mapping_changes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingChangesInput {
    /// The current mapping rows; rows with a `closedAt` are history and are ignored.
    #[serde(default, deserialize_with = "or_default")]
    pub mappings: Vec<TenantMapping>,
    pub operations: Vec<MappingOperation>,
    /// The timestamp to stamp on opened (`confirmedAt`) and closed (`closedAt`) rows. When
    /// absent, both stay `null` and the host must stamp them itself: a closed row stored without
    /// a `closedAt` would read as a second active mapping.
    #[serde(default)]
    pub now: Option<String>,
}

/// The kind of a change, the same as the operation that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingChangeKind {
    Confirm,
    Skip,
    Remap,
    Unmap,
}

/// One write for the host, to apply in order: close `closed` (keep it as history), then insert
/// `opened` as the tenant's active row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingChange {
    pub kind: MappingChangeKind,
    pub entra_tenant_id: String,
    /// The client the tenant is mapped to after the change (`null` when skipped or unmapped).
    pub client_id: Option<String>,
    /// The client the tenant was mapped to before the change.
    pub previous_client_id: Option<String>,
    /// For a remap, the operation's `fromClientId` (the same as `previousClientId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_client_id: Option<String>,
    /// For a remap, the operation's `toClientId` (the same as `clientId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_client_id: Option<String>,
    /// The previous active row, as it must be stored now (with `closedAt`).
    pub closed: Option<TenantMapping>,
    /// The new active row.
    pub opened: Option<TenantMapping>,
}

/// Output of [`plan_mapping_changes`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingChangesOutput {
    /// The writes, in operation order; operations that change nothing produce none.
    pub changes: Vec<MappingChange>,
    pub warnings: Vec<Warning>,
}

fn required(value: &str, field: String) -> Result<(), CoreError> {
    if value.trim().is_empty() {
        Err(CoreError::invalid_input(format!(
            "field `{field}` must not be empty"
        )))
    } else {
        Ok(())
    }
}

fn validate(input: &MappingChangesInput) -> Result<(), CoreError> {
    for (i, op) in input.operations.iter().enumerate() {
        required(op.tenant(), format!("operations[{i}].entraTenantId"))?;
        match op {
            MappingOperation::Confirm { client_id, .. } => {
                required(client_id, format!("operations[{i}].clientId"))?;
            }
            MappingOperation::Remap {
                from_client_id,
                to_client_id,
                ..
            } => {
                required(from_client_id, format!("operations[{i}].fromClientId"))?;
                required(to_client_id, format!("operations[{i}].toClientId"))?;
            }
            MappingOperation::Skip { .. } | MappingOperation::Unmap { .. } => {}
        }
    }
    Ok(())
}

fn conflict(tenant: &str, a: &str, b: &str) -> CoreError {
    let mut client_ids = vec![echo(a).into_owned(), echo(b).into_owned()];
    client_ids.sort();
    CoreError::MappingConflict {
        message: format!(
            "tenant {} would be mapped to two clients, {} and {}",
            echo(tenant),
            client_ids.first().map_or("", String::as_str),
            client_ids.get(1).map_or("", String::as_str)
        ),
        entra_tenant_id: echo(tenant).into_owned(),
        client_ids,
    }
}

fn row(tenant: &str, client: Option<&str>, now: &Option<String>) -> TenantMapping {
    TenantMapping {
        entra_tenant_id: tenant.to_string(),
        client_id: client.map(str::to_string),
        state: if client.is_some() {
            MappingState::Mapped
        } else {
            MappingState::Skipped
        },
        confirmed_at: now.clone(),
        closed_at: None,
    }
}

fn close(current: &TenantMapping, now: &Option<String>) -> TenantMapping {
    let mut closed = current.clone();
    closed.closed_at.clone_from(now);
    closed
}

/// Plans the writes for a batch of operations, applied in order against the current mappings.
///
/// Errors: `mapping_conflict` when the batch assigns a tenant to two clients (or confirms a
/// tenant that is mapped to another client: that is a remap); `stale_mapping` when a remap's
/// `fromClientId` is not the tenant's current client. Confirming an existing mapping, skipping a
/// skipped tenant and unmapping an unmapped one change nothing.
pub fn plan_mapping_changes(
    input: &MappingChangesInput,
) -> Result<MappingChangesOutput, CoreError> {
    validate(input)?;
    let now = &input.now;
    let mut state: HashMap<String, TenantMapping> = active_mappings(&input.mappings)?
        .into_iter()
        .map(|(key, row)| (key, row.clone()))
        .collect();
    // Clients each tenant is assigned to by this batch.
    let mut assigned: HashMap<String, String> = HashMap::new();
    let mut touched_clients: BTreeSet<String> = BTreeSet::new();
    let mut out = MappingChangesOutput::default();

    for op in &input.operations {
        let tenant = op.tenant().trim().to_string();
        let key = tenant_key(&tenant);
        let current = state.get(&key).cloned();
        let current_client = current
            .as_ref()
            .filter(|r| r.state == MappingState::Mapped)
            .and_then(|r| r.client_id.clone());
        let target: Option<&str> = match op {
            MappingOperation::Confirm { client_id, .. } => Some(client_id.trim()),
            MappingOperation::Remap { to_client_id, .. } => Some(to_client_id.trim()),
            MappingOperation::Skip { .. } | MappingOperation::Unmap { .. } => None,
        };
        if let Some(target) = target {
            if let Some(earlier) = assigned.get(&key)
                && earlier != target
            {
                return Err(conflict(&tenant, earlier, target));
            }
            assigned.insert(key.clone(), target.to_string());
        }

        let (kind, next) = match op {
            MappingOperation::Confirm { client_id, .. } => {
                let client_id = client_id.trim();
                match &current_client {
                    Some(c) if c == client_id => continue,
                    Some(c) => return Err(conflict(&tenant, c, client_id)),
                    None => (
                        MappingChangeKind::Confirm,
                        Some(row(&tenant, Some(client_id), now)),
                    ),
                }
            }
            MappingOperation::Remap {
                from_client_id,
                to_client_id,
                ..
            } => {
                let (from, to) = (from_client_id.trim(), to_client_id.trim());
                if current_client.as_deref() != Some(from) {
                    return Err(CoreError::StaleMapping {
                        message: format!(
                            "tenant {} is {}, not mapped to {}",
                            echo(&tenant),
                            match &current_client {
                                Some(c) => format!("mapped to {}", echo(c)),
                                None if current.is_some() => "skipped".to_string(),
                                None => "not mapped".to_string(),
                            },
                            echo(from)
                        ),
                        entra_tenant_id: echo(&tenant).into_owned(),
                    });
                }
                if from == to {
                    continue;
                }
                (MappingChangeKind::Remap, Some(row(&tenant, Some(to), now)))
            }
            MappingOperation::Skip { .. } => {
                if current
                    .as_ref()
                    .is_some_and(|r| r.state == MappingState::Skipped)
                {
                    continue;
                }
                (MappingChangeKind::Skip, Some(row(&tenant, None, now)))
            }
            MappingOperation::Unmap { .. } => {
                if current.is_none() {
                    out.warnings.push(Warning::new(
                        "nothing_to_unmap",
                        format!("tenant {} has no mapping; nothing to unmap", echo(&tenant)),
                    ));
                    continue;
                }
                (MappingChangeKind::Unmap, None)
            }
        };
        if let Some(c) = next.as_ref().and_then(|r| r.client_id.clone()) {
            touched_clients.insert(c);
        }
        let closed = current.as_ref().map(|r| close(r, now));
        match &next {
            Some(r) => {
                state.insert(key, r.clone());
            }
            None => {
                state.remove(&key);
            }
        }
        let client_id = next.as_ref().and_then(|r| r.client_id.clone());
        let (from_client_id, to_client_id) = if kind == MappingChangeKind::Remap {
            (current_client.clone(), client_id.clone())
        } else {
            (None, None)
        };
        out.changes.push(MappingChange {
            kind,
            entra_tenant_id: tenant,
            client_id,
            previous_client_id: current_client,
            from_client_id,
            to_client_id,
            closed,
            opened: next,
        });
    }

    let mut tenants_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in state.values() {
        if r.state == MappingState::Mapped
            && let Some(c) = r.client_id.as_deref()
            && touched_clients.contains(c)
        {
            tenants_of
                .entry(c)
                .or_default()
                .push(r.entra_tenant_id.as_str());
        }
    }
    for (client, mut tenants) in tenants_of {
        if tenants.len() > 1 {
            tenants.sort_unstable();
            out.warnings.push(Warning::new(
                "client_has_multiple_tenants",
                format!(
                    "client {} is mapped to {} tenants: {}",
                    echo(client),
                    tenants.len(),
                    tenants
                        .iter()
                        .map(|t| echo(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(out)
}
