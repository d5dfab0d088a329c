/**
 * Reading a tenant's users the way the library's own engine does: a delta round when a delta link
 * is stored and the provider supports delta, a full enumeration otherwise (or when the upstream
 * refuses the stored link). Only a complete full enumeration lets absence count as deletion.
 */
import type { EntraUser, Warning } from 'entra-sync';
import type { Provider } from './provider';

export interface TenantListing {
  mode: 'full' | 'delta';
  users: EntraUser[];
  /** Whether absence from this listing may count as deletion (a complete full enumeration). */
  listingComplete: boolean;
  /** Whether the listing arrived whole (a delta round lists only changes by design). */
  complete: boolean;
  removedObjectIds: string[];
  /** The link to store once the plan is applied (none when the listing stopped early). */
  nextDeltaLink: string | null;
  /** The stored link was refused: forget it even if no new one arrived. */
  forgetStoredLink: boolean;
  warnings: Warning[];
}

export async function readUsers(
  provider: Provider,
  tenantId: string,
  storedLink: string | null,
  useDelta: boolean,
): Promise<TenantListing> {
  const warnings: Warning[] = [];
  if (useDelta && provider.supportsDelta) {
    let refused = false;
    if (storedLink) {
      const round = await provider.listUsersDelta(tenantId, storedLink).catch((err: { code?: string }) => {
        if (err.code === 'resync_required') return null;
        throw err;
      });
      if (round && !round.resyncRequired) {
        return {
          mode: 'delta',
          users: round.users ?? [],
          listingComplete: false,
          complete: round.complete ?? false,
          removedObjectIds: (round.removed ?? []).map((r) => r.entraObjectId),
          nextDeltaLink: round.complete ? round.deltaLink ?? null : null,
          forgetStoredLink: false,
          warnings,
        };
      }
      refused = true;
      warnings.push({ code: 'delta_resync', message: 'the stored delta link was refused upstream; a full listing was used instead' });
    }
    const full = await provider.listUsersDelta(tenantId, null);
    const complete = full.complete ?? false;
    return {
      mode: 'full',
      users: full.users ?? [],
      listingComplete: complete && (full.fullEnumeration ?? false),
      complete,
      removedObjectIds: (full.removed ?? []).map((r) => r.entraObjectId),
      nextDeltaLink: complete ? full.deltaLink ?? null : null,
      forgetStoredLink: refused,
      warnings,
    };
  }
  const listing = await provider.listUsers(tenantId);
  const complete = listing.complete ?? false;
  if (!complete) warnings.push({ code: 'listing_failed', message: 'the user listing stopped before its last page' });
  return {
    mode: 'full',
    users: listing.users ?? [],
    listingComplete: complete,
    complete,
    removedObjectIds: [],
    nextDeltaLink: null,
    forgetStoredLink: false,
    warnings,
  };
}
