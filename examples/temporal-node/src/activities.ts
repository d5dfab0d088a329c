/**
 * The activities: each one a retry-safe step. A tenant's sync reads the users, loads what the plan
 * needs in one batch, plans with the library and applies the plan in one transaction that also
 * records the tenant's result, so a retried activity (a crashed worker, a timeout) either finds
 * the result already committed or starts over on untouched data.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import {
  EntraSyncError,
  mergeDiscovery,
  planMappingChanges,
  planTenantSyncAsync,
  previewMappings as preview,
} from 'entra-sync';
import type { MappingOperation, PreviewOutput, Warning } from 'entra-sync';
import { withTransaction } from './db/pool';
import { applyPlan } from './host/apply';
import { loadActiveMappings, loadClients, loadTenants, saveDiscovery, saveMappingChanges } from './host/mappings';
import { loadPlanInput } from './host/plan-input';
import { RunScope, RunSummary, TenantOutcome, finishRun, loadSucceeded, recordTenantResult, startRun } from './host/runs';
import { readUsers } from './listing';
import type { Provider } from './provider';

/** Upstream failures that no retry will fix: the tenant fails at once with the library's code. */
const PERMANENT_CODES = new Set([
  'consent_required', 'gdap_role_missing', 'auth_failed', 'invalid_grant', 'invalid_client', 'configuration',
  'tenant_not_found', 'not_mapped', 'invalid_input', 'plan_rejected',
]);

export interface ActivityDeps {
  pool: Pool;
  provider: Provider;
  /** Written into each tenant result: which worker applied it. */
  workerName: string;
}

export interface SyncTenantRequest {
  runId: string;
  entraTenantId: string;
  clientId: string;
  useDelta: boolean;
}

export interface DiscoverySummary {
  runId: string;
  listingComplete: boolean;
  inserted: number;
  updated: number;
  notListed: number;
  warnings: Warning[];
}

export interface MappedTenant {
  entraTenantId: string;
  clientId: string;
}

function heartbeat(detail?: string): void {
  try {
    Context.current().heartbeat(detail);
  } catch {
    // Outside an activity (a direct call from a test or script): nothing to report to.
  }
}

/** A library error as a Temporal failure that keeps its code; permanent ones are not retried. */
function asFailure(err: unknown): unknown {
  if (err instanceof EntraSyncError) {
    const code = err.code;
    return PERMANENT_CODES.has(code)
      ? ApplicationFailure.nonRetryable(err.message, code, { code, details: err.details ?? null })
      : ApplicationFailure.retryable(err.message, code, { code, details: err.details ?? null });
  }
  return err;
}

export function createActivities(deps: ActivityDeps) {
  const { pool, provider, workerName } = deps;

  return {
    async startRun(runId: string, scope: RunScope, trigger: string): Promise<void> {
      await startRun(pool, runId, scope, trigger);
    },

    async discoverTenants(runId: string, trigger: string): Promise<DiscoverySummary> {
      await startRun(pool, runId, 'discovery', trigger);
      let listing;
      try {
        listing = await provider.listManagedTenants();
      } catch (err) {
        throw asFailure(err);
      }
      heartbeat('listed');
      const summary = await withTransaction(pool, async (tx) => {
        const known = await loadTenants(tx, true);
        const merge = mergeDiscovery({ known, listed: listing.tenants, listingComplete: listing.complete });
        await saveDiscovery(tx, merge);
        return {
          runId,
          listingComplete: listing.complete,
          inserted: merge.insert.length,
          updated: merge.update.length,
          notListed: merge.notListed.length,
          warnings: [...(listing.warnings ?? []), ...merge.warnings],
        };
      });
      await pool.query(
        `UPDATE runs SET status = $2, finished_at = now(), warnings = $3, counters = $4 WHERE run_id = $1`,
        [runId, summary.listingComplete ? 'completed' : 'partial', JSON.stringify(summary.warnings),
          JSON.stringify({ inserted: summary.inserted, updated: summary.updated, notListed: summary.notListed })],
      );
      return summary;
    },

    async previewMappings(): Promise<PreviewOutput> {
      return withTransaction(pool, async (tx) => {
        const tenants = (await loadTenants(tx)).filter((t) => t.status !== 'not_listed');
        return preview({ tenants, clients: await loadClients(tx), mappings: await loadActiveMappings(tx) });
      });
    },

    /** Confirms, skips, remaps or unmaps tenants: the operator's decisions, written by the host. */
    async applyMappingChanges(operations: MappingOperation[]): Promise<number> {
      return withTransaction(pool, async (tx) => {
        const mappings = await loadActiveMappings(tx, true);
        const output = planMappingChanges({ mappings, operations, now: new Date().toISOString() });
        await saveMappingChanges(tx, output);
        return output.changes.length;
      });
    },

    async listMappedTenants(): Promise<MappedTenant[]> {
      const rows = await pool.query<{ entra_tenant_id: string; client_id: string }>(
        `SELECT m.entra_tenant_id, m.client_id FROM tenant_mappings m JOIN tenants t USING (entra_tenant_id)
          WHERE m.closed_at IS NULL AND m.state = 'mapped' AND t.status = 'active' ORDER BY m.entra_tenant_id`,
      );
      return rows.rows.map((r) => ({ entraTenantId: r.entra_tenant_id, clientId: r.client_id }));
    },

    async syncTenant(req: SyncTenantRequest): Promise<TenantOutcome> {
      const done = await loadSucceeded(pool, req.runId, req.entraTenantId);
      if (done) return done;
      const attempt = (() => {
        try {
          return Context.current().info.attempt;
        } catch {
          return 1;
        }
      })();
      const stored = await pool.query<{ delta_link: string }>(
        'SELECT delta_link FROM delta_links WHERE entra_tenant_id = $1',
        [req.entraTenantId],
      );
      let listing;
      try {
        listing = await readUsers(provider, req.entraTenantId, stored.rows[0]?.delta_link ?? null, req.useDelta);
      } catch (err) {
        throw asFailure(err);
      }
      heartbeat('listed');
      return withTransaction(pool, async (tx) => {
        // A concurrent attempt of the same tenant (a worker thought dead) may have committed meanwhile.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${req.runId}|${req.entraTenantId}`]);
        const again = await loadSucceeded(tx, req.runId, req.entraTenantId);
        if (again) return again;
        const input = await loadPlanInput(tx, req.entraTenantId, req.clientId, listing);
        let plan;
        try {
          plan = await planTenantSyncAsync(input);
        } catch (err) {
          throw asFailure(err);
        }
        heartbeat('planned');
        await applyPlan(tx, req.runId, plan, () => heartbeat('applying'));
        if (listing.nextDeltaLink) {
          await tx.query(
            `INSERT INTO delta_links (entra_tenant_id, delta_link) VALUES ($1, $2)
             ON CONFLICT (entra_tenant_id) DO UPDATE SET delta_link = EXCLUDED.delta_link, updated_at = now()`,
            [req.entraTenantId, listing.nextDeltaLink],
          );
        } else if (listing.forgetStoredLink) {
          await tx.query('DELETE FROM delta_links WHERE entra_tenant_id = $1', [req.entraTenantId]);
        }
        // A delta round lists only changed users by design: that is not an incomplete listing.
        const warnings = [
          ...plan.warnings.filter((w) => !(listing.complete && w.code === 'listing_incomplete')),
          ...listing.warnings,
        ];
        const outcome: TenantOutcome = {
          entraTenantId: req.entraTenantId,
          clientId: req.clientId,
          status: 'succeeded',
          counters: plan.counters,
          warnings,
          listingComplete: listing.complete,
          usersListed: listing.users.length,
          worker: workerName,
          attempt,
        };
        await recordTenantResult(tx, req.runId, outcome);
        return outcome;
      });
    },

    /** The tenant failed for good (every attempt used, or a permanent error): record why. */
    async recordTenantFailure(runId: string, tenant: MappedTenant, code: string, message: string): Promise<void> {
      await recordTenantResult(pool, runId, {
        entraTenantId: tenant.entraTenantId,
        clientId: tenant.clientId,
        status: 'failed',
        counters: {},
        warnings: [],
        errorCode: code,
        errorMessage: message.slice(0, 1000),
        worker: workerName,
      });
    },

    async finishRun(runId: string, tenantsTotal: number): Promise<RunSummary> {
      return finishRun(pool, runId, tenantsTotal);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
