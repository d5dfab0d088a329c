/**
 * Upstream faults through the whole stack: the library's safety rules hold inside a Temporal
 * activity, and what the library cannot absorb Temporal retries, one tenant at a time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sandbox } from 'entra-sync';
import { startAllTenantsSync } from '../src/client';
import { createWorld, withWorkers } from './support/estate';
import { discoverAndMap } from './support/onboard';
import { count, useServers } from './support/scenario';

const servers = useServers();

test('a listing that fails half-way inactivates nobody; the other tenants complete', async () => {
  const { pg, temporal } = servers();
  const sandbox = await Sandbox.start({ seed: 41, tenants: 4, usersPerTenant: 30, defaultPageSize: 10, deltaPageSize: 10 });
  const world = await createWorld(pg, {}, sandbox);
  // Pages of ten users, so the failing second page stops the listing half-way.
  world.providerConfig = { kind: 'direct', settings: { ...sandbox.graphSettings(), usersPageSize: 10 } };
  try {
    await discoverAndMap(world);
    await withWorkers(world, temporal, 1, async () => {
      const first = await (await startAllTenantsSync(temporal.client, { trigger: 'manual', useDelta: false }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:first` })).result();
      assert.equal(first.status, 'completed');
      const victim = (await world.pool.query<{ entra_tenant_id: string }>(
        `SELECT entra_tenant_id FROM tenant_mappings WHERE closed_at IS NULL ORDER BY entra_tenant_id LIMIT 1`)).rows[0].entra_tenant_id;
      const activeBefore = await count(world.pool, 'SELECT count(*) n FROM contacts WHERE NOT is_inactive');

      sandbox.updateFaults({ failingPage: { [victim]: 1 } });
      const second = await (await startAllTenantsSync(temporal.client, { trigger: 'manual', useDelta: false }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:half` })).result();

      assert.equal(await count(world.pool, 'SELECT count(*) n FROM contacts WHERE NOT is_inactive'), activeBefore, 'nobody inactivated');
      const result = (await world.pool.query('SELECT status, listing_complete, warnings FROM tenant_results WHERE run_id = $1 AND entra_tenant_id = $2',
        [second.runId, victim])).rows[0];
      assert.equal(result.status, 'succeeded');
      assert.equal(result.listing_complete, false);
      assert.ok(result.warnings.some((w: { code: string }) => w.code === 'listing_failed' || w.code === 'listing_incomplete'));
      assert.equal(second.tenantsSucceeded, second.tenantsTotal);
    });
  } finally {
    await world.close();
    await sandbox.shutdown();
  }
});

test('a 429 storm is retried by the library, then by Temporal, and the run completes', async () => {
  const { pg, temporal } = servers();
  const sandbox = await Sandbox.start({ seed: 43, tenants: 3, usersPerTenant: 10 });
  const world = await createWorld(pg, {}, sandbox);
  // One library retry per call, so the storm outlasts the library and reaches Temporal.
  world.providerConfig = { kind: 'direct', settings: { ...sandbox.graphSettings(), policy: { maxRetries: 1 } } };
  try {
    await discoverAndMap(world);
    sandbox.updateFaults({ graphThrottleNext: 12, retryAfterSecs: 0 });
    await withWorkers(world, temporal, 1, async () => {
      const run = await (await startAllTenantsSync(temporal.client, { trigger: 'manual' }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:storm` })).result();
      const results = await world.pool.query('SELECT entra_tenant_id, status, error_code, attempt FROM tenant_results WHERE run_id = $1', [run.runId]);
      assert.equal(run.status, 'completed', JSON.stringify(results.rows));
      const retried = await count(world.pool, 'SELECT count(*) n FROM tenant_results WHERE run_id = $1 AND attempt > 1', [run.runId]);
      assert.ok(retried > 0, 'Temporal retried at least one tenant after the library gave up');
    });
  } finally {
    await world.close();
    await sandbox.shutdown();
  }
});

test('a tenant without consent fails alone with its code; the run is partial', async () => {
  const { pg, temporal } = servers();
  const sandbox = await Sandbox.start({ seed: 47, tenants: 3, usersPerTenant: 10 });
  const world = await createWorld(pg, {}, sandbox);
  try {
    await discoverAndMap(world);
    const victim = (await world.pool.query<{ entra_tenant_id: string }>(
      `SELECT entra_tenant_id FROM tenant_mappings WHERE closed_at IS NULL ORDER BY entra_tenant_id LIMIT 1`)).rows[0].entra_tenant_id;
    sandbox.updateFaults({ tokenErrors: { [victim]: 'consent_missing' } });
    await withWorkers(world, temporal, 1, async () => {
      const run = await (await startAllTenantsSync(temporal.client, { trigger: 'manual' }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:consent` })).result();
      assert.equal(run.status, 'partial');
      assert.equal(run.tenantsFailed, 1);
      const failed = (await world.pool.query('SELECT entra_tenant_id, error_code, attempt FROM tenant_results WHERE run_id = $1 AND status = $2',
        [run.runId, 'failed'])).rows;
      assert.deepEqual(failed.map((r) => [r.entra_tenant_id, r.error_code]), [[victim, 'consent_required']]);
    });
  } finally {
    await world.close();
    await sandbox.shutdown();
  }
});
