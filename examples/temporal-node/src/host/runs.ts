/**
 * Runs and their per-tenant results. A run row is created once (its id is the workflow id, so a
 * retried or double-started run finds its own row), each tenant's result is written in the same
 * transaction as that tenant's changes, and the parent's status is derived from the results.
 */
import type { Pool } from 'pg';
import type { Counters, Warning } from 'entra-sync';
import type { Tx } from '../db/pool';

export type RunScope = 'all_tenants' | 'tenant' | 'discovery';
export type RunStatus = 'running' | 'completed' | 'partial' | 'failed';

export async function startRun(pool: Pool, runId: string, scope: RunScope, trigger: string): Promise<void> {
  await pool.query(
    `INSERT INTO runs (run_id, scope, trigger, status) VALUES ($1, $2, $3, 'running') ON CONFLICT (run_id) DO NOTHING`,
    [runId, scope, trigger],
  );
}

export interface TenantOutcome {
  entraTenantId: string;
  clientId: string | null;
  status: 'succeeded' | 'failed';
  counters: Partial<Counters>;
  warnings: Warning[];
  errorCode?: string | null;
  errorMessage?: string | null;
  listingComplete?: boolean | null;
  usersListed?: number | null;
  worker?: string | null;
  attempt?: number;
}

/** The stored result of a tenant in a run, if it already succeeded (a retried activity stops here). */
export async function loadSucceeded(tx: Tx | Pool, runId: string, tenantId: string): Promise<TenantOutcome | null> {
  const rows = await tx.query(
    `SELECT entra_tenant_id, client_id, status, counters, warnings, listing_complete, users_listed, worker, attempt
       FROM tenant_results WHERE run_id = $1 AND entra_tenant_id = $2 AND status = 'succeeded'`,
    [runId, tenantId],
  );
  const r = rows.rows[0];
  if (!r) return null;
  return {
    entraTenantId: r.entra_tenant_id, clientId: r.client_id, status: 'succeeded', counters: r.counters,
    warnings: r.warnings, listingComplete: r.listing_complete, usersListed: r.users_listed, worker: r.worker,
    attempt: r.attempt,
  };
}

export async function recordTenantResult(tx: Tx | Pool, runId: string, outcome: TenantOutcome): Promise<void> {
  await tx.query(
    `INSERT INTO tenant_results (run_id, entra_tenant_id, client_id, status, counters, warnings, error_code,
                                 error_message, listing_complete, users_listed, worker, attempt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (run_id, entra_tenant_id) DO UPDATE
       SET client_id = EXCLUDED.client_id, status = EXCLUDED.status, counters = EXCLUDED.counters,
           warnings = EXCLUDED.warnings, error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message,
           listing_complete = EXCLUDED.listing_complete, users_listed = EXCLUDED.users_listed,
           worker = EXCLUDED.worker, attempt = EXCLUDED.attempt, finished_at = now()
       WHERE tenant_results.status <> 'succeeded'`,
    [
      runId, outcome.entraTenantId, outcome.clientId, outcome.status, JSON.stringify(outcome.counters),
      JSON.stringify(outcome.warnings), outcome.errorCode ?? null, outcome.errorMessage ?? null,
      outcome.listingComplete ?? null, outcome.usersListed ?? null, outcome.worker ?? null, outcome.attempt ?? 1,
    ],
  );
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  tenantsTotal: number;
  tenantsSucceeded: number;
  tenantsFailed: number;
  counters: Record<string, number>;
}

/** Closes a run: `completed` when every tenant succeeded, `partial` when some did, else `failed`. */
export async function finishRun(pool: Pool, runId: string, tenantsTotal: number): Promise<RunSummary> {
  const rows = await pool.query<{ status: string; counters: Record<string, number> }>(
    'SELECT status, counters FROM tenant_results WHERE run_id = $1',
    [runId],
  );
  const succeeded = rows.rows.filter((r) => r.status === 'succeeded');
  const failed = rows.rows.length - succeeded.length;
  const counters: Record<string, number> = {};
  for (const r of succeeded) {
    for (const [k, v] of Object.entries(r.counters)) counters[k] = (counters[k] ?? 0) + (typeof v === 'number' ? v : 0);
  }
  const status: RunStatus =
    failed === 0 && succeeded.length >= tenantsTotal ? 'completed' : succeeded.length > 0 ? 'partial' : 'failed';
  await pool.query(
    `UPDATE runs SET status = $2, finished_at = now(), tenants_total = $3, tenants_succeeded = $4,
                     tenants_failed = $5, counters = $6
      WHERE run_id = $1`,
    [runId, status, tenantsTotal, succeeded.length, failed, JSON.stringify(counters)],
  );
  return { runId, status, tenantsTotal, tenantsSucceeded: succeeded.length, tenantsFailed: failed, counters };
}
