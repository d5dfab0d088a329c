/** Two workers on one task queue share an all-tenants run; the result equals a one-worker run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sandbox } from 'entra-sync';
import { startAllTenantsSync } from '../src/client';
import { activeLinks, contactsTable, createWorld, withWorkers } from './support/estate';
import { discoverAndMap } from './support/onboard';
import { count, runCounters, useServers } from './support/scenario';

const servers = useServers();

test('two workers split an all-tenants run over 50+ tenants; each tenant is applied once; same result as one worker', async () => {
  const { pg, temporal } = servers();
  const sandbox = await Sandbox.start({ seed: 23, tenants: 56, usersPerTenant: 15, faults: { latency: 0.01 } });
  const two = await createWorld(pg, {}, sandbox);
  const one = await createWorld(pg, {}, sandbox);
  try {
    const mapped = await discoverAndMap(two);
    assert.ok(mapped >= 50, `at least 50 mapped tenants (got ${mapped})`);
    assert.equal(await discoverAndMap(one), mapped);

    const twoRun = await withWorkers(two, temporal, 2, async () =>
      (await startAllTenantsSync(temporal.client, { trigger: 'manual', concurrency: 8 }, { taskQueue: two.taskQueue, requestKey: `${two.taskQueue}:scale` })).result());
    const oneRun = await withWorkers(one, temporal, 1, async () =>
      (await startAllTenantsSync(temporal.client, { trigger: 'manual', concurrency: 8 }, { taskQueue: one.taskQueue, requestKey: `${one.taskQueue}:scale` })).result());

    assert.equal(twoRun.status, 'completed');
    assert.equal(twoRun.tenantsSucceeded, mapped);
    const workers = await two.pool.query<{ worker: string; n: string }>(
      'SELECT worker, count(*) n FROM tenant_results WHERE run_id = $1 GROUP BY worker ORDER BY worker', [twoRun.runId]);
    assert.deepEqual(workers.rows.map((r) => r.worker), ['worker-1', 'worker-2'], 'both workers synced tenants');
    assert.equal(workers.rows.reduce((n, r) => n + Number(r.n), 0), mapped, 'one result per tenant');
    const applied = (world: typeof two, runId: string) =>
      count(world.pool, 'SELECT count(*) n FROM applied_actions WHERE run_id = $1', [runId]);
    assert.equal(await applied(two, twoRun.runId), await applied(one, oneRun.runId), 'each action applied once');

    assert.deepEqual(await contactsTable(two.pool), await contactsTable(one.pool));
    assert.deepEqual(await activeLinks(two.pool), await activeLinks(one.pool));
    assert.deepEqual(await runCounters(two.pool, twoRun.runId), await runCounters(one.pool, oneRun.runId));
  } finally {
    await two.close();
    await one.close();
    await sandbox.shutdown();
  }
});
