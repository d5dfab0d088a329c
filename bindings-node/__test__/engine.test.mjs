// SyncEngine end to end against the sandbox over both stores: discovery, mapping, dry run, sync
// with progress, idempotency, delta, a half-failed listing (nobody inactivated), a failing
// tenant, cancellation through an AbortSignal, run records.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { es } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await es.Sandbox.start({ seed: 11, tenants: 4, usersPerTenant: 14 })
})
after(async () => {
  await sandbox.shutdown()
})

const STORES = {
  memory: () => new es.MemoryStore(),
  sqlite: () => new es.SqliteStore(join(mkdtempSync(join(tmpdir(), 'entra-node-')), 'sync.sqlite')),
}

/** An engine whose store holds the sandbox's CRM and every tenant mapped to its client. */
async function mappedEngine(store, settings = sandbox.graphSettings()) {
  const engine = new es.SyncEngine(new es.GraphProvider(settings), store)
  await store.upsertClients(sandbox.crmClients())
  await store.upsertContacts(sandbox.crmContacts())
  const discovery = await engine.discover()
  assert.equal(discovery.listingComplete, true)
  const operations = sandbox
    .tenants()
    .filter((t) => t.crmClientId)
    .map((t) => ({ kind: 'confirm', entraTenantId: t.tenantId, clientId: t.crmClientId }))
  assert.ok(operations.length > 0)
  await engine.applyMappingChanges(operations)
  return engine
}

const contactChanges = (plan) => plan.actions.filter((a) => a.kind !== 'queue_ambiguous' && a.kind !== 'conflict')

for (const [name, makeStore] of Object.entries(STORES)) {
  test(`${name}: discover, preview and map`, async () => {
    const store = makeStore()
    const engine = new es.SyncEngine(new es.GraphProvider(sandbox.graphSettings()), store)
    await store.upsertClients(sandbox.crmClients())
    await engine.discover()
    const tenants = await store.loadTenants()
    assert.deepEqual(tenants.map((t) => t.entraTenantId).sort(), sandbox.tenants().map((t) => t.tenantId).sort())
    const preview = await engine.previewMappings()
    const auto = new Map(preview.autoMatched.map((m) => [m.entraTenantId, m.match.clientId]))
    for (const t of sandbox.tenants().filter((t) => t.crmMatch === 'exact_domain')) {
      assert.equal(auto.get(t.tenantId), t.crmClientId)
    }
    const tid = sandbox.tenants()[0].tenantId
    await assert.rejects(
      engine.applyMappingChanges([
        { kind: 'confirm', entraTenantId: tid, clientId: 'a' },
        { kind: 'confirm', entraTenantId: tid, clientId: 'b' },
      ]),
      (e) => e instanceof es.MappingConflict && e.code === 'mapping_conflict',
    )
    assert.deepEqual(await store.loadMappings(), [])
  })

  test(`${name}: dry run, sync with progress, then idempotent; run records readable`, async () => {
    const store = makeStore()
    const engine = await mappedEngine(store)
    const before = await store.snapshot()
    const dry = await engine.syncAll({ dryRun: true, requestKey: 'dry' })
    assert.equal(dry.dryRun, true)
    assert.deepEqual(await store.snapshot(), before, 'a dry run must write nothing')
    assert.ok(dry.plans.some((p) => contactChanges(p).length > 0))

    const events = []
    const first = await engine.syncAll({ requestKey: 'first', onProgress: (e) => events.push(e) })
    assert.equal(first.run.status, 'completed')
    // Progress events are queued to this thread; let the queue drain.
    await new Promise((r) => setTimeout(r, 50))
    const kinds = events.map((e) => e.event)
    assert.equal(kinds[0], 'runStarted')
    assert.equal(kinds.at(-1), 'runFinished')
    assert.equal(kinds.filter((k) => k === 'tenantFinished').length, first.results.length)

    const run = await store.loadRun(first.run.runId)
    assert.equal(run.runId, first.run.runId)
    assert.equal(run.status, 'completed')
    assert.equal((await store.loadTenantResults(first.run.runId)).length, first.results.length)

    const again = await engine.syncAll({ requestKey: 'second', useDelta: false })
    assert.equal(again.run.status, 'completed')
    assert.deepEqual(again.plans.map(contactChanges), again.plans.map(() => []))
  })
}

test('delta: a disabled user is inactivated on the next sync', async () => {
  const store = STORES.memory()
  const engine = await mappedEngine(store)
  const initial = await engine.syncAll({ requestKey: 'initial' })
  const mapping = (await store.loadMappings())[0]
  const tid = mapping.entraTenantId
  // A user the initial sync created a contact for.
  const created = initial.plans.find((p) => p.entraTenantId === tid).actions.find((a) => a.kind === 'create')
  assert.ok(created, 'the initial sync created contacts')
  sandbox.mutate({ kind: 'disable', userId: created.entraObjectId })
  try {
    const report = await engine.syncTenant(mapping)
    assert.equal(report.mode, 'delta')
    const inactivated = report.plan.actions.filter((a) => a.kind === 'inactivate').map((a) => a.entraObjectId)
    assert.deepEqual(inactivated, [created.entraObjectId])
  } finally {
    sandbox.mutate({ kind: 'enable', userId: created.entraObjectId })
  }
})

test('a half-failed listing inactivates nobody', async () => {
  const store = STORES.memory()
  const engine = await mappedEngine(store)
  await engine.syncAll({ requestKey: 'initial' })
  const mapping = (await store.loadMappings())[0]
  const paged = new es.SyncEngine(new es.GraphProvider({ ...sandbox.graphSettings(), usersPageSize: 4 }), store)
  sandbox.updateFaults({ failingPage: { [mapping.entraTenantId]: 1 } })
  try {
    const report = await paged.syncTenant(mapping, { useDelta: false })
    assert.equal(report.listingComplete, false)
    assert.deepEqual(report.plan.actions.filter((a) => a.kind === 'inactivate'), [])
  } finally {
    sandbox.setFaults({})
  }
})

test('a 429 storm and a tenant without consent: the others still sync', async () => {
  const store = STORES.memory()
  await mappedEngine(store)
  const mappings = await store.loadMappings()
  const broken = mappings[0].entraTenantId
  sandbox.updateFaults({ graphThrottleNext: 3, retryAfterSecs: 0, tokenErrors: { [broken]: 'consent_missing' } })
  try {
    const engine = new es.SyncEngine(new es.GraphProvider(sandbox.graphSettings()), store)
    const report = await engine.syncAll({ requestKey: 'faulty' })
    assert.equal(report.run.status, 'partial')
    const outcomes = new Map(report.results.map((r) => [r.entraTenantId, r]))
    assert.equal(outcomes.get(broken).outcome, 'failed')
    assert.equal(outcomes.get(broken).error.code, 'consent_required')
    for (const [t, r] of outcomes) if (t !== broken) assert.equal(r.outcome, 'succeeded')
  } finally {
    sandbox.setFaults({})
  }
})

test('an aborted signal cancels the run; the same request key resumes it', async () => {
  const store = STORES.memory()
  const engine = await mappedEngine(store)
  const controller = new AbortController()
  controller.abort()
  const cancelled = await engine.syncAll({ requestKey: 'stop', signal: controller.signal, concurrency: 1 })
  assert.equal(cancelled.run.status, 'cancelled')
  const resumed = await engine.syncAll({ requestKey: 'stop' })
  assert.equal(resumed.run.status, 'completed')
  assert.equal(resumed.run.runId, cancelled.run.runId)
})

test('aborting while a run is in flight cancels it', async () => {
  const store = STORES.memory()
  const engine = await mappedEngine(store)
  sandbox.updateFaults({ latency: 0.05 })
  try {
    const controller = new AbortController()
    const report = await engine.syncAll({
      requestKey: 'abort-mid-run',
      concurrency: 1,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.event === 'tenantStarted') controller.abort()
      },
    })
    assert.equal(report.run.status, 'cancelled')
    assert.ok(report.results.length < sandbox.tenants().filter((t) => t.crmClientId).length)
  } finally {
    sandbox.setFaults({})
  }
})

test('engine arguments and unmapped tenants are errors with codes', async () => {
  const store = STORES.memory()
  const engine = new es.SyncEngine(new es.GraphProvider(sandbox.graphSettings()), store)
  await assert.rejects(engine.syncTenant({ entraTenantId: 't', state: 'skipped' }), (e) => e instanceof es.EntraSyncError && e.code === 'not_mapped')
  assert.throws(() => new es.SyncEngine({}, store), (e) => e instanceof es.InvalidInput)
  assert.throws(() => new es.SyncEngine(new es.GraphProvider(sandbox.graphSettings()), {}), (e) => e instanceof es.InvalidInput)
  await assert.rejects(engine.syncAll({ trigger: 'sometimes' }), (e) => e instanceof es.InvalidInput)
})
