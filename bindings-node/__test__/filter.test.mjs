// filterUsers reads only the fields the filter looks at and hands back the caller's own user
// objects: every decision must still be the JSON entry point's (`call('filter_users', ...)`),
// for canonical users, Graph-shaped users and users with every reading of the fields the
// filter looks at; input the entry point refuses gets its error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { es, graphUsers, sameAsEntryPoint, vectorFiles } from './helpers.mjs'

/** `[included ids, excluded [id, reason, pattern]]` of a result, by `entraObjectId`. */
function decisions(out) {
  return [
    out.included.map((u) => u.entraObjectId),
    out.excluded.map((e) => [e.user.entraObjectId, e.reason, e.pattern ?? null]),
  ]
}

/** filterUsers (sync and async) decides as the entry point and returns the caller's objects. */
async function assertSameDecisions(input, label) {
  const expected = es.call('filter_users', input)
  for (const out of [es.filterUsers(input), await es.filterUsersAsync(input)]) {
    assert.deepEqual(decisions(out), decisions(expected), label)
    assert.deepEqual(Object.keys(out), expected.warnings === undefined ? ['included', 'excluded'] : ['included', 'excluded', 'warnings'])
    assert.deepEqual(out.warnings, expected.warnings, label)
    for (const e of out.excluded) assert.deepEqual(Object.keys(e), e.pattern === undefined ? ['user', 'reason'] : ['user', 'reason', 'pattern'])
    const own = new Set(input.users)
    for (const u of [...out.included, ...out.excluded.map((e) => e.user)]) {
      if (!own.has(u)) {
        // Only input the field reader cannot take (a `toJSON` method) comes back as copies.
        assert.deepEqual(out, expected, `${label}: copies must be the entry point's`)
        return
      }
    }
  }
}

const OPTIONS = [
  undefined,
  null,
  {},
  { includeGuests: true },
  { licensedOnly: true },
  { customExclusionPatterns: ['^$', '^svc-', '@contractors\\.', '(?i)room', 'ö'] },
  { customExclusionPatterns: ['^user1'], includeGuests: true, licensedOnly: true },
]

test('filterUsers decides as the entry point over the shared vectors', async () => {
  let cases = 0
  for (const file of vectorFiles()) {
    const c = JSON.parse(readFileSync(file, 'utf8'))
    const users = c.function === 'filter_users' ? c.input?.users : c.function === 'plan_tenant_sync' ? c.input?.users : null
    if (!Array.isArray(users) || 'expectedError' in c) continue
    const canonical = es.call('filter_users', { users })
    const canonicalUsers = [...canonical.included, ...canonical.excluded.map((e) => e.user)]
    const groupMemberships = c.function === 'filter_users' ? c.input.groupMemberships : undefined
    for (const options of [c.function === 'filter_users' ? c.input.options : undefined, ...OPTIONS]) {
      await assertSameDecisions({ users, options, groupMemberships }, file)
      // Canonical users: the whole result equals the entry point's.
      const input = { users: canonicalUsers, options, groupMemberships }
      assert.deepEqual(es.filterUsers(input), es.call('filter_users', input), file)
      cases++
    }
  }
  assert.ok(cases > 0, 'no vector has users')
})

test('filterUsers hands back the caller’s objects for Graph-shaped and canonical users', async () => {
  // Graph's `mail` instead of `email`, extra Graph keys, missing contract keys.
  const graph = graphUsers(300).map((u, i) => {
    const v = { ...u, id: u.entraObjectId, '@odata.type': '#microsoft.graph.user', createdDateTime: '2024-01-01T00:00:00Z' }
    if (i % 5 === 0) delete v.givenName
    if (i % 7 === 0) delete v.businessPhones
    return v
  })
  for (const options of OPTIONS) await assertSameDecisions({ users: graph, options }, JSON.stringify(options))
  const out = es.filterUsers({ users: graph })
  assert.ok(out.included.length > 0)
  assert.ok(out.included.every((u, i, all) => graph.includes(u) && (i === 0 || graph.indexOf(all[i - 1]) < graph.indexOf(u))))
  const canonical = es.call('filter_users', { users: graph })
  const users = [...canonical.included, ...canonical.excluded.map((e) => e.user)]
  const again = es.filterUsers({ users })
  assert.deepEqual(again, es.call('filter_users', { users }))
  assert.ok(again.included.every((u) => users.includes(u)))
})

test('every reading of the fields the filter looks at decides as the entry point', async () => {
  // Values for the fields the filter reads: absent, null, empty and texts that hit each rule.
  const texts = [
    undefined, null, '', ' ', 'jane@contoso.com', 'svc-backup@contoso.com', 'no-reply@contoso.com',
    'kim_x.com#EXT#@contoso.onmicrosoft.com', 'Sync_HOST_0123456789ab@contoso.com', 'zoë.noreply@contoso.com',
    '\u00a0ann@contoso.com ', 'lee@contractors.contoso.com', 'Conf-Room 4', 'Shared Mailbox - Info',
    'On-Premises Directory Synchronization Service Account', 'Guest', ' guest ', 'Member', '😀@contoso.com',
    'scan2email@contoso.com', 'Break Glass', 'not an address',
  ]
  let seed = 7
  const pick = (list) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return list[seed % list.length]
  }
  const users = []
  for (let i = 0; i < 3000; i++) {
    const u = { entraObjectId: `u-${i}`, accountEnabled: i % 9 !== 0 }
    for (const key of ['userPrincipalName', i % 2 ? 'mail' : 'email', 'displayName', 'userType']) {
      const v = pick(texts)
      if (v !== undefined) u[key] = v
    }
    const licenses = pick([undefined, null, [], ['sku']])
    if (licenses !== undefined) u.assignedLicenseSkuIds = licenses
    users.push(i % 11 === 0 ? Object.assign(Object.create(null), u) : u)
  }
  for (const options of OPTIONS) await assertSameDecisions({ users, options }, JSON.stringify(options))
})

test('input the field reader cannot take still gets the entry point’s answer', async () => {
  const base = { entraObjectId: 'a', accountEnabled: true, userPrincipalName: 'a@contoso.com', assignedLicenseSkuIds: ['s'] }
  // A toJSON method: decided by the entry point.
  {
    const input = { users: [{ ...base, toJSON: () => ({ ...base, accountEnabled: false }) }, { ...base, entraObjectId: 'b' }] }
    assert.deepEqual(es.filterUsers(input), es.call('filter_users', input))
    assert.deepEqual(await es.filterUsersAsync(input), es.call('filter_users', input))
  }
  // NUL inside the texts the filter reads: read by the field reader (texts cross with their
  // lengths), decided as the entry point decides, and the caller's objects handed back.
  for (const user of [
    { ...base, displayName: 'a\u0000b' },
    { ...base, mail: 'a\u0000b@x.com' },
    { ...base, userPrincipalName: '\u0000svc-a@contoso.com' },
    { ...base, userPrincipalName: 'a@contoso.com\u0000', mail: 'a@contoso.com\u0000' },
    { ...base, userType: 'Gu\u0000est' },
  ]) {
    const input = { users: [user, { ...base, entraObjectId: 'b' }] }
    for (const options of OPTIONS) await assertSameDecisions({ ...input, options }, JSON.stringify(user))
    const out = es.filterUsers(input)
    assert.ok([...out.included, ...out.excluded.map((e) => e.user)].includes(user), JSON.stringify(user))
  }
  // Input the entry point refuses: the same error, from both.
  const refused = [
    { users: [{ ...base, email: 'a@contoso.com', mail: 'a@contoso.com' }] },
    { users: [{ ...base, accountEnabled: 'yes' }] },
    { users: [{ ...base, entraObjectId: undefined }] },
    { users: [{ ...base, jobTitle: 3 }] },
    { users: [{ ...base, proxyAddresses: ['smtp:a@x', null] }] },
    { users: [{ ...base, surname: '\ud800' }] },
    // Lone surrogates in the texts the filter reads (the addon checks their code units).
    { users: [{ ...base, userPrincipalName: 'a\ud800@contoso.com' }] },
    { users: [{ ...base, userPrincipalName: 'a\udc00@contoso.com', mail: 'a\udc00@contoso.com' }] },
    { users: [{ ...base, mail: '\udbff' }] },
    { users: [{ ...base, displayName: 'end\ud800' }] },
    { users: [{ ...base, userType: '\udfff' }] },
    { users: [{ ...base, entraObjectId: '\ud800' }] },
    { users: [{ ...base, proxyAddresses: ['smtp:\ud800'] }] },
    { users: [base], options: { includeGuests: 'yes' } },
    { users: [base], options: { customExclusionPatterns: ['('] } },
    // A key the filter does not look at is wrong and the options too: the entry point names the
    // user's key (the async call checks those keys while the addon decides, and must not answer
    // with the addon's pattern error).
    { users: [base, { ...base, jobTitle: 3 }], options: { customExclusionPatterns: ['('] } },
    { users: [{ ...base, otherMails: 'a@x' }, base], options: { customExclusionPatterns: ['('] } },
    { users: [null] },
    { users: {} },
  ]
  for (const input of refused) {
    let expected
    try {
      es.call('filter_users', input)
    } catch (e) {
      expected = e
    }
    assert.ok(expected, JSON.stringify(input))
    const same = (e) => e.constructor === expected.constructor && e.code === expected.code && e.message === expected.message
    assert.throws(() => es.filterUsers(input), same, JSON.stringify(input))
    await assert.rejects(es.filterUsersAsync(input), same, JSON.stringify(input))
  }
})

test('a large listing (decided on a thread while the other keys are checked) gets the entry point’s answer', async () => {
  // Large enough for the sync call to decide on a thread of its own and for both calls to check
  // the keys the filter does not read while the addon decides.
  const users = graphUsers(5000)
  const options = { customExclusionPatterns: ['^svc-'] }
  await assertSameDecisions({ users, options }, 'large listing')
  const bad = [
    ['jobTitle', 3],
    ['surname', 'x\ud800'],
    ['otherMails', 'a@contoso.com'],
    ['businessPhones', [null]],
    ['entraTenantId', false],
  ]
  for (const [key, value] of bad) {
    for (const opts of [options, { customExclusionPatterns: ['('] }]) {
      const input = { users: users.map((u, i) => (i === 4321 ? { ...u, [key]: value } : u)), options: opts }
      const same = sameAsEntryPoint('filter_users', input)
      assert.throws(() => es.filterUsers(input), same, key)
      await assert.rejects(es.filterUsersAsync(input), same, key)
    }
  }
  // An invalid pattern with readable users: the addon's error, as the entry point's.
  const input = { users, options: { customExclusionPatterns: ['('] } }
  let expected
  try {
    es.call('filter_users', input)
  } catch (e) {
    expected = e
  }
  assert.equal(expected?.code, 'invalid_pattern')
  assert.throws(() => es.filterUsers(input), (e) => e.code === expected.code && e.message === expected.message)
  await assert.rejects(es.filterUsersAsync(input), (e) => e.code === expected.code && e.message === expected.message)
})

test('filterUsers reads only the contract’s keys: other keys are never looked at', () => {
  // A class instance is read like a plain object, and handed back.
  class Person {
    constructor() {
      Object.assign(this, { entraObjectId: 'p', accountEnabled: true, userPrincipalName: 'p@contoso.com' })
    }
  }
  const person = new Person()
  assert.equal(es.filterUsers({ users: [person] }).included[0], person)
  const user = { entraObjectId: 'a', accountEnabled: true, userPrincipalName: 'a@contoso.com', big: 1n }
  assert.throws(() => es.call('filter_users', { users: [user] }), (e) => e instanceof es.InvalidInput)
  assert.deepEqual(es.filterUsers({ users: [user] }), { included: [user], excluded: [] })
})

test('the addon reads the texts across the pieces a huge listing is joined into', async () => {
  const { createRequire } = await import('node:module')
  const native = createRequire(import.meta.url)('../native.js')
  // Three users, UPN and display name each (flags: enabled, licensed, UPN, display name).
  const texts = ['ext-a@x.com', 'Ext A', 'b@x.com', 'Bob', 'c@x.com', 'Room \u00e9']
  const flags = new Uint8Array([1 | 2 | 4 | 32, 4 | 32, 1 | 2 | 4 | 32])
  const lengths = new Uint32Array(texts.map((t) => t.length))
  const options = JSON.stringify({ customExclusionPatterns: ['^ext-'] })
  const whole = native.filterUserFields(options, flags, [texts.join('')], lengths)
  assert.deepEqual([...whole.reasons], [6, 1, 0])
  assert.deepEqual(whole.patterns, ['^ext-'])
  const cases = [
    [['ext-a@x.comExt A', 'b@x.comBob', 'c@x.comRoom \u00e9']],
    [['', 'ext-a@x.com', 'Ext Ab@x.comBob', '', 'c@x.comRoom \u00e9', '']],
  ]
  for (const [pieces] of cases) {
    const out = native.filterUserFields(options, flags, pieces, lengths)
    assert.deepEqual([...out.reasons], [...whole.reasons], JSON.stringify(pieces))
    assert.deepEqual([...out.patternIds], [...whole.patternIds])
  }
  // A text split across two pieces, units left over, or units missing: the entry point decides.
  for (const pieces of [['ext-a@x', '.comExt Ab@x.comBobc@x.comRoom \u00e9'], [texts.join('') + 'x'], [texts.join('').slice(1)]]) {
    assert.equal(native.filterUserFields(options, flags, pieces, lengths), null, JSON.stringify(pieces))
  }
})
