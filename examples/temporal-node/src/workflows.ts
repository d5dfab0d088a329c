/**
 * The four sync workflows. Each workflow's id is a run id from the library's `runId` (computed by
 * the client that starts it), so starting the same run twice joins the running workflow instead
 * of syncing twice. Tenants are isolated: a tenant whose activity fails for good is recorded as
 * failed and the others go on; the parent run then ends `partial`.
 */
import { ActivityFailure, ApplicationFailure, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities, DiscoverySummary, MappedTenant } from './activities';
import type { RunSummary, TenantOutcome } from './host/runs';
import type { PreviewOutput } from 'entra-sync';

const { startRun, discoverTenants, previewMappings, applyMappingChanges, listMappedTenants, recordTenantFailure, finishRun } =
  proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
  });

/** A tenant's sync heartbeats, so a killed worker's activity is retried elsewhere within seconds. */
const { syncTenant } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
});

export interface SyncAllRequest {
  trigger: 'initial' | 'manual' | 'scheduled';
  /** Tenants synced at the same time. */
  concurrency?: number;
  useDelta?: boolean;
}

export interface TenantSyncRequest {
  trigger: 'initial' | 'manual' | 'scheduled';
  entraTenantId: string;
  useDelta?: boolean;
}

export interface InitialSyncRequest {
  /** The run id of the discovery child (from `runId` with scope `discovery`). */
  discoveryRunId: string;
  /** The run id of the all-tenants child (from `runId` with scope `all_tenants`, trigger `initial`). */
  syncRunId: string;
  /** Confirm the tenants the preview matched by domain without an operator. */
  confirmAutoMatched: boolean;
  concurrency?: number;
}

export interface InitialSyncResult {
  discovery: DiscoverySummary;
  confirmed: number;
  needsReview: number;
  sync: RunSummary;
}

function failureCode(err: unknown): { code: string; message: string } {
  let cause: unknown = err;
  if (cause instanceof ActivityFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'failed', message: cause.message };
  return { code: 'failed', message: cause instanceof Error ? cause.message : String(cause) };
}

async function syncTenants(runId: string, tenants: MappedTenant[], concurrency: number, useDelta: boolean): Promise<TenantOutcome[]> {
  const results: TenantOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < tenants.length) {
      const tenant = tenants[next++];
      try {
        results.push(await syncTenant({ runId, entraTenantId: tenant.entraTenantId, clientId: tenant.clientId, useDelta }));
      } catch (err) {
        const { code, message } = failureCode(err);
        await recordTenantFailure(runId, tenant, code, message);
        results.push({ entraTenantId: tenant.entraTenantId, clientId: tenant.clientId, status: 'failed', counters: {}, warnings: [], errorCode: code, errorMessage: message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tenants.length)) }, lane));
  return results;
}

/** Lists the customer tenants and stores what changed. */
export async function discoveryWorkflow(trigger: string = 'manual'): Promise<DiscoverySummary> {
  return discoverTenants(workflowInfo().workflowId, trigger);
}

/** Every mapped tenant, with bounded concurrency; partial success is recorded, not thrown. */
export async function allTenantsSyncWorkflow(req: SyncAllRequest): Promise<RunSummary> {
  const runId = workflowInfo().workflowId;
  await startRun(runId, 'all_tenants', req.trigger);
  const tenants = await listMappedTenants();
  await syncTenants(runId, tenants, req.concurrency ?? 4, req.useDelta ?? true);
  return finishRun(runId, tenants.length);
}

/** One mapped tenant ("sync now" on a tenant). */
export async function tenantSyncWorkflow(req: TenantSyncRequest): Promise<RunSummary> {
  const runId = workflowInfo().workflowId;
  await startRun(runId, 'tenant', req.trigger);
  const tenant = (await listMappedTenants()).find((t) => t.entraTenantId === req.entraTenantId);
  if (!tenant) {
    throw ApplicationFailure.nonRetryable(`tenant ${req.entraTenantId} is not mapped to a client`, 'not_mapped');
  }
  await syncTenants(runId, [tenant], 1, req.useDelta ?? true);
  return finishRun(runId, 1);
}

/** Onboarding: discovery, the mapping preview, confirmation of domain matches, then the first sync. */
export async function initialSyncWorkflow(req: InitialSyncRequest): Promise<InitialSyncResult> {
  const discovery = await executeChild(discoveryWorkflow, { workflowId: req.discoveryRunId, args: ['initial'] });
  const preview: PreviewOutput = await previewMappings();
  let confirmed = 0;
  if (req.confirmAutoMatched && preview.autoMatched.length > 0) {
    confirmed = await applyMappingChanges(
      preview.autoMatched.map((m) => ({ kind: 'confirm' as const, entraTenantId: m.entraTenantId, clientId: m.match.clientId })),
    );
  }
  const sync = await executeChild(allTenantsSyncWorkflow, {
    workflowId: req.syncRunId,
    args: [{ trigger: 'initial', concurrency: req.concurrency ?? 4, useDelta: true }],
  });
  return { discovery, confirmed, needsReview: preview.fuzzyCandidates.length, sync };
}
