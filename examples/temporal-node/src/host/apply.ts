/**
 * Applies a plan's actions to the PSA's tables, inside the caller's transaction, exactly as the
 * contract's action table says. Each action is recorded under its run and idempotency key first,
 * so an action already applied in this run (a retried activity) is skipped. Nothing is deleted:
 * links are closed, contacts are inactivated. Each kind of change is one statement over all the
 * actions of that kind, so a plan costs the same few round trips whatever its size.
 */
import type { Action, Contact, ContactPatch, SyncPlan } from 'entra-sync';
import type { Tx } from '../db/pool';
import { contactAddresses } from './records';

export interface ApplySummary {
  applied: number;
  alreadyApplied: number;
}

/**
 * Applies the plan in a fixed number of statements whatever its size (one per kind of change):
 * the actions are recorded first, in one statement that returns the keys not yet recorded, and
 * only those are applied. `progress` is called between statements, so a long apply keeps its
 * activity's heartbeat going.
 */
export async function applyPlan(
  tx: Tx, runId: string, plan: SyncPlan, progress: () => void = () => undefined,
): Promise<ApplySummary> {
  const fresh = await recordActions(tx, runId, plan.actions);
  const todo = plan.actions.filter((a) => fresh.has(a.idempotencyKey));
  const of = <K extends Action['kind']>(kind: K) => todo.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);
  const creates = of('create');
  const links = [...creates, ...of('link')];
  const steps: Array<() => Promise<unknown>> = [
    () => insertContacts(tx, creates.map((a) => a.contact)),
    () => openLinks(tx, links),
    () => settleQueueItems(tx, runId, links),
    () => patchContacts(tx, of('update')),
    () => setInactive(tx, of('inactivate').map((a) => a.contactId), true),
    // Deleted upstream, or out of the tenant's group scope: the link closes.
    () => closeLinks(tx, [
      ...of('inactivate').filter((a) => a.reason === 'deleted_upstream' || a.reason === 'left_group_scope'),
      ...of('unlink'),
    ]),
    () => setInactive(tx, of('reactivate').map((a) => a.contactId), false),
    () => queueItems(tx, runId, [...of('queue_ambiguous'), ...of('conflict')]),
  ];
  for (const step of steps) {
    progress();
    await step();
  }
  return { applied: todo.length, alreadyApplied: plan.actions.length - todo.length };
}

/** Records every action under its run and key; returns the keys this call recorded. */
async function recordActions(tx: Tx, runId: string, actions: readonly Action[]): Promise<Set<string>> {
  if (actions.length === 0) return new Set();
  const { rows } = await tx.query<{ idempotency_key: string }>(
    `INSERT INTO applied_actions (run_id, idempotency_key, entra_tenant_id, kind)
     SELECT $1, r.key, r.tenant, r.kind FROM jsonb_to_recordset($2::jsonb) AS r(key text, tenant text, kind text)
     ON CONFLICT DO NOTHING RETURNING idempotency_key`,
    [runId, JSON.stringify(actions.map((a) => ({ key: a.idempotencyKey, tenant: a.entraTenantId, kind: a.kind })))],
  );
  return new Set(rows.map((r) => r.idempotency_key));
}

/** One statement over a JSON array of rows; nothing is sent for an empty batch. */
async function batch(tx: Tx, sql: string, rows: readonly object[], ...params: unknown[]): Promise<void> {
  if (rows.length > 0) await tx.query(sql, [JSON.stringify(rows), ...params]);
}

async function insertContacts(tx: Tx, contacts: readonly Contact[]): Promise<void> {
  await batch(
    tx,
    `INSERT INTO contacts (contact_id, client_id, email, additional_emails, emails_norm, full_name, role,
                           phone_numbers, user_principal_name, is_inactive, inactive_source, locked, created_by_sync)
     SELECT r.contact_id, r.client_id, r.email, r.additional_emails, r.emails_norm, r.full_name, r.role,
            r.phone_numbers, r.user_principal_name, r.is_inactive, r.inactive_source, r.locked, true
       FROM jsonb_to_recordset($1::jsonb) AS r(contact_id text, client_id text, email text, additional_emails text[],
            emails_norm text[], full_name text, role text, phone_numbers jsonb, user_principal_name text,
            is_inactive boolean, inactive_source text, locked boolean)
     ON CONFLICT (contact_id) DO NOTHING`,
    contacts.map((c) => {
      const additional = c.additionalEmails ?? [];
      return {
        contact_id: c.contactId, client_id: c.clientId ?? null, email: c.email ?? null, additional_emails: additional,
        emails_norm: contactAddresses(c.email, additional), full_name: c.fullName ?? null, role: c.role ?? null,
        phone_numbers: c.phoneNumbers ?? [], user_principal_name: c.userPrincipalName ?? null,
        is_inactive: c.isInactive ?? false, inactive_source: c.inactiveSource ?? null, locked: c.locked ?? false,
      };
    }),
  );
}

type LinkAction = Extract<Action, { kind: 'link' | 'create' }>;

async function openLinks(tx: Tx, actions: readonly LinkAction[]): Promise<void> {
  await batch(
    tx,
    `INSERT INTO contact_links (entra_tenant_id, entra_object_id, contact_id, client_id, active)
     SELECT r.tenant, r.object, r.contact, r.client, true
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, object text, contact text, client text)
     ON CONFLICT (entra_tenant_id, entra_object_id) WHERE active DO NOTHING`,
    actions.map((a) => ({ tenant: a.entraTenantId, object: a.entraObjectId, contact: a.contactId, client: a.clientId })),
  );
}

async function settleQueueItems(tx: Tx, runId: string, actions: readonly LinkAction[]): Promise<void> {
  await batch(
    tx,
    `UPDATE reconciliation_queue q SET status = 'settled', last_run_id = $2, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, object text)
      WHERE q.entra_tenant_id = r.tenant AND q.entra_object_id = r.object AND q.status = 'open'`,
    actions.map((a) => ({ tenant: a.entraTenantId, object: a.entraObjectId })),
    runId,
  );
}

/**
 * Writes only the fields each patch carries (the planner put in only toggled, changed fields):
 * a `has_*` flag per field keeps the others as they are. The normalized addresses are computed
 * again for the contacts whose addresses changed.
 */
async function patchContacts(tx: Tx, actions: readonly Extract<Action, { kind: 'update' }>[]): Promise<void> {
  const rows = actions.map(({ contactId, patch }: { contactId: string; patch: ContactPatch }) => ({
    contact_id: contactId,
    has_full_name: patch.fullName !== undefined, full_name: patch.fullName ?? null,
    has_role: patch.role !== undefined, role: patch.role ?? null,
    has_upn: patch.userPrincipalName !== undefined, upn: patch.userPrincipalName ?? null,
    has_phones: patch.phoneNumbers !== undefined, phones: patch.phoneNumbers ?? null,
    has_email: patch.email !== undefined, email: patch.email ?? null,
    has_additional: patch.additionalEmails !== undefined, additional: patch.additionalEmails ?? null,
  }));
  await batch(
    tx,
    `UPDATE contacts c SET
        full_name = CASE WHEN r.has_full_name THEN r.full_name ELSE c.full_name END,
        role = CASE WHEN r.has_role THEN r.role ELSE c.role END,
        user_principal_name = CASE WHEN r.has_upn THEN r.upn ELSE c.user_principal_name END,
        phone_numbers = CASE WHEN r.has_phones THEN r.phones ELSE c.phone_numbers END,
        email = CASE WHEN r.has_email THEN r.email ELSE c.email END,
        additional_emails = CASE WHEN r.has_additional THEN r.additional ELSE c.additional_emails END,
        updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(contact_id text, has_full_name boolean, full_name text,
            has_role boolean, role text, has_upn boolean, upn text, has_phones boolean, phones jsonb,
            has_email boolean, email text, has_additional boolean, additional text[])
      WHERE c.contact_id = r.contact_id`,
    rows,
  );
  const readdressed = rows.filter((r) => r.has_email || r.has_additional).map((r) => r.contact_id);
  if (readdressed.length > 0) {
    await tx.query(
      `UPDATE contacts SET emails_norm = ARRAY(
          SELECT DISTINCT lower(btrim(a)) FROM unnest(array_prepend(coalesce(email, ''), additional_emails)) AS a
           WHERE btrim(a) <> '')
        WHERE contact_id = ANY($1::text[])`,
      [readdressed],
    );
  }
}

/** Marks contacts inactive (source `entra_sync`) or active again. */
async function setInactive(tx: Tx, contactIds: readonly string[], inactive: boolean): Promise<void> {
  if (contactIds.length === 0) return;
  await tx.query(
    `UPDATE contacts SET is_inactive = $2, inactive_source = CASE WHEN $2 THEN 'entra_sync' END, updated_at = now()
      WHERE contact_id = ANY($1::text[])`,
    [contactIds, inactive],
  );
}

/** Closes the links of identities deleted upstream or out of the group scope; nothing is deleted. */
async function closeLinks(tx: Tx, actions: readonly Action[]): Promise<void> {
  await batch(
    tx,
    `UPDATE contact_links l SET active = false, closed_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, object text)
      WHERE l.entra_tenant_id = r.tenant AND l.entra_object_id = r.object AND l.active`,
    actions.map((a) => ({ tenant: a.entraTenantId, object: a.entraObjectId })),
  );
}

type QueueAction = Extract<Action, { kind: 'queue_ambiguous' | 'conflict' }>;

/** Opens (or refreshes) one queue item per identity; a later action for the same identity wins. */
async function queueItems(tx: Tx, runId: string, actions: readonly QueueAction[]): Promise<void> {
  const byIdentity = new Map<string, object>();
  for (const a of actions) {
    byIdentity.set(`${a.entraTenantId}\u0000${a.entraObjectId}`, {
      tenant: a.entraTenantId, object: a.entraObjectId, kind: a.kind, reason: a.reason,
      contact_ids: (a.kind === 'conflict' ? a.contactIds : a.candidateContactIds) ?? [],
      display_name: a.displayName ?? null, upn: a.userPrincipalName ?? null,
    });
  }
  await batch(
    tx,
    `INSERT INTO reconciliation_queue (entra_tenant_id, entra_object_id, kind, reason, contact_ids,
                                       display_name, user_principal_name, status, last_run_id)
     SELECT r.tenant, r.object, r.kind, r.reason, r.contact_ids, r.display_name, r.upn, 'open', $2
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, object text, kind text, reason text,
            contact_ids text[], display_name text, upn text)
     ON CONFLICT (entra_tenant_id, entra_object_id) DO UPDATE
       SET kind = EXCLUDED.kind, reason = EXCLUDED.reason, contact_ids = EXCLUDED.contact_ids,
           display_name = EXCLUDED.display_name, user_principal_name = EXCLUDED.user_principal_name,
           status = 'open', last_run_id = EXCLUDED.last_run_id, updated_at = now()`,
    [...byIdentity.values()],
    runId,
  );
}
