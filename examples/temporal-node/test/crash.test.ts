/**
 * A worker killed with SIGKILL in the middle of an all-tenants run: another worker finishes the
 * run; nothing is duplicated or lost, the counters equal a clean run's, and a new run changes
 * nothing.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Sandbox } from 'entra-sync';
import { startAllTenantsSync } from '../src/client';
import { activeLinks, contactsTable, createWorld, withWorkers, World } from './support/estate';
import { discoverAndMap } from './support/onboard';
import { changes, count, runCounters, useServers } from './support/scenario';

const servers = useServers();
const WORKER_MAIN = join(__dirname, '..', 'src', 'worker-main.js');

function startWorkerProcess(world: World, address: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: world.databaseUrl,
      TEMPORAL_ADDRESS: address,
      TASK_QUEUE: world.taskQueue,
      ENTRA_PROVIDER: JSON.stringify(world.providerConfig),
      WORKER_NAME: name,
      MAX_ACTIVITIES: '4',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)));
  });
}

test('a worker killed mid-run: the run completes on another worker, exactly once, like a clean run', async () => {
  const { pg, temporal } = servers();
  const sandbox = await Sandbox.start({ seed: 31, tenants: 40, usersPerTenant: 20, faults: { latency: 0.05 } });
  const crashed = await createWorld(pg, {}, sandbox);
  const clean = await createWorld(pg, {}, sandbox);
  let a: ChildProcess | undefined;
  let b: ChildProcess | undefined;
  try {
    const mapped = await discoverAndMap(crashed);
    await discoverAndMap(clean);

    a = await startWorkerProcess(crashed, temporal.address, 'worker-a');
    const handle = await startAllTenantsSync(temporal.client, { trigger: 'manual', concurrency: 4 }, { taskQueue: crashed.taskQueue, requestKey: `${crashed.taskQueue}:crash` });
    const deadline = Date.now() + 120_000;
    while ((await count(crashed.pool, 'SELECT count(*) n FROM tenant_results WHERE run_id = $1', [handle.workflowId])) < 5) {
      if (Date.now() > deadline) throw new Error('the first worker made no progress');
      await new Promise((r) => setTimeout(r, 50));
    }
    a.kill('SIGKILL');
    await new Promise((r) => a!.once('exit', r));
    const doneWhenKilled = await count(crashed.pool, 'SELECT count(*) n FROM tenant_results WHERE run_id = $1', [handle.workflowId]);
    assert.ok(doneWhenKilled < mapped, 'the worker was killed before the run finished');

    b = await startWorkerProcess(crashed, temporal.address, 'worker-b');
    const summary = await handle.result();
    assert.equal(summary.status, 'completed');
    assert.equal(summary.tenantsSucceeded, mapped);
    const byB = await count(crashed.pool, `SELECT count(*) n FROM tenant_results WHERE run_id = $1 AND worker = 'worker-b'`, [handle.workflowId]);
    assert.ok(byB > 0, 'the second worker finished tenants');

    const cleanRun = await withWorkers(clean, temporal, 1, async () =>
      (await startAllTenantsSync(temporal.client, { trigger: 'manual', concurrency: 4 }, { taskQueue: clean.taskQueue, requestKey: `${clean.taskQueue}:crash` })).result());
    const dup = await count(crashed.pool, `SELECT count(*) - count(DISTINCT lower(btrim(email))) n FROM contacts WHERE email IS NOT NULL`);
    assert.equal(dup, 0, 'no duplicate contact');
    assert.deepEqual(await contactsTable(crashed.pool), await contactsTable(clean.pool), 'none lost, none duplicated');
    assert.deepEqual(await activeLinks(crashed.pool), await activeLinks(clean.pool));
    assert.deepEqual(await runCounters(crashed.pool, handle.workflowId), await runCounters(clean.pool, cleanRun.runId));

    const again = await startAllTenantsSync(temporal.client, { trigger: 'manual', concurrency: 4 }, { taskQueue: crashed.taskQueue, requestKey: `${crashed.taskQueue}:after-crash` });
    const rerun = await again.result();
    assert.equal(rerun.status, 'completed');
    assert.equal(changes(await runCounters(crashed.pool, rerun.runId)), 0, 'running the sync again changes nothing');
  } finally {
    a?.kill('SIGKILL');
    if (b) {
      b.kill('SIGTERM');
      await new Promise((r) => (b!.exitCode !== null ? r(null) : b!.once('exit', r)));
    }
    await crashed.close();
    await clean.close();
    await sandbox.shutdown();
  }
});
