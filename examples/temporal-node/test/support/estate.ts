/**
 * One scenario's world: the library's sandbox (Microsoft login + Graph over a synthetic MSP
 * estate), a fresh PSA database seeded with the sandbox's CRM clients and contacts, and workers.
 */
import type { Pool } from 'pg';
import { Sandbox } from 'entra-sync';
import type { Client as CrmClient, Contact, SandboxConfig } from 'entra-sync';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createPool } from '../../src/db/pool';
import { migrate } from '../../src/db/migrate';
import { contactAddresses } from '../../src/host/records';
import type { ProviderConfig } from '../../src/provider';
import { createProvider } from '../../src/provider';
import { bundleWorkflows, createWorker } from '../../src/worker';
import type { PostgresCluster } from './postgres';
import type { TemporalServer } from './temporal';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/**
 * Seeds the CRM side. The PSA allows one contact per address, so of the sandbox's deliberately
 * duplicated contacts (two records with one address) only the first is stored.
 */
export async function seedCrm(pool: Pool, clients: CrmClient[], contacts: Contact[]): Promise<void> {
  for (const c of clients) {
    await pool.query(
      'INSERT INTO clients (client_id, client_name, domains, secondary_domains) VALUES ($1, $2, $3, $4)',
      [c.clientId, c.clientName ?? c.clientId, c.domains ?? [], c.secondaryDomains ?? []],
    );
  }
  for (const c of contacts) {
    await pool.query(
      `INSERT INTO contacts (contact_id, client_id, email, additional_emails, emails_norm, full_name, role, phone_numbers)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT DO NOTHING`,
      [c.contactId, c.clientId ?? null, c.email ?? null, c.additionalEmails ?? [],
        contactAddresses(c.email, c.additionalEmails ?? []), c.fullName ?? null, c.role ?? null,
        JSON.stringify(c.phoneNumbers ?? [])],
    );
  }
}

export interface World {
  sandbox: Sandbox;
  pool: Pool;
  databaseUrl: string;
  providerConfig: ProviderConfig;
  taskQueue: string;
  close(): Promise<void>;
}

let worlds = 0;

export async function createWorld(pg: PostgresCluster, config: SandboxConfig, sandbox?: Sandbox): Promise<World> {
  const name = `psa_${process.pid}_${++worlds}`;
  const databaseUrl = await pg.createDatabase(name);
  const pool = createPool(databaseUrl, 20);
  await migrate(pool);
  const sb = sandbox ?? (await Sandbox.start(config));
  await seedCrm(pool, sb.crmClients(), sb.crmContacts());
  return {
    sandbox: sb,
    pool,
    databaseUrl,
    providerConfig: { kind: 'direct', settings: sb.graphSettings() },
    taskQueue: `q-${name}`,
    async close() {
      await pool.end();
      if (!sandbox) await sb.shutdown();
    },
  };
}

/** Runs `work` with `count` in-process workers on the world's task queue. */
export async function withWorkers<T>(
  world: World, temporal: TemporalServer, count: number, work: () => Promise<T>,
): Promise<T> {
  const started = await Promise.all(
    Array.from({ length: count }, async (_, i) =>
      createWorker({
        temporalAddress: temporal.address,
        taskQueue: world.taskQueue,
        pool: world.pool,
        provider: createProvider(world.providerConfig),
        workerName: `worker-${i + 1}`,
        workflowBundle: await workflowBundle(),
      }),
    ),
  );
  const running = started.map(({ worker }) => worker.run());
  try {
    return await work();
  } finally {
    for (const { worker } of started) worker.shutdown();
    await Promise.all(running);
    await Promise.all(started.map(({ connection }) => connection.close()));
  }
}

/** The PSA's contacts as comparable rows (no timestamps), ordered by id. */
export async function contactsTable(pool: Pool): Promise<unknown[]> {
  const rows = await pool.query(
    `SELECT contact_id, client_id, email, additional_emails, full_name, role, phone_numbers, user_principal_name,
            is_inactive, inactive_source FROM contacts ORDER BY contact_id`,
  );
  return rows.rows;
}

export async function activeLinks(pool: Pool): Promise<unknown[]> {
  const rows = await pool.query(
    `SELECT entra_tenant_id, entra_object_id, contact_id, client_id FROM contact_links WHERE active
      ORDER BY entra_tenant_id, entra_object_id`,
  );
  return rows.rows;
}

/** Confirms every tenant to the client the sandbox made for it (what an operator would do). */
export async function mapEveryTenant(world: World): Promise<void> {
  const rows = await world.pool.query<{ client_id: string; domains: string[] }>('SELECT client_id, domains FROM clients');
  const byDomain = new Map<string, string>();
  for (const r of rows.rows) for (const d of r.domains) byDomain.set(d.toLowerCase(), r.client_id);
  for (const t of world.sandbox.tenants()) {
    const client = byDomain.get(String(t.defaultDomain).toLowerCase());
    if (!client) continue;
    await world.pool.query(
      `INSERT INTO tenants (entra_tenant_id, display_name, domains, status) VALUES ($1, $2, $3, 'active')
       ON CONFLICT (entra_tenant_id) DO NOTHING`,
      [t.tenantId, t.displayName, [t.defaultDomain]],
    );
    await world.pool.query(
      `INSERT INTO tenant_mappings (entra_tenant_id, client_id, state, confirmed_at) VALUES ($1, $2, 'mapped', now())
       ON CONFLICT DO NOTHING`,
      [t.tenantId, client],
    );
  }
}
