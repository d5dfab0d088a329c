/**
 * Brings a world to "every tenant discovered and mapped" through the activities themselves (no
 * workflow), so the scale and crash scenarios start from the same mapped estate.
 */
import { createActivities } from '../../src/activities';
import { createProvider } from '../../src/provider';
import type { World } from './estate';

export async function discoverAndMap(world: World): Promise<number> {
  const activities = createActivities({ pool: world.pool, provider: createProvider(world.providerConfig), workerName: 'setup' });
  await activities.discoverTenants(`setup-discovery-${world.taskQueue}`, 'initial');
  const preview = await activities.previewMappings();
  const confirmed = await activities.applyMappingChanges(
    preview.autoMatched.map((m) => ({ kind: 'confirm' as const, entraTenantId: m.entraTenantId, clientId: m.match.clientId })),
  );
  return confirmed;
}
