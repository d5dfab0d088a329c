/**
 * Applies a plan's actions to the PSA's tables, inside the caller's transaction, exactly as the
 * contract's action table says. Each action is recorded under its run and idempotency key first,
 * so an action already applied in this run (a retried activity) is skipped. Nothing is deleted:
 * links are closed, contacts are inactivated.
 */
import type { Action, Contact, ContactPatch, SyncPlan } from 'entra-sync';
import type { Tx } from '../db/pool';
import { contactAddresses } from './records';

export interface ApplySummary {
  applied: number;
  alreadyApplied: number;
}

/**
 * `progress` is called every few actions, so a long apply keeps its activity's heartbeat going.
 */
export async function applyPlan(
  tx: Tx, runId: string, plan: SyncPlan, progress: () => void = () => undefined,
): Promise<ApplySummary> {
  const summary: ApplySummary = { applied: 0, alreadyApplied: 0 };
  for (const [index, action] of plan.actions.entries()) {
    if (index % 50 === 0) progress();
    const first = await tx.query(
      `INSERT INTO applied_actions (run_id, idempotency_key, entra_tenant_id, kind)
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [runId, action.idempotencyKey, action.entraTenantId, action.kind],
    );
    if (first.rowCount === 0) {
      summary.alreadyApplied += 1;
      continue;
    }
    await applyAction(tx, runId, action);
    summary.applied += 1;
  }
  return summary;
}

async function applyAction(tx: Tx, runId: string, action: Action): Promise<void> {
  switch (action.kind) {
    case 'link':
      await openLink(tx, action.entraTenantId, action.entraObjectId, action.contactId, action.clientId);
      await settleQueueItem(tx, action.entraTenantId, action.entraObjectId, runId);
      return;
    case 'create':
      await insertContact(tx, action.contact);
      await openLink(tx, action.entraTenantId, action.entraObjectId, action.contactId, action.clientId);
      await settleQueueItem(tx, action.entraTenantId, action.entraObjectId, runId);
      return;
    case 'update':
      await patchContact(tx, action.contactId, action.patch);
      return;
    case 'queue_ambiguous':
      await queueItem(tx, runId, action.entraTenantId, action.entraObjectId, 'queue_ambiguous', action.reason,
        action.candidateContactIds ?? [], action.displayName ?? null, action.userPrincipalName ?? null);
      return;
    case 'conflict':
      await queueItem(tx, runId, action.entraTenantId, action.entraObjectId, 'conflict', action.reason,
        action.contactIds ?? [], action.displayName ?? null, action.userPrincipalName ?? null);
      return;
    case 'inactivate':
      await tx.query(
        `UPDATE contacts SET is_inactive = true, inactive_source = 'entra_sync', updated_at = now()
          WHERE contact_id = $1`,
        [action.contactId],
      );
      if (action.reason === 'deleted_upstream' || action.reason === 'left_group_scope') {
        await tx.query(
          `UPDATE contact_links SET active = false, closed_at = now()
            WHERE entra_tenant_id = $1 AND entra_object_id = $2 AND active`,
          [action.entraTenantId, action.entraObjectId],
        );
      }
      return;
    case 'unlink':
      // The user left the tenant's group scope: the link closes, the contact stays as it is.
      await tx.query(
        `UPDATE contact_links SET active = false, closed_at = now()
          WHERE entra_tenant_id = $1 AND entra_object_id = $2 AND active`,
        [action.entraTenantId, action.entraObjectId],
      );
      return;
    case 'reactivate':
      await tx.query(
        `UPDATE contacts SET is_inactive = false, inactive_source = NULL, updated_at = now()
          WHERE contact_id = $1`,
        [action.contactId],
      );
      return;
  }
}

async function openLink(tx: Tx, tenantId: string, objectId: string, contactId: string, clientId: string): Promise<void> {
  await tx.query(
    `INSERT INTO contact_links (entra_tenant_id, entra_object_id, contact_id, client_id, active)
     VALUES ($1, $2, $3, $4, true)
     ON CONFLICT (entra_tenant_id, entra_object_id) WHERE active DO NOTHING`,
    [tenantId, objectId, contactId, clientId],
  );
}

async function insertContact(tx: Tx, contact: Contact): Promise<void> {
  const additional = contact.additionalEmails ?? [];
  await tx.query(
    `INSERT INTO contacts (contact_id, client_id, email, additional_emails, emails_norm, full_name, role,
                           phone_numbers, user_principal_name, is_inactive, inactive_source, locked, created_by_sync)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, true)
     ON CONFLICT (contact_id) DO NOTHING`,
    [
      contact.contactId, contact.clientId ?? null, contact.email ?? null, additional,
      contactAddresses(contact.email, additional), contact.fullName ?? null, contact.role ?? null,
      JSON.stringify(contact.phoneNumbers ?? []), contact.userPrincipalName ?? null,
      contact.isInactive ?? false, contact.inactiveSource ?? null, contact.locked ?? false,
    ],
  );
}

/** Writes only the fields the patch carries (the planner put in only toggled, changed fields). */
async function patchContact(tx: Tx, contactId: string, patch: ContactPatch): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown) => {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  if (patch.fullName !== undefined) set('full_name', patch.fullName);
  if (patch.role !== undefined) set('role', patch.role);
  if (patch.userPrincipalName !== undefined) set('user_principal_name', patch.userPrincipalName);
  if (patch.phoneNumbers !== undefined) set('phone_numbers', JSON.stringify(patch.phoneNumbers));
  if (patch.email !== undefined) set('email', patch.email);
  if (patch.additionalEmails !== undefined) set('additional_emails', patch.additionalEmails);
  if (sets.length === 0) return;
  values.push(contactId);
  await tx.query(`UPDATE contacts SET ${sets.join(', ')}, updated_at = now() WHERE contact_id = $${values.length}`, values);
  if (patch.email !== undefined || patch.additionalEmails !== undefined) {
    await tx.query(
      `UPDATE contacts SET emails_norm = ARRAY(
          SELECT DISTINCT lower(btrim(a)) FROM unnest(array_prepend(coalesce(email, ''), additional_emails)) AS a
           WHERE btrim(a) <> '')
        WHERE contact_id = $1`,
      [contactId],
    );
  }
}

async function queueItem(
  tx: Tx, runId: string, tenantId: string, objectId: string, kind: 'queue_ambiguous' | 'conflict', reason: string,
  contactIds: readonly string[], displayName: string | null, upn: string | null,
): Promise<void> {
  await tx.query(
    `INSERT INTO reconciliation_queue (entra_tenant_id, entra_object_id, kind, reason, contact_ids,
                                       display_name, user_principal_name, status, last_run_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)
     ON CONFLICT (entra_tenant_id, entra_object_id) DO UPDATE
       SET kind = EXCLUDED.kind, reason = EXCLUDED.reason, contact_ids = EXCLUDED.contact_ids,
           display_name = EXCLUDED.display_name, user_principal_name = EXCLUDED.user_principal_name,
           status = 'open', last_run_id = EXCLUDED.last_run_id, updated_at = now()`,
    [tenantId, objectId, kind, reason, contactIds, displayName, upn, runId],
  );
}

async function settleQueueItem(tx: Tx, tenantId: string, objectId: string, runId: string): Promise<void> {
  await tx.query(
    `UPDATE reconciliation_queue SET status = 'settled', last_run_id = $3, updated_at = now()
      WHERE entra_tenant_id = $1 AND entra_object_id = $2 AND status = 'open'`,
    [tenantId, objectId, runId],
  );
}
