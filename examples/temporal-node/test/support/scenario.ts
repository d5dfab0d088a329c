/**
 * The servers a test file shares (one PostgreSQL cluster, one Temporal dev server), started in
 * `before` and stopped in `after`, and the queries the scenarios check the database with.
 */
import { after, before } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Pool } from 'pg';
import { PostgresCluster, startPostgres } from './postgres';
import { TemporalServer, startTemporal } from './temporal';

export interface Servers {
  pg: PostgresCluster;
  temporal: TemporalServer;
}

/** Registers the servers' start and stop on the current test file; read them inside tests. */
export function useServers(): () => Servers {
  // The workers' own logs only when something is wrong.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let servers: Servers | undefined;
  before(async () => {
    const pg = await startPostgres();
    try {
      servers = { pg, temporal: await startTemporal() };
    } catch (err) {
      pg.stop();
      throw err;
    }
  });
  after(async () => {
    if (!servers) return;
    await servers.temporal.stop();
    servers.pg.stop();
  });
  return () => {
    if (!servers) throw new Error('servers not started');
    return servers;
  };
}

export async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const rows = await pool.query<{ n: string }>(sql, params);
  return Number(rows.rows[0]?.n ?? 0);
}

export async function runRow(pool: Pool, runId: string) {
  const rows = await pool.query('SELECT * FROM runs WHERE run_id = $1', [runId]);
  return rows.rows[0];
}

/** Sums of the counters over a run's succeeded tenants. */
export async function runCounters(pool: Pool, runId: string): Promise<Record<string, number>> {
  const rows = await pool.query<{ counters: Record<string, number> }>(
    `SELECT counters FROM tenant_results WHERE run_id = $1 AND status = 'succeeded'`, [runId]);
  const sums: Record<string, number> = {};
  for (const r of rows.rows) for (const [k, v] of Object.entries(r.counters)) sums[k] = (sums[k] ?? 0) + v;
  return sums;
}

/** The counters that say something was written. */
export function changes(counters: Record<string, number>): number {
  return ['created', 'linked', 'updated', 'inactivated', 'reactivated'].reduce((n, k) => n + (counters[k] ?? 0), 0);
}
