/**
 * A worker: polls the task queue for workflow and activity tasks. Several workers on one task
 * queue share the tenants of a run; a killed worker's tenants are retried by the others.
 */
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from './activities';
import type { Provider } from './provider';

export interface WorkerOptions {
  temporalAddress: string;
  taskQueue: string;
  pool: Pool;
  provider: Provider;
  workerName: string;
  /** Activities run at the same time on this worker. */
  maxConcurrentActivities?: number;
  /** A bundle built once (tests start many workers); built on demand otherwise. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};

export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue: options.taskQueue,
    identity: options.workerName,
    workflowBundle: options.workflowBundle ?? (await bundleWorkflows()),
    activities: createActivities({ pool: options.pool, provider: options.provider, workerName: options.workerName }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 4,
  });
  return { worker, connection };
}
