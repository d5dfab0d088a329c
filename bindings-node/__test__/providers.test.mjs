// GraphProvider and CippProvider against the sandbox: listings, delta, throttling, a listing
// failing half-way, consent and auth errors by code, and no secret in any error.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { es } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await es.Sandbox.start({ seed: 7, tenants: 3, usersPerTenant: 12 })
})
after(async () => {
  await sandbox.shutdown()
})

const tenantIds = () => sandbox.tenants().map((t) => t.tenantId)
const sortedIds = (users) => users.map((u) => u.entraObjectId).sort()

test('graph lists every tenant and user', async () => {
  const graph = new es.GraphProvider(sandbox.graphSettings())
  assert.equal(graph.connectionType, 'direct')
  assert.equal(graph.supportsDelta, true)
  const listing = await graph.listManagedTenants()
  assert.deepEqual(listing.tenants.map((t) => t.entraTenantId).sort(), tenantIds().sort())
  const tid = tenantIds()[0]
  const users = await graph.listUsers(tid)
  assert.equal(users.complete, true)
  assert.deepEqual(sortedIds(users.users), sortedIds(sandbox.expectedUsers(tid)))
  // A listing's users are canonical: filterUsers hands the same objects back.
  const filtered = es.filterUsers({ users: users.users })
  assert.deepEqual(filtered, es.call('filter_users', { users: users.users }))
  for (const u of filtered.included) assert.ok(users.users.includes(u))
})

test('cipp lists the same estate and has no delta', async () => {
  const cipp = new es.CippProvider(sandbox.cippSettings())
  assert.equal(cipp.connectionType, 'cipp')
  const listing = await cipp.listManagedTenants()
  assert.deepEqual(listing.tenants.map((t) => t.entraTenantId).sort(), tenantIds().sort())
  await assert.rejects(cipp.listUsersDelta(tenantIds()[0]), (e) => e instanceof es.Unsupported && e.code === 'unsupported')
})

test('a 429 storm is retried until it passes, as the request counts show', async () => {
  const graph = new es.GraphProvider(sandbox.graphSettings())
  await graph.listUsers(tenantIds()[0]) // the token is cached: the counts below are Graph's only
  sandbox.resetRequestCounts()
  assert.deepEqual(sandbox.requestCounts(), {})
  sandbox.updateFaults({ graphThrottleNext: 3, retryAfterSecs: 0 })
  try {
    const listing = await graph.listUsers(tenantIds()[0])
    assert.equal(listing.complete, true)
    assert.equal(sandbox.requestCount('/v1.0/users'), 4) // three 429s, then the page
    assert.deepEqual(sandbox.requestCounts(), { '/v1.0/users': 4 })
  } finally {
    sandbox.setFaults({})
  }
})

test('revoked access tokens are refused until a new one is fetched', async () => {
  const graph = new es.GraphProvider(sandbox.graphSettings())
  await graph.listUsers(tenantIds()[0])
  sandbox.revokeAccessTokens()
  sandbox.resetRequestCounts()
  // The provider either gets a new token after the 401 or fails with an auth error; either way
  // the revoked token was refused by Graph.
  try {
    await graph.listUsers(tenantIds()[0])
  } catch (e) {
    assert.ok(e instanceof es.EntraSyncError, String(e))
  }
  assert.ok(sandbox.requestCount('/v1.0/users') >= 1)
  const counts = sandbox.requestCounts()
  assert.ok(Object.keys(counts).some((path) => path.endsWith('/oauth2/v2.0/token')), JSON.stringify(counts))
})

test('persistent throttling rejects with Throttled', async () => {
  const graph = new es.GraphProvider(sandbox.graphSettings())
  sandbox.updateFaults({ graphThrottleRate: 1.0, retryAfterSecs: 0 })
  try {
    await assert.rejects(graph.listManagedTenants(), (e) => e instanceof es.Throttled && e.code === 'throttled')
  } finally {
    sandbox.setFaults({})
  }
})

test('a listing failing half-way is incomplete', async () => {
  const graph = new es.GraphProvider({ ...sandbox.graphSettings(), usersPageSize: 5 })
  const tid = tenantIds()[1]
  assert.ok(sandbox.expectedUsers(tid).length > 5)
  sandbox.updateFaults({ failingPage: { [tid]: 1 } })
  try {
    const listing = await graph.listUsers(tid)
    assert.equal(listing.complete, false)
    assert.equal(listing.users.length, 5)
    assert.ok(['upstream_unavailable', 'unexpected_response'].includes(listing.error.code), listing.error.code)
  } finally {
    sandbox.setFaults({})
  }
})

test('missing consent rejects with ConsentRequired by code', async () => {
  const graph = new es.GraphProvider(sandbox.graphSettings())
  const [ok, , broken] = tenantIds()
  sandbox.updateFaults({ tokenErrors: { [broken]: 'consent_missing' } })
  try {
    await assert.rejects(graph.listUsers(broken), (e) => {
      assert.ok(e instanceof es.ConsentRequired)
      assert.ok(e instanceof es.EntraSyncError)
      assert.ok(e instanceof Error)
      assert.equal(e.code, 'consent_required')
      assert.equal(e.details.code, 'consent_required')
      return true
    })
    assert.equal((await graph.listUsers(ok)).complete, true)
  } finally {
    sandbox.setFaults({})
  }
})

test('a bad client secret is an AuthError that quotes no secret', async () => {
  const secret = 'definitely-wrong-secret-value'
  const graph = new es.GraphProvider({ ...sandbox.graphSettings(), clientSecret: secret })
  const err = await graph.listManagedTenants().then(
    () => assert.fail('expected a rejection'),
    (e) => e,
  )
  assert.ok(err instanceof es.AuthError, err.constructor.name)
  const text = `${err.message} ${JSON.stringify(err.details)} ${err.cause ? err.cause.message : ''} ${err.stack}`
  assert.ok(!text.includes(secret))
  assert.ok(!text.includes(sandbox.credentials.partnerRefreshToken))
})

test('delta reports changes, removals and an expired link', async () => {
  const graph = new es.GraphProvider(sandbox.graphSettings())
  const tid = tenantIds()[0]
  const first = await graph.listUsersDelta(tid)
  assert.equal(first.fullEnumeration, true)
  assert.ok(first.deltaLink)
  const people = sandbox.users(tid).filter((u) => u.kind === 'person' && u.accountEnabled)
  const [disabled, deleted] = [people[0].id, people[1].id]
  sandbox.mutate({ kind: 'disable', userId: disabled })
  sandbox.mutate({ kind: 'soft_delete', userId: deleted })
  const second = await graph.listUsersDelta(tid, first.deltaLink)
  assert.equal(second.fullEnumeration, false)
  assert.equal(second.users.find((u) => u.entraObjectId === disabled).accountEnabled, false)
  assert.ok(second.removed.some((r) => r.entraObjectId === deleted))
  sandbox.expireDeltaTokens()
  const third = await graph.listUsersDelta(tid, second.deltaLink)
  assert.equal(third.resyncRequired, true)
})

test('validation reports named checks', async () => {
  const report = await new es.GraphProvider(sandbox.graphSettings()).validate()
  assert.ok(Array.isArray(report.checks) && report.checks.length > 0)
  assert.ok(report.checks.every((c) => typeof c.name === 'string'))
  const cipp = await new es.CippProvider(sandbox.cippSettings()).validate(tenantIds()[0])
  assert.ok(cipp.checks.length > 0)
})

test('settings and sandbox inputs are checked', async () => {
  assert.throws(() => new es.GraphProvider({ clientId: 'x' }), (e) => e instanceof es.InvalidInput)
  assert.throws(() => new es.CippProvider({ baseUrl: 'http://127.0.0.1:1', bogus: 1 }), (e) => e instanceof es.InvalidInput)
  assert.throws(() => sandbox.mutate({ kind: 'disable', userId: 'no-such-user' }), (e) => e instanceof es.SandboxError)
  assert.throws(() => sandbox.setFaults({ delta: 'sideways' }), (e) => e instanceof es.InvalidInput)
  await assert.rejects(es.Sandbox.start({ tenantz: 1 }), (e) => e instanceof es.InvalidInput)
  for (const tenantId of [undefined, null, 42]) {
    assert.throws(() => sandbox.users(tenantId), (e) => e instanceof es.InvalidInput && e.code === 'invalid_input')
  }
  assert.deepEqual(sandbox.users('no-such-tenant'), [])
})

test('a sandbox used after shutdown throws sandbox_stopped', async () => {
  const sb = await es.Sandbox.start({ tenants: 1, usersPerTenant: 2 })
  assert.equal(sb.running, true)
  await sb.shutdown()
  await sb.shutdown()
  assert.equal(sb.running, false)
  for (const after of [() => sb.tenants(), () => sb.users('t'), () => sb.revokeAccessTokens()]) {
    assert.throws(after, (e) => e instanceof es.SandboxError && e.code === 'sandbox_stopped')
  }
})

test('the canonical secret names', () => {
  assert.equal(es.SECRET_NAMES.ENTRA_DIRECT_REFRESH_TOKEN, 'entra_direct_refresh_token')
  assert.ok(es.SECRET_NAMES.DIRECT_CONNECTION.includes('entra_direct_refresh_token'))
})
