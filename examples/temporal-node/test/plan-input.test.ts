/**
 * The batch read of a tenant's plan: the mapped client's contacts, plus every other client's
 * contact holding one of the listed users' addresses (mail, UPN, SMTP proxy address, other
 * mails), found through the address index, and nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EntraUser } from 'entra-sync';
import { withTransaction } from '../src/db/pool';
import { loadPlanInput } from '../src/host/plan-input';
import { contactAddresses } from '../src/host/records';
import { createWorld, World } from './support/estate';
import { PostgresCluster, startPostgres } from './support/postgres';

let pg: PostgresCluster | undefined;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

const TENANT = '0b7e1f52-3a4c-4e55-9d1a-7c2f5e8a9b10';

const user: EntraUser = {
  entraObjectId: 'u-ann',
  accountEnabled: true,
  userPrincipalName: 'ann@contoso.onmicrosoft.com',
  mail: 'Ann@Contoso.com',
  proxyAddresses: ['SMTP:Ann@contoso.com', 'smtp:ann.alias@contoso.com', 'X500:/o=Contoso/cn=ann.x500@contoso.com'],
  otherMails: ['ann.home@example.net'],
  displayName: 'Ann Example',
};

/** [contact id, client, email, additional emails, expected in the batch] */
const contacts: Array<[string, string, string | null, string[], boolean]> = [
  ['k-mapped', 'c-mapped', 'someone.else@contoso.com', [], true],
  ['k-mapped-no-email', 'c-mapped', null, [], true],
  ['k-by-mail', 'c-other', '  ANN@contoso.com ', [], true],
  ['k-by-upn', 'c-other', null, ['Ann@Contoso.onmicrosoft.com'], true],
  ['k-by-proxy', 'c-other', 'ann.alias@contoso.com', [], true],
  ['k-by-other-mail', 'c-third', 'ann.home@example.net', [], true],
  ['k-by-x500', 'c-other', 'ann.x500@contoso.com', [], false],
  ['k-unrelated', 'c-third', 'bob@fabrikam.com', ['ann@fabrikam.com'], false],
];

async function seed(world: World): Promise<void> {
  for (const client of ['c-mapped', 'c-other', 'c-third']) {
    await world.pool.query('INSERT INTO clients (client_id, client_name) VALUES ($1, $1)', [client]);
  }
  for (const [id, client, email, additional] of contacts) {
    await world.pool.query(
      `INSERT INTO contacts (contact_id, client_id, email, additional_emails, emails_norm)
       VALUES ($1, $2, $3, $4, $5)`,
      [id, client, email, additional, contactAddresses(email, additional)],
    );
  }
}

test("a tenant's batch read holds the mapped client's contacts and other clients' contacts by any of the user's addresses", async () => {
  if (!pg) throw new Error('PostgreSQL did not start');
  const world = await createWorld(pg, { seed: 3, tenants: 1, usersPerTenant: 1 });
  try {
    await seed(world);
    const input = await withTransaction(world.pool, (tx) =>
      loadPlanInput(tx, TENANT, 'c-mapped', { users: [user], listingComplete: true, removedObjectIds: [] }));
    const read = input.contacts.map((c) => c.contactId).filter((id) => id.startsWith('k-')).sort();
    const expected = contacts.filter(([, , , , inBatch]) => inBatch).map(([id]) => id).sort();
    assert.deepEqual(read, expected);
  } finally {
    await world.close();
  }
});
