// Errors: every kind has its exported subclass of EntraSyncError with `code` and `details`,
// thrown by sync calls and rejected by async ones; a Rust panic is code `internal`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { es } from './helpers.mjs'

const hooks = es._testHooks

const CLASS_OF_CODE = [
  ['invalid_input', 'core', es.InvalidInput],
  ['invalid_pattern', 'core', es.InvalidPattern],
  ['mapping_conflict', 'core', es.MappingConflict],
  ['stale_mapping', 'core', es.StaleMapping],
  ['plan_rejected', 'core', es.InvalidInput],
  ['consent_required', 'provider', es.ConsentRequired],
  ['refresh_token_expired', 'provider', es.AuthError],
  ['token_persist_failed', 'provider', es.AuthError],
  ['throttled', 'provider', es.Throttled],
  ['upstream_unavailable', 'provider', es.UpstreamError],
  ['configuration', 'provider', es.ConfigurationError],
  ['unsupported', 'provider', es.Unsupported],
  ['sandbox_stopped', 'sandbox', es.SandboxError],
  ['internal', 'core', es.EntraSyncError],
]

test('each code is thrown as the class of its kind', () => {
  for (const [code, family, Class] of CLASS_OF_CODE) {
    assert.throws(
      () => hooks.raiseForCode(code, `message of ${code}`, family),
      (e) => {
        assert.equal(e.constructor, Class, code)
        assert.ok(e instanceof es.EntraSyncError && e instanceof Error)
        assert.equal(e.code, code)
        assert.equal(e.message, `message of ${code}`)
        return true
      },
    )
  }
})

test('every error class is exported and derives from EntraSyncError', () => {
  const names = ['InvalidInput', 'InvalidPattern', 'MappingConflict', 'StaleMapping', 'ConsentRequired', 'AuthError', 'Throttled', 'UpstreamError', 'ConfigurationError', 'Unsupported', 'StoreError', 'SandboxError']
  for (const name of names) {
    assert.equal(typeof es[name], 'function', name)
    assert.ok(es[name].prototype instanceof es.EntraSyncError, name)
    assert.equal(new es[name]('m').name, name)
  }
})

test('details carry the structured fields of the Rust error', () => {
  const tenant = 'tenant-1'
  assert.throws(
    () =>
      es.planMappingChanges({
        operations: [
          { kind: 'confirm', entraTenantId: tenant, clientId: 'a' },
          { kind: 'confirm', entraTenantId: tenant, clientId: 'b' },
        ],
      }),
    (e) => e instanceof es.MappingConflict && e.details.entraTenantId === tenant,
  )
  assert.throws(
    () => es.validatePatterns({ patterns: ['('] }),
    (e) => e instanceof es.InvalidPattern && e.code === 'invalid_pattern' && e.details.pattern === '(',
  )
})

test('a missing field is InvalidInput naming it, from sync and async calls', async () => {
  const check = (e) => e instanceof es.InvalidInput && e.code === 'invalid_input' && e.message.includes('users')
  assert.throws(() => es.filterUsers({}), check)
  await assert.rejects(es.filterUsersAsync({}), check)
  await assert.rejects(es.callAsync('no_such_function', {}), (e) => e.code === 'unknown_function')
})

test('values JSON cannot hold are InvalidInput', () => {
  const cyclic = {}
  cyclic.self = cyclic
  assert.throws(() => es.filterUsers(cyclic), (e) => e instanceof es.InvalidInput)
  assert.throws(() => es.filterUsers({ users: [{ entraObjectId: 'a', accountEnabled: 1n }] }), (e) => e instanceof es.InvalidInput)
  assert.throws(() => es.call('filter_users', { users: [{ entraObjectId: 'a', accountEnabled: true, big: 1n }] }), (e) => e instanceof es.InvalidInput)
})

test('a Rust panic is code internal, from sync and async calls, and the process lives on', async () => {
  assert.throws(hooks.panic, (e) => e.constructor === es.EntraSyncError && e.code === 'internal' && e.message.includes('panic'))
  await assert.rejects(hooks.panicAsync(), (e) => e instanceof es.EntraSyncError && e.code === 'internal')
  assert.deepEqual(es.filterUsers({ users: [] }), { included: [], excluded: [] })
})
