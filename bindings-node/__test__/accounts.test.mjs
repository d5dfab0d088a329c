// Account namespaces, layered settings, the connection lifecycle and the new run scopes through
// the Node surface (the logic lives in Rust; these prove the binding converts it faithfully).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { es } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await es.Sandbox.start({ seed: 5, tenants: 3, usersPerTenant: 6 })
})
after(async () => {
  await sandbox.shutdown()
})

const PAIRS = {
  memory: () => [new es.MemoryStore('acme'), new es.MemoryStore('globex')],
  sqlite: () => {
    const path = join(mkdtempSync(join(tmpdir(), 'entra-node-acct-')), 'shared.sqlite')
    return [new es.SqliteStore(path, 'acme'), new es.SqliteStore(path, 'globex')]
  },
}

for (const [name, makePair] of Object.entries(PAIRS)) {
  test(`${name}: accounts do not see each other's records`, async () => {
    const [a, b] = makePair()
    assert.deepEqual([a.accountId, b.accountId], ['acme', 'globex'])
    await a.upsertClients([{ clientId: 'c1', clientName: 'Contoso' }])
    await a.saveSettingsOverrides({ syncEnabled: false })
    await a.connect('direct')
    assert.deepEqual((await b.snapshot()).clients, [])
    assert.equal((await b.connectionStatus()).active, null)
    const resolved = await b.resolveSyncSettings('t1')
    assert.deepEqual(resolved.fields.syncEnabled, { value: true, source: 'default' })
  })
}

test('the default account and bad account ids', () => {
  assert.equal(new es.MemoryStore().accountId, 'default')
  for (const bad of ['', '  ', ' padded']) {
    assert.throws(() => new es.MemoryStore(bad), (e) => e instanceof es.EntraSyncError && e.code === 'invalid_input')
  }
})

test('settings resolve in layers with their sources', async () => {
  const store = new es.MemoryStore()
  await store.saveSettingsOverrides({ syncIntervalMinutes: 60, syncEnabled: false })
  await store.saveSettingsOverrides({ syncEnabled: true }, 't1')
  // [tenant, field, value, source]
  const cases = [
    ['t1', 'syncEnabled', true, 'tenant'],
    ['t1', 'syncIntervalMinutes', 60, 'account'],
    ['t2', 'syncEnabled', false, 'account'],
    ['t2', 'allowMassInactivation', false, 'default'],
  ]
  for (const [tenant, field, value, source] of cases) {
    const resolved = await store.resolveSyncSettings(tenant)
    assert.deepEqual(resolved.fields[field], { value, source }, `${tenant} ${field}`)
    assert.equal(resolved.effective[field], value)
  }
  assert.deepEqual(await store.loadSettingsOverrides('t1'), { syncEnabled: true })
  for (const bad of [{ syncIntervalMinutes: 4 }, { syncIntervalMinutes: 10081 }, { syncEnabeld: true }]) {
    await assert.rejects(store.saveSettingsOverrides(bad, 't1'), (e) => e.code === 'invalid_input')
  }
  assert.equal((await store.loadSyncSettings('t1')).syncIntervalMinutes, 60)
})

test('the connection lifecycle answers the secrets to clear', async () => {
  const store = new es.MemoryStore()
  const opened = await store.connect('direct')
  assert.equal(opened.connection.status, 'connected')
  assert.ok(opened.secretsToClear.includes('entra_cipp_base_url'))
  const validated = await store.recordValidation({ ok: false, checks: [] })
  assert.equal(validated.status, 'validation_failed')
  assert.deepEqual(validated.lastValidation, { ok: false, checks: [] })
  const switched = await store.connect('cipp')
  assert.ok(switched.secretsToClear.includes('entra_direct_refresh_token'))
  const closed = await store.disconnect()
  assert.equal(closed.connection.status, 'disconnected')
  assert.ok(closed.secretsToClear.includes('entra_cipp_api_token'))
  assert.ok(closed.secretsToClear.includes('entra_direct_access_token'))
  const status = await store.connectionStatus()
  assert.equal(status.active, null)
  assert.deepEqual(status.history.map((c) => c.connectionType), ['direct', 'cipp'])
  await assert.rejects(store.connect('graph'), (e) => e instanceof es.InvalidInput)
  await assert.rejects(store.recordValidation({ ok: true, checks: [] }), (e) => e.code === 'not_found')
})

test('CIPP secrets are validated before the host writes them', () => {
  const good = { baseUrl: 'https://cipp.contoso.com/', clientId: 'app', clientSecret: 's3cr3t', tenantId: 'contoso.onmicrosoft.com' }
  const out = es.cippSecrets(good)
  assert.equal(out.secrets.entra_cipp_base_url, 'https://cipp.contoso.com')
  assert.equal(out.secrets.entra_cipp_client_secret, 's3cr3t')
  for (const change of [{ baseUrl: 'ftp://x' }, { clientId: '' }, { tenantId: ' ' }]) {
    assert.throws(
      () => es.cippSecrets({ ...good, ...change }),
      (e) => e instanceof es.InvalidInput && !e.message.includes('s3cr3t'),
    )
  }
})

test('client sync, discovery run and disabled tenants', async () => {
  const store = new es.MemoryStore()
  const engine = new es.SyncEngine(new es.GraphProvider(sandbox.graphSettings()), store)
  await store.upsertClients(sandbox.crmClients())
  await store.upsertContacts(sandbox.crmContacts())
  const discovery = await engine.discoverRun({ requestKey: 'd1' })
  assert.equal(discovery.run.scope, 'discovery')
  assert.equal(discovery.run.status, 'completed')
  assert.equal(discovery.run.discovery.listingComplete, true)
  const mapped = sandbox.tenants().filter((t) => t.crmClientId)
  await engine.applyMappingChanges(mapped.map((t) => ({ kind: 'confirm', entraTenantId: t.tenantId, clientId: t.crmClientId })))
  const first = mapped[0]
  const events = []
  const report = await engine.syncClient(first.crmClientId, { requestKey: 'now', onProgress: (e) => events.push(e) })
  // Progress events are queued to this thread: wait for the last one.
  for (let i = 0; i < 500 && events.at(-1)?.event !== 'runFinished'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.deepEqual(
    events.map((e) => e.event),
    ['runStarted', 'tenantStarted', 'tenantFinished', 'runFinished'],
  )
  assert.ok(events.every((e) => e.runId === report.run.runId), JSON.stringify(events))
  assert.equal(report.run.scope, 'client')
  assert.equal(report.run.clientId, first.crmClientId)
  assert.deepEqual(report.results.map((r) => r.entraTenantId), [first.tenantId])
  await assert.rejects(engine.syncClient('no-such-client'), (e) => e.code === 'not_mapped')

  await store.saveSettingsOverrides({ syncEnabled: false }, first.tenantId)
  const run = await engine.syncAll({ requestKey: 'all' })
  const skipped = run.results.filter((r) => r.outcome === 'skipped')
  assert.deepEqual(skipped.map((r) => [r.entraTenantId, r.skipReason]), [[first.tenantId, 'sync_disabled']])
  assert.equal(run.run.tenantsSkipped, 1)
  assert.equal(run.run.tenantsFailed, 0)
})
