// Hostile input through the Node package: each case gives a clear `InvalidInput` (or
// `InvalidPattern`) or a correct result, never a crash. The same cases run from Python
// (`bindings-python/tests/test_hostile_input.py`); `docs/reliability.md` lists them with results.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { es } from './helpers.mjs'

const nested = (depth) => {
  const root = {}
  let current = root
  for (let i = 0; i < depth; i++) current = current.x = {}
  return root
}
const user = (upn, extra = {}) => ({ entraObjectId: 'u1', userPrincipalName: upn, accountEnabled: true, ...extra })
const BASE = { entraTenantId: 't', clientId: 'c', listingComplete: true, users: [], contacts: [] }
const preview = (tenantDomain, clientDomain, options) =>
  es.previewMappings({
    tenants: [{ entraTenantId: 't1', displayName: 'Tenant', domains: [tenantDomain] }],
    clients: [{ clientId: 'c1', clientName: 'Client', domains: [clientDomain] }],
    ...(options ? { options } : {}),
  })
const included = (r) => r.included.map((u) => u.entraObjectId)
const reasons = (r) => r.excluded.map((e) => e.reason)
const cycle = () => {
  const u = user('a@x.com')
  u.self = u
  return u
}

// [name, call, expected error code or null, check of the result]
const CASES = [
  ['nesting 100k deep through call', () => es.call('plan_tenant_sync', { ...BASE, extra: nested(100_000) }), 'invalid_input'],
  // The filter reads only the keys it needs: a key it never reads is left alone.
  ['nesting 100k deep inside a user', () => es.filterUsers({ users: [{ ...user('a@x.com'), x: nested(100_000) }] }), null, (r) => included(r)[0] === 'u1'],
  ['a cycle inside a user', () => es.planTenantSync({ ...BASE, users: [cycle()] }), 'invalid_input'],
  ['a BigInt id', () => es.filterUsers({ users: [user('a@x.com', { entraObjectId: 1n })] }), 'invalid_input'],
  ['NaN threshold', () => preview('a.com', 'b.com', { threshold: NaN }), 'invalid_input'],
  ['infinite threshold', () => preview('a.com', 'b.com', { threshold: Infinity }), 'invalid_input'],
  ['lone surrogate in a UPN', () => es.filterUsers({ users: [user('a\ud800@x.com')] }), 'invalid_input'],
  ['NUL in a UPN is no identity', () => es.filterUsers({ users: [user('a\u0000b@x.com')] }), null, (r) => included(r).length === 0 && reasons(r)[0] === 'missing_identity'],
  ['escape character in a mail is no identity', () => es.filterUsers({ users: [user('not-an-address', { mail: 'a\u001b[2J@x.com' })] }), null, (r) => reasons(r)[0] === 'missing_identity'],
  ['ten megabyte display name', () => es.filterUsers({ users: [user('a@x.com', { displayName: 'n'.repeat(10_000_000) })] }), null, (r) => included(r)[0] === 'u1'],
  ['homoglyph domain never matches the latin one', () => preview('\u0430cme.com', 'acme.com'), null, (r) => r.autoMatched.length === 0],
  ['unicode domain matches its punycode form', () => preview('b\u00fccher.example', 'xn--bcher-kva.example'), null, (r) => r.autoMatched[0]?.match.reason === 'exact_domain'],
  ['nested quantifier pattern on a long UPN', () => es.filterUsers({ users: [user('a'.repeat(100_000) + '!@x.com')], options: { customExclusionPatterns: ['(a+)+$'] } }), null, (r) => included(r)[0] === 'u1'],
  ['nested quantifier pattern that matches', () => es.filterUsers({ users: [user('a'.repeat(100_000) + '!@x.com')], options: { customExclusionPatterns: ['^(a+)+!'] } }), null, (r) => reasons(r)[0] === 'tenant_custom_pattern'],
  ['pattern with a huge repetition', () => es.validatePatterns(['(a{1000}){1000}']), 'invalid_pattern'],
  ['too many patterns', () => es.validatePatterns(Array.from({ length: 1000 }, (_, i) => `p${i}`)), 'invalid_pattern'],
]

for (const [name, call, code, check] of CASES) {
  test(`hostile input gives a clear error or a correct result: ${name}`, () => {
    if (code === null) {
      assert.ok(check(call()), name)
    } else {
      assert.throws(call, (e) => {
        assert.ok(e instanceof es.EntraSyncError, `${name}: ${e}`)
        assert.equal(e.code, code, `${name}: ${e.message.slice(0, 200)}`)
        assert.ok(e.message.length <= 1200, 'an error message echoes the whole input')
        return true
      })
    }
  })
}
