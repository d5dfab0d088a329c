/**
 * A throwaway PostgreSQL cluster per test file (scripts/postgres.sh: installed from the
 * distribution's packages when missing, started on a free loopback port), with one fresh database
 * per scenario.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

const SCRIPT = join(__dirname, '..', '..', '..', 'scripts', 'postgres.sh');

export interface PostgresCluster {
  port: number;
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

export async function startPostgres(): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'entra-pg-'));
  const port = await freePort();
  execFileSync('bash', [SCRIPT, 'start', dir, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase(name: string) {
      const client = new Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
    },
  };
}
