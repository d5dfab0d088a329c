/**
 * A worker process, configured by its environment:
 *
 *   DATABASE_URL          postgres://... of the PSA's database
 *   TEMPORAL_ADDRESS      host:port of the Temporal frontend
 *   TASK_QUEUE            the task queue (default `entra-sync`)
 *   ENTRA_PROVIDER        JSON: {"kind": "direct", "settings": {...}} or {"kind": "cipp", "settings": {...}}
 *   WORKER_NAME           recorded with each tenant result (default `worker-<pid>`)
 *   MAX_ACTIVITIES        activities at the same time (default 4)
 *
 * It migrates the database, then runs until SIGINT or SIGTERM.
 */
import { Runtime } from '@temporalio/worker';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { createProvider } from './provider';
import { createWorker } from './worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: undefined, shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const pool = createPool(required('DATABASE_URL'));
  await migrate(pool);
  const { worker, connection } = await createWorker({
    temporalAddress: required('TEMPORAL_ADDRESS'),
    taskQueue: process.env.TASK_QUEUE ?? 'entra-sync',
    pool,
    provider: createProvider(JSON.parse(required('ENTRA_PROVIDER'))),
    workerName: process.env.WORKER_NAME ?? `worker-${process.pid}`,
    maxConcurrentActivities: Number(process.env.MAX_ACTIVITIES ?? 4),
  });
  process.stdout.write('worker ready\n');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await pool.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
