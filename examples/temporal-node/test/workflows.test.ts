/** The four workflows end to end: a real Temporal dev server, PostgreSQL, the library's sandbox. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureRecurringSync, startAllTenantsSync, startInitialSync, startTenantSync } from '../src/client';
import { contactsTable, createWorld, withWorkers } from './support/estate';
import { changes, count, runCounters, runRow, useServers } from './support/scenario';

const servers = useServers();
const ESTATE = { seed: 11, tenants: 5, usersPerTenant: 25 };

test('onboarding discovers, previews, confirms domain matches and syncs into the PSA tables', async () => {
  const { pg, temporal } = servers();
  const world = await createWorld(pg, ESTATE);
  try {
    await withWorkers(world, temporal, 1, async () => {
      const handle = await startInitialSync(temporal.client, { confirmAutoMatched: true }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:onboarding` });
      const result = await handle.result();

      assert.equal(result.discovery.inserted, world.sandbox.tenants().length);
      assert.equal((await runRow(world.pool, result.discovery.runId)).status, 'completed');
      assert.ok(result.confirmed > 0, 'domain matches were confirmed');
      const mapped = await count(world.pool, `SELECT count(*) n FROM tenant_mappings WHERE closed_at IS NULL AND state = 'mapped'`);
      assert.equal(mapped, result.confirmed);

      assert.equal(result.sync.status, 'completed');
      assert.equal(result.sync.tenantsSucceeded, mapped);
      const c = result.sync.counters;
      assert.ok(c.created + c.linked > 0, 'contacts were created or linked');
      const links = await count(world.pool, 'SELECT count(*) n FROM contact_links WHERE active');
      assert.equal(links, c.created + c.linked, 'one active link per created or linked contact');
      const created = await count(world.pool, 'SELECT count(*) n FROM contacts WHERE created_by_sync');
      assert.equal(created, c.created);
    });
  } finally {
    await world.close();
  }
});

test('a second all-tenants run changes nothing, and a double start joins the running workflow', async () => {
  const { pg, temporal } = servers();
  const world = await createWorld(pg, ESTATE);
  try {
    await withWorkers(world, temporal, 1, async () => {
      await (await startInitialSync(temporal.client, { confirmAutoMatched: true }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:first` })).result();
      const before = await contactsTable(world.pool);

      const options = { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:sync-now-click` };
      const first = await startAllTenantsSync(temporal.client, { trigger: 'manual' }, options);
      const second = await startAllTenantsSync(temporal.client, { trigger: 'manual' }, options);
      assert.equal(second.workflowId, first.workflowId);
      assert.equal((await second.describe()).runId, (await first.describe()).runId, 'the second click joined the first run');
      const summary = await first.result();
      assert.equal(summary.status, 'completed');
      const third = await startAllTenantsSync(temporal.client, { trigger: 'manual' }, options);
      assert.equal((await third.describe()).runId, (await first.describe()).runId, 'a finished run is not started again');
      assert.equal(changes(await runCounters(world.pool, first.workflowId)), 0);
      assert.deepEqual(await contactsTable(world.pool), before);
      assert.equal(await count(world.pool, 'SELECT count(*) n FROM runs WHERE run_id = $1', [first.workflowId]), 1);
    });
  } finally {
    await world.close();
  }
});

test('a single-tenant sync follows upstream changes: a disabled user inactivates its contact, nothing is deleted', async () => {
  const { pg, temporal } = servers();
  const world = await createWorld(pg, ESTATE);
  try {
    await withWorkers(world, temporal, 1, async () => {
      await (await startInitialSync(temporal.client, { confirmAutoMatched: true }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:first` })).result();
      const link = (await world.pool.query(
        `SELECT l.entra_tenant_id, l.entra_object_id, l.contact_id FROM contact_links l JOIN contacts c USING (contact_id)
          WHERE l.active AND NOT c.is_inactive ORDER BY l.id LIMIT 1`)).rows[0];
      const contactsBefore = await count(world.pool, 'SELECT count(*) n FROM contacts');
      world.sandbox.mutate({ kind: 'disable', userId: link.entra_object_id });

      const handle = await startTenantSync(temporal.client, { trigger: 'manual', entraTenantId: link.entra_tenant_id }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:disable` });
      const summary = await handle.result();
      assert.equal(summary.status, 'completed');
      assert.equal(summary.counters.inactivated, 1);
      const contact = (await world.pool.query('SELECT is_inactive, inactive_source FROM contacts WHERE contact_id = $1', [link.contact_id])).rows[0];
      assert.deepEqual(contact, { is_inactive: true, inactive_source: 'entra_sync' });
      assert.equal(await count(world.pool, 'SELECT count(*) n FROM contacts'), contactsBefore);
      const mode = await count(world.pool, 'SELECT count(*) n FROM delta_links WHERE entra_tenant_id = $1', [link.entra_tenant_id]);
      assert.equal(mode, 1, 'the delta link moved forward');
    });
  } finally {
    await world.close();
  }
});

test('the recurring schedule starts all-tenants runs with the scheduled trigger', async () => {
  const { pg, temporal } = servers();
  const world = await createWorld(pg, ESTATE);
  try {
    await withWorkers(world, temporal, 1, async () => {
      await (await startInitialSync(temporal.client, { confirmAutoMatched: true }, { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:first` })).result();
      const schedule = await ensureRecurringSync(temporal.client, world.taskQueue, 1440, `schedule-${world.taskQueue}`);
      try {
        await schedule.trigger();
        const deadline = Date.now() + 60_000;
        let done = 0;
        while (done === 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          done = await count(world.pool, `SELECT count(*) n FROM runs WHERE trigger = 'scheduled' AND status = 'completed'`);
        }
        assert.equal(done, 1);
      } finally {
        await schedule.delete();
      }
    });
  } finally {
    await world.close();
  }
});
