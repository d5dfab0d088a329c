// Logs: Rust log events reach the logger the host sets (a function or an object with
// info/warn/error), with their run and tenant context, and never a secret.
import { test, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { es } from './helpers.mjs'

const hooks = es._testHooks
const settle = () => new Promise((r) => setTimeout(r, 30))
// Events are queued to the JavaScript thread in order: once the last one emitted has arrived,
// every earlier one that was forwarded has too (a loaded machine may take longer than a tick).
const until = async (arrived, ms = 5000) => {
  for (const end = Date.now() + ms; !arrived() && Date.now() < end; ) await settle()
}

afterEach(() => es.setLogger(null))

test('a function logger receives events with their span context', async () => {
  const events = []
  es.setLogger((e) => events.push(e), { level: 'info' })
  hooks.emitLog('warn', 'hello from rust')
  hooks.emitLog('debug', 'too verbose')
  hooks.emitLog('error', 'last')
  await until(() => events.some((e) => e.message === 'last'))
  assert.deepEqual(events.map((e) => e.message), ['hello from rust', 'last'])
  const [event] = events
  assert.equal(event.level, 'warn')
  assert.equal(event.message, 'hello from rust')
  assert.equal(event.context.run, 'run-1')
  assert.equal(event.context.tenant, 't-1')
  assert.equal(event.fields.detail, 1)
})

test('an object logger gets the method of the level', async () => {
  const calls = []
  const logger = {
    info: (m) => calls.push(['info', m]),
    warn: (m) => calls.push(['warn', m]),
    error: (m) => calls.push(['error', m]),
  }
  es.setLogger(logger, { level: 'debug' })
  hooks.emitLog('error', 'e')
  hooks.emitLog('warn', 'w')
  hooks.emitLog('info', 'i')
  hooks.emitLog('debug', 'd')
  await until(() => calls.length >= 4)
  assert.deepEqual(calls, [['error', 'e'], ['warn', 'w'], ['info', 'i'], ['info', 'd']])
})

test('engine runs log with tenant context and without secrets', async () => {
  const events = []
  es.setLogger((e) => events.push(e), { level: 'debug' })
  const sandbox = await es.Sandbox.start({ seed: 3, tenants: 2, usersPerTenant: 5 })
  try {
    const store = new es.MemoryStore()
    const engine = new es.SyncEngine(new es.GraphProvider(sandbox.graphSettings()), store)
    await engine.discover()
    await engine.applyMappingChanges(sandbox.tenants().filter((t) => t.crmClientId).map((t) => ({ kind: 'confirm', entraTenantId: t.tenantId, clientId: t.crmClientId })))
    await store.upsertClients(sandbox.crmClients())
    await engine.syncAll({ requestKey: 'logged' })
    await settle()
    assert.ok(events.length > 0)
    assert.ok(events.some((e) => Object.keys(e.context).length > 0), 'some events carry span context')
    const text = JSON.stringify(events)
    const c = sandbox.credentials
    for (const secret of [c.clientSecret, c.partnerRefreshToken, c.cippClientSecret]) {
      assert.ok(!text.includes(secret), 'a secret reached the logs')
    }
  } finally {
    await sandbox.shutdown()
  }
})

test('an unknown level is InvalidInput', () => {
  assert.throws(() => es.setLogger(() => {}, { level: 'loud' }), (e) => e instanceof es.InvalidInput)
})
