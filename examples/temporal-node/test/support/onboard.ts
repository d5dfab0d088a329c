/**
 * Brings a world to "every tenant discovered and mapped" through the activities themselves (no
 * workflow), as an operator would: domain matches confirmed, the best candidate confirmed for
 * tenants needing review, and a new client created for each tenant nothing matched. The scale
 * and crash scenarios start from there.
 */
import { createActivities } from '../../src/activities';
import { createProvider } from '../../src/provider';
import type { World } from './estate';

export async function discoverAndMap(world: World): Promise<number> {
  const activities = createActivities({ pool: world.pool, provider: createProvider(world.providerConfig), workerName: 'setup' });
  await activities.discoverTenants(`setup-discovery-${world.taskQueue}`, 'initial');
  const preview = await activities.previewMappings();
  const confirm = (entraTenantId: string, clientId: string) => ({ kind: 'confirm' as const, entraTenantId, clientId });
  const operations = [
    ...preview.autoMatched.map((m) => confirm(m.entraTenantId, m.match.clientId)),
    ...preview.fuzzyCandidates.map((g) => confirm(g.entraTenantId, g.candidates[0].clientId)),
  ];
  const tenants = await world.pool.query<{ entra_tenant_id: string; display_name: string | null; domains: string[] }>(
    'SELECT entra_tenant_id, display_name, domains FROM tenants WHERE entra_tenant_id = ANY($1::text[])',
    [preview.unmatched.map((u) => u.entraTenantId)],
  );
  for (const t of tenants.rows) {
    const clientId = `client-for-${t.entra_tenant_id}`;
    await world.pool.query(
      'INSERT INTO clients (client_id, client_name, domains) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [clientId, t.display_name ?? t.entra_tenant_id, t.domains],
    );
    operations.push(confirm(t.entra_tenant_id, clientId));
  }
  await activities.applyMappingChanges(operations);
  const mapped = await world.pool.query<{ n: string }>(
    `SELECT count(*) n FROM tenant_mappings WHERE closed_at IS NULL AND state = 'mapped'`,
  );
  return Number(mapped.rows[0].n);
}
