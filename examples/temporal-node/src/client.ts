/**
 * Starting runs from the PSA's web tier. Workflow ids are the library's run ids: a double-clicked
 * "Sync now" computes the same id inside one time bucket, and Temporal refuses a second workflow
 * with a running id, so the click joins the run already going.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { runId } from 'entra-sync';
import type { RunKey } from 'entra-sync';
import { allTenantsSyncWorkflow, initialSyncWorkflow, tenantSyncWorkflow } from './workflows';
import type { InitialSyncRequest, SyncAllRequest, TenantSyncRequest } from './workflows';

export interface StartOptions {
  taskQueue: string;
  /** The time the request was made (seconds since the epoch); runs in one bucket share an id. */
  unixSeconds?: number;
  bucketSeconds?: number;
  /** Or an explicit request key (an HTTP request id) instead of a time bucket. */
  requestKey?: string;
}

function discriminator(o: StartOptions): RunKey['discriminator'] {
  return o.requestKey !== undefined
    ? { kind: 'request_key', key: o.requestKey }
    : { kind: 'time_bucket', unixSeconds: o.unixSeconds ?? Math.floor(Date.now() / 1000), bucketSeconds: o.bucketSeconds ?? 300 };
}

async function startOrJoin<T extends (...args: any[]) => Promise<unknown>>(
  client: Client, workflow: T, workflowId: string, taskQueue: string, args: Parameters<T>,
): Promise<WorkflowHandle<T>> {
  try {
    // A running run with this id is joined; a finished one is never started again (a later
    // attempt gets its own id from `runId`'s attempt counter).
    const options = {
      workflowId,
      taskQueue,
      args,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    } as unknown as WorkflowStartOptions<T>;
    return await client.workflow.start(workflow, options);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(workflowId);
    throw err;
  }
}

export function startAllTenantsSync(client: Client, req: SyncAllRequest, o: StartOptions) {
  const id = runId({ scope: 'all_tenants', trigger: req.trigger, discriminator: discriminator(o) });
  return startOrJoin(client, allTenantsSyncWorkflow, id, o.taskQueue, [req]);
}

export function startTenantSync(client: Client, req: TenantSyncRequest, o: StartOptions) {
  const id = runId({ scope: 'tenant', trigger: req.trigger, entraTenantId: req.entraTenantId, discriminator: discriminator(o) });
  return startOrJoin(client, tenantSyncWorkflow, id, o.taskQueue, [req]);
}

export function startInitialSync(client: Client, req: Omit<InitialSyncRequest, 'discoveryRunId' | 'syncRunId'>, o: StartOptions) {
  const d = discriminator(o);
  const discoveryRunId = runId({ scope: 'discovery', trigger: 'initial', discriminator: d });
  const syncRunId = runId({ scope: 'all_tenants', trigger: 'initial', discriminator: d });
  return startOrJoin(client, initialSyncWorkflow, `${syncRunId}:onboarding`, o.taskQueue, [{ ...req, discoveryRunId, syncRunId }]);
}

/** The recurring sync: a Temporal schedule that starts an all-tenants run every `everyMinutes`. */
export async function ensureRecurringSync(client: Client, taskQueue: string, everyMinutes: number, scheduleId = 'entra-sync-all-tenants') {
  try {
    return await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: `${everyMinutes}m` }] },
      action: {
        type: 'startWorkflow',
        workflowType: allTenantsSyncWorkflow,
        taskQueue,
        workflowId: 'entra-sync:all_tenants:scheduled',
        args: [{ trigger: 'scheduled', concurrency: 4, useDelta: true }],
      },
    });
  } catch (err) {
    if ((err as Error).name === 'ScheduleAlreadyRunning') return client.schedule.getHandle(scheduleId);
    throw err;
  }
}
