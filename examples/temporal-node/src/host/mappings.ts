/**
 * Tenants and their mappings in the PSA's tables. Discovery results come from `mergeDiscovery`
 * and mapping changes from `planMappingChanges`; this module only stores what they decided.
 */
import type { ManagedTenant, MappingChangesOutput, MergeDiscoveryOutput, TenantMapping, Client } from 'entra-sync';
import type { Tx } from '../db/pool';
import { ClientRow, MappingRow, TenantRow, clientFromRow, mappingFromRow, tenantFromRow } from './records';

export async function loadTenants(tx: Tx, lock = false): Promise<ManagedTenant[]> {
  const rows = await tx.query<TenantRow>(
    `SELECT entra_tenant_id, display_name, primary_domain, domains, source_user_count, status
       FROM tenants ORDER BY entra_tenant_id${lock ? ' FOR UPDATE' : ''}`,
  );
  return rows.rows.map(tenantFromRow);
}

export async function saveDiscovery(tx: Tx, merge: MergeDiscoveryOutput): Promise<void> {
  for (const tenant of [...merge.insert, ...merge.update, ...merge.notListed]) {
    await tx.query(
      `INSERT INTO tenants (entra_tenant_id, display_name, primary_domain, domains, source_user_count, status)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (entra_tenant_id) DO UPDATE
         SET display_name = EXCLUDED.display_name, primary_domain = EXCLUDED.primary_domain,
             domains = EXCLUDED.domains, source_user_count = EXCLUDED.source_user_count,
             status = EXCLUDED.status, updated_at = now()`,
      [
        tenant.entraTenantId, tenant.displayName ?? null, tenant.primaryDomain ?? null, tenant.domains ?? [],
        tenant.sourceUserCount ?? null, tenant.status ?? 'active',
      ],
    );
  }
}

export async function loadClients(tx: Tx): Promise<Client[]> {
  const rows = await tx.query<ClientRow>(
    'SELECT client_id, client_name, domains, secondary_domains FROM clients ORDER BY client_id',
  );
  return rows.rows.map(clientFromRow);
}

export async function loadActiveMappings(tx: Tx, lock = false): Promise<TenantMapping[]> {
  const rows = await tx.query<MappingRow>(
    `SELECT entra_tenant_id, client_id, state, confirmed_at, closed_at
       FROM tenant_mappings WHERE closed_at IS NULL ORDER BY entra_tenant_id${lock ? ' FOR UPDATE' : ''}`,
  );
  return rows.rows.map(mappingFromRow);
}

/** Stores a batch of mapping changes: closes the replaced rows (kept as history), opens the new ones. */
export async function saveMappingChanges(tx: Tx, output: MappingChangesOutput): Promise<void> {
  for (const change of output.changes) {
    if (change.closed) {
      await tx.query(
        `UPDATE tenant_mappings SET closed_at = $2 WHERE entra_tenant_id = $1 AND closed_at IS NULL`,
        [change.entraTenantId, change.closed.closedAt ?? new Date().toISOString()],
      );
    }
    if (change.opened) {
      await tx.query(
        `INSERT INTO tenant_mappings (entra_tenant_id, client_id, state, confirmed_at) VALUES ($1, $2, $3, $4)`,
        [change.opened.entraTenantId, change.opened.clientId ?? null, change.opened.state, change.opened.confirmedAt ?? null],
      );
    }
  }
}
