/**
 * What a tenant's plan needs, loaded in one batch inside the applying transaction: the mapped
 * client's contacts plus every other contact holding one of the listed users' addresses (so no
 * duplicate is created across clients), the links, the operator's resolutions and the settings.
 * The contacts are locked (in id order, so two tenants never deadlock on them) until the plan is
 * applied: nobody can change them between planning and applying.
 *
 * The other clients' contacts are found by probing the address index once per listed address
 * (a lateral join) rather than by one `emails_norm && addresses` test: with a thousand addresses
 * the planner estimates that test to match most rows and scans the whole table, so a tenant's
 * load grew with every contact the PSA holds.
 */
import type { EntraUser, PlanInput, SyncSettings } from 'entra-sync';
import type { Tx } from '../db/pool';
import { ContactRow, LinkRow, ResolutionRow, contactFromRow, linkFromRow, normalizeAddress, resolutionFromRow } from './records';

/** The addresses the planner matches a user by: mail, UPN, SMTP proxy addresses, other mails. */
export function userAddresses(user: EntraUser): string[] {
  const raw: string[] = [];
  if (user.email) raw.push(user.email);
  if (user.userPrincipalName) raw.push(user.userPrincipalName);
  for (const proxy of user.proxyAddresses ?? []) {
    if (proxy.toLowerCase().startsWith('smtp:')) raw.push(proxy.slice(5));
  }
  raw.push(...(user.otherMails ?? []));
  return raw.map(normalizeAddress).filter((a) => a.length > 0);
}

export interface Listing {
  users: EntraUser[];
  listingComplete: boolean;
  removedObjectIds: string[];
}

export async function loadPlanInput(
  tx: Tx,
  tenantId: string,
  clientId: string,
  listing: Listing,
): Promise<PlanInput> {
  const addresses = [...new Set(listing.users.flatMap(userAddresses))];
  const contacts = await tx.query<ContactRow>(
    `SELECT contact_id, client_id, email, additional_emails, full_name, role, phone_numbers,
            user_principal_name, is_inactive, inactive_source, locked
       FROM contacts
      WHERE contact_id = ANY (ARRAY(
              SELECT contact_id FROM contacts WHERE client_id = $1
              UNION
              SELECT m.contact_id FROM unnest($2::text[]) AS a(address)
                CROSS JOIN LATERAL (SELECT contact_id FROM contacts WHERE emails_norm @> ARRAY[a.address]) m))
      ORDER BY contact_id
        FOR UPDATE`,
    [clientId, addresses],
  );
  const contactIds = contacts.rows.map((c) => c.contact_id);
  const links = await tx.query<LinkRow>(
    `SELECT entra_tenant_id, entra_object_id, contact_id, client_id, active
       FROM contact_links
      WHERE entra_tenant_id = $1 OR (active AND contact_id = ANY($2::text[]))
      ORDER BY id`,
    [tenantId, contactIds],
  );
  const resolutions = await tx.query<ResolutionRow>(
    'SELECT entra_object_id, decision, contact_id FROM resolutions WHERE entra_tenant_id = $1 ORDER BY entra_object_id',
    [tenantId],
  );
  const settings = await tx.query<{ settings: SyncSettings }>(
    'SELECT settings FROM sync_settings WHERE entra_tenant_id = $1',
    [tenantId],
  );
  return {
    entraTenantId: tenantId,
    clientId,
    users: listing.users,
    listingComplete: listing.listingComplete,
    removedObjectIds: listing.removedObjectIds,
    contacts: contacts.rows.map(contactFromRow),
    links: links.rows.map(linkFromRow),
    resolutions: resolutions.rows.map(resolutionFromRow),
    settings: settings.rows[0]?.settings ?? {},
  };
}
