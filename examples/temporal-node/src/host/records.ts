/**
 * Rows of the PSA's tables as the library's contract records, and back. The library never sees
 * the database: the host hands it records and applies the decisions it returns.
 */
import type { Client, Contact, ContactLink, InactiveSource, ManagedTenant, PhoneNumber, Resolution, TenantMapping } from 'entra-sync';

export interface ContactRow {
  contact_id: string;
  client_id: string | null;
  email: string | null;
  additional_emails: string[];
  full_name: string | null;
  role: string | null;
  phone_numbers: PhoneNumber[];
  user_principal_name: string | null;
  is_inactive: boolean;
  inactive_source: InactiveSource | null;
  locked: boolean;
}

export function contactFromRow(row: ContactRow): Contact {
  return {
    contactId: row.contact_id,
    clientId: row.client_id,
    email: row.email,
    additionalEmails: row.additional_emails,
    fullName: row.full_name,
    role: row.role,
    phoneNumbers: row.phone_numbers,
    userPrincipalName: row.user_principal_name,
    isInactive: row.is_inactive,
    inactiveSource: row.inactive_source,
    locked: row.locked,
  };
}

/** An address as the planner compares it: trimmed and lowercased. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** The normalized addresses a contact row is found by (email and additional emails). */
export function contactAddresses(email: string | null | undefined, additional: readonly string[]): string[] {
  const all = [email ?? '', ...additional].map(normalizeAddress).filter((a) => a.length > 0);
  return [...new Set(all)];
}

export interface LinkRow {
  entra_tenant_id: string;
  entra_object_id: string;
  contact_id: string;
  client_id: string;
  active: boolean;
}

export function linkFromRow(row: LinkRow): ContactLink {
  return {
    entraTenantId: row.entra_tenant_id,
    entraObjectId: row.entra_object_id,
    contactId: row.contact_id,
    clientId: row.client_id,
    active: row.active,
  };
}

export interface ResolutionRow {
  entra_object_id: string;
  decision: Resolution['decision'];
  contact_id: string | null;
}

export function resolutionFromRow(row: ResolutionRow): Resolution {
  return row.contact_id === null
    ? { entraObjectId: row.entra_object_id, decision: row.decision }
    : { entraObjectId: row.entra_object_id, decision: row.decision, contactId: row.contact_id };
}

export interface TenantRow {
  entra_tenant_id: string;
  display_name: string | null;
  primary_domain: string | null;
  domains: string[];
  source_user_count: number | null;
  status: string;
}

export function tenantFromRow(row: TenantRow): ManagedTenant {
  return {
    entraTenantId: row.entra_tenant_id,
    displayName: row.display_name,
    primaryDomain: row.primary_domain,
    domains: row.domains,
    sourceUserCount: row.source_user_count,
    status: row.status === 'not_listed' ? 'not_listed' : 'active',
  };
}

export interface ClientRow {
  client_id: string;
  client_name: string;
  domains: string[];
  secondary_domains: string[];
}

export function clientFromRow(row: ClientRow): Client {
  return {
    clientId: row.client_id,
    clientName: row.client_name,
    domains: row.domains,
    secondaryDomains: row.secondary_domains,
  };
}

export interface MappingRow {
  entra_tenant_id: string;
  client_id: string | null;
  state: 'mapped' | 'skipped';
  confirmed_at: Date | null;
  closed_at: Date | null;
}

export function mappingFromRow(row: MappingRow): TenantMapping {
  return {
    entraTenantId: row.entra_tenant_id,
    clientId: row.client_id,
    state: row.state,
    confirmedAt: row.confirmed_at ? row.confirmed_at.toISOString() : null,
    ...(row.closed_at ? { closedAt: row.closed_at.toISOString() } : {}),
  };
}
