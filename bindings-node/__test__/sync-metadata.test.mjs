// Sync metadata through the binding (plan actions, applyPlan's contacts and links, a re-run that
// changes nothing, the pieced plan reader), and tenants discovered through fallback sources.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { es } from './helpers.mjs'

const NOW = '2026-12-03T15:00:00.000Z'
const LATER = '2026-12-04T15:00:00.000Z'

const input = () => ({
  entraTenantId: 't1',
  clientId: 'c1',
  listingComplete: true,
  now: NOW,
  syncedBy: 'entra-sync:direct',
  users: [
    { entraObjectId: 'u1', email: 'ann@contoso.com', accountEnabled: true },
    { entraObjectId: 'u2', email: 'bob@contoso.com', accountEnabled: false },
    { entraObjectId: 'u3', email: 'cid@contoso.com', accountEnabled: true },
  ],
  contacts: [
    { contactId: 'k1', clientId: 'c1', email: 'ann@contoso.com' },
    { contactId: 'k2', clientId: 'c1', email: 'bob@contoso.com' },
    { contactId: 'k4', clientId: 'c1', email: 'gone@contoso.com' },
  ],
  links: [
    { entraTenantId: 't1', entraObjectId: 'u2', contactId: 'k2', clientId: 'c1' },
    { entraTenantId: 't1', entraObjectId: 'u4', contactId: 'k4', clientId: 'c1' },
  ],
})

test('plans and applyPlan carry the sync metadata; a re-run changes nothing', async () => {
  const inp = input()
  const plan = es.planTenantSync(inp)
  assert.deepEqual(plan, es.call('plan_tenant_sync', inp), 'the pieced reader equals the entry point')
  assert.deepEqual(await es.planTenantSyncAsync(inp), plan)
  const action = (kind, id) => plan.actions.find((a) => a.kind === kind && a.entraObjectId === id)
  assert.deepEqual(action('link', 'u1').contactSync, {
    lastSyncedBy: 'entra-sync:direct',
    lastSyncedAt: NOW,
    upstreamEnabled: true,
    syncStatus: { status: 'active', reason: 'email_match' },
  })
  assert.deepEqual(action('inactivate', 'u2').contactSync.syncStatus, { status: 'inactivated', reason: 'disabled_upstream' })
  assert.deepEqual(action('inactivate', 'u4').linkSync, { status: 'closed', lastSyncedAt: NOW })
  assert.equal(plan.seenAt, NOW)
  assert.deepEqual(plan.seen, [{ entraObjectId: 'u2', contactId: 'k2', upstreamEnabled: false }])

  const after = es.applyPlan(inp, plan)
  const contact = (id) => after.contacts.find((c) => c.contactId === id)
  assert.equal(contact('k1').lastSyncedBy, 'entra-sync:direct')
  assert.equal(contact('k1').lastSyncedAt, NOW)
  assert.deepEqual(contact('k4').syncStatus, { status: 'inactivated', reason: 'deleted_upstream' })
  const link = (id) => after.links.find((l) => l.entraObjectId === id)
  assert.equal(link('u4').status, 'closed')
  assert.equal(link('u1').lastSeenAt, NOW)

  const rerun = { ...after, now: LATER }
  const second = es.planTenantSync(rerun)
  assert.deepEqual(second.actions.filter((a) => a.kind !== 'queue_ambiguous' && a.kind !== 'conflict'), [])
  const again = es.applyPlan(rerun, second)
  assert.deepEqual(again.contacts, after.contacts)
  assert.deepEqual(
    again.links.filter((l) => l.active).map((l) => [l.entraObjectId, l.lastSeenAt]).sort(),
    [['u1', LATER], ['u2', LATER], ['u3', LATER]],
  )
})

test('a plan without seen identities leaves the key out, as the entry point does', () => {
  const inp = { entraTenantId: 't', clientId: 'c', listingComplete: true, users: [], contacts: [], links: [] }
  const plan = es.planTenantSync(inp)
  assert.equal('seen' in plan, false)
  assert.deepEqual(plan, es.call('plan_tenant_sync', inp))
})

test('tenants found through Lighthouse and DAP contracts when GDAP is unavailable', async () => {
  const config = { seed: 11, tenants: 4, usersPerTenant: 12 }
  const probe = await es.Sandbox.start(config)
  const tenants = probe.tenants()
  await probe.shutdown()
  const sandbox = await es.Sandbox.start({
    ...config,
    faults: { gdapUnavailable: true, tokenErrors: { [tenants[0].tenantId]: 'consent_missing' } },
  })
  try {
    const graph = new es.GraphProvider(sandbox.graphSettings())
    const listing = await graph.listManagedTenants()
    assert.equal(listing.complete, false)
    assert.ok(listing.warnings.some((w) => w.code === 'gdap_unavailable'))
    const t0 = listing.tenants.find((t) => t.entraTenantId === tenants[0].tenantId)
    assert.equal(t0.domainSource, 'lighthouse')
    assert.equal(t0.primaryDomain, tenants[0].defaultDomain)
    assert.equal(t0.sourceUserCount, null)
    const counted = listing.tenants.filter((t) => t.entraTenantId !== tenants[0].tenantId)
    assert.ok(counted.length > 0)
    for (const t of counted) {
      assert.equal(t.sourceUserCount, sandbox.expectedUsers(t.entraTenantId).length)
      assert.equal(t.domainSource, 'tenant_domains')
    }
  } finally {
    await sandbox.shutdown()
  }
})

test('a sandbox playing China lists customers from DAP contracts', async () => {
  const sandbox = await es.Sandbox.start({ seed: 11, tenants: 4, usersPerTenant: 12, cloud: 'china' })
  try {
    const graph = new es.GraphProvider(sandbox.graphSettings())
    const listing = await graph.listManagedTenants()
    assert.equal(listing.complete, true)
    const dap = sandbox.tenants().filter((t) => t.dapContract).map((t) => t.tenantId).sort()
    assert.deepEqual(listing.tenants.map((t) => t.entraTenantId).sort(), dap)
  } finally {
    await sandbox.shutdown()
  }
})
