// The pure functions: named wrappers equal `call`, `functions()`, run ids, the ESM entry point,
// and the async variants running off the JavaScript thread while timers keep firing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { es, graphUsers, sameAsEntryPoint } from './helpers.mjs'
import * as esm from '../index.mjs'

test('functions() lists what call accepts', () => {
  assert.deepEqual(es.functions(), ['filter_users', 'validate_patterns', 'plan_tenant_sync', 'apply_plan', 'merge_discovery', 'preview_mappings', 'plan_mapping_changes', 'run_id', 'contact_version', 'summarize_licenses', 'resolve_settings'])
})

test('the named functions equal call, sync and async', async () => {
  // Canonical users (as the entry point writes them): filterUsers's result equals call's.
  const canonical = es.call('filter_users', { users: graphUsers(200) })
  const users = [...canonical.included, ...canonical.excluded.map((e) => e.user)]
  const input = { users, options: { includeGuests: false, licensedOnly: true } }
  const viaCall = es.call('filter_users', input)
  assert.deepEqual(es.filterUsers(input), viaCall)
  assert.deepEqual(await es.filterUsersAsync(input), viaCall)
  assert.ok(viaCall.included.length > 0 && viaCall.excluded.length > 0)
})

test('contactVersion is the version a plan compares with', () => {
  const contact = { contactId: 'c-1', clientId: 'client-1', email: 'jane@contoso.com', fullName: 'Jane' }
  const version = es.contactVersion(contact)
  assert.match(version, /^[0-9a-f]{32}$/)
  assert.equal(version, es.call('contact_version', { contact }).contactVersion)
  assert.equal(version, es.call('contact_version', contact).contactVersion)
  assert.notEqual(es.contactVersion({ ...contact, fullName: 'Jane Doe' }), version)
  const plan = es.planTenantSync({
    entraTenantId: 't-1', clientId: 'client-1', listingComplete: true, links: [], contacts: [contact],
    users: [{ entraObjectId: 'u-1', accountEnabled: true, email: 'jane@contoso.com', displayName: 'Jane', assignedLicenseSkuIds: ['s'] }],
  })
  const link = plan.actions.find((a) => a.kind === 'link')
  assert.equal(link.contactVersion, version)
})

test('runId is deterministic and names attempts', () => {
  const key = { entraTenantId: 't-1', scope: 'tenant', trigger: 'manual', discriminator: { kind: 'request_key', key: 'k' } }
  const first = es.runId(key)
  assert.equal(es.runId(key), first)
  assert.notEqual(es.runId(key, 2), first)
  assert.ok(es.runId(key, 2).startsWith(first))
})

test('the ESM entry point exports the same functions', () => {
  assert.equal(esm.filterUsers, es.filterUsers)
  assert.equal(esm.EntraSyncError, es.EntraSyncError)
  assert.equal(esm.default, es)
  // Every CommonJS export is a named ESM export, the same object.
  for (const name of Object.keys(es)) assert.equal(esm[name], es[name], name)
})

test('timers keep firing while a 100k-user plan runs off the JavaScript thread', async () => {
  const users = graphUsers(100_000)
  const contacts = users.slice(0, 100_000).map((u, i) => ({ contactId: `c-${i}`, clientId: 'client-1', email: i % 2 ? u.mail : `other${i}@example.com`, fullName: u.displayName }))
  const input = { entraTenantId: 't-1', clientId: 'client-1', users, listingComplete: true, contacts, links: [] }
  const text = JSON.stringify(input)
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  // The input is written before the call returns; count only the ticks while the plan runs.
  const pending = es.planTenantSyncAsync(input)
  const atStart = ticks
  const plan = await pending
  clearInterval(timer)
  assert.ok(ticks - atStart > 0, 'no timer fired while the plan ran')
  assert.ok(plan.actions.length > 0)
  assert.equal(text.length > 0, true)
})

test('a plan of many pieces reads back whole, sync and async, and equals call', async () => {
  // More actions, withheld actions and excluded users than one piece (5,000) of the result.
  const users = graphUsers(30_000).map((u, i) => ({ ...u, accountEnabled: i % 4 !== 0 }))
  const contacts = users.slice(0, 6_000).map((u, i) => ({ contactId: `c-${i}`, clientId: 'client-1', email: u.mail, fullName: `Old ${i}` }))
  const links = users.slice(0, 6_000).map((u, i) => ({ entraTenantId: 't-1', entraObjectId: u.entraObjectId, contactId: `c-${i}`, clientId: 'client-1', active: true }))
  const input = { entraTenantId: 't-1', clientId: 'client-1', users, listingComplete: true, contacts, links, settings: { massInactivation: { maxShare: 0.01, minCount: 1 } } }
  const expected = es.call('plan_tenant_sync', input)
  assert.ok(expected.actions.length > 5_000 && expected.excluded.length > 0, `${expected.actions.length} actions`)
  assert.deepEqual(es.planTenantSync(input), expected)
  assert.deepEqual(await es.planTenantSyncAsync(input), expected)
  assert.deepEqual(Object.keys(es.planTenantSync(input)), Object.keys(expected))
  // Input the typed reader refuses: the entry point's error, from both.
  const bad = { ...input, users: [{ entraObjectId: 'x' }] }
  const same = sameAsEntryPoint('plan_tenant_sync', bad)
  assert.throws(() => es.planTenantSync(bad), same)
  await assert.rejects(es.planTenantSyncAsync(bad), same)
})

test('a long input read while it is written refuses as the entry point does, wherever the fault', async () => {
  // Users and contacts cross a slice (2,000 elements) at a time and are read while the next
  // slices are written; other lists cross whole. A fault in a late slice, or in a list or field
  // written after the slices, must still give exactly the entry point's error.
  const users = graphUsers(7_000)
  const contacts = users.slice(0, 5_000).map((u, i) => ({ contactId: `c-${i}`, clientId: 'client-1', email: u.mail, fullName: `C ${i}` }))
  const links = users.slice(0, 5_000).map((u, i) => ({ entraTenantId: 't-1', entraObjectId: u.entraObjectId, contactId: `c-${i}`, clientId: 'client-1', active: true }))
  const base = { entraTenantId: 't-1', clientId: 'client-1', users, listingComplete: true, contacts, links }
  const at = (list, index, value) => list.map((item, i) => (i === index ? value : item))
  const cases = [
    ['a user without its enabled state in the last slice', { ...base, users: at(users, 6_999, { entraObjectId: 'x' }) }],
    ['a contact that is a string in the third slice', { ...base, contacts: at(contacts, 4_500, 'not a contact') }],
    ['a link without its contact, in a list written after the slices', { ...base, links: at(links, 2_500, { entraTenantId: 't-1' }) }],
    ['a top-level field of the wrong type after the lists', { ...base, listingComplete: 'yes' }],
    // Read fine, refused by the planner on its thread: the error comes back through the stream.
    ['a blank object id in the last slice', { ...base, users: at(users, 6_999, { ...users[0], entraObjectId: ' ' }) }],
    ['a user of another tenant in the second slice', { ...base, users: at(users, 3_000, { ...users[0], entraTenantId: 't-2' }) }],
  ]
  for (const [name, input] of cases) {
    const same = sameAsEntryPoint('plan_tenant_sync', input)
    assert.throws(() => es.planTenantSync(input), same, name)
    await assert.rejects(es.planTenantSyncAsync(input), same, name)
  }
  // A value JSON cannot hold, in a late slice: invalid_input, and the next plan is unaffected.
  const big = { ...base, users: at(users, 6_500, { ...users[0], entraObjectId: 10n }) }
  assert.throws(() => es.planTenantSync(big), (e) => e instanceof es.InvalidInput)
  await assert.rejects(es.planTenantSyncAsync(big), (e) => e instanceof es.InvalidInput)
  assert.deepEqual(es.planTenantSync(base), es.call('plan_tenant_sync', base))
})

test('filterUsers hands back the caller’s user objects, whatever their shape', () => {
  const graph = graphUsers(50).map((u) => ({ ...u, id: u.entraObjectId }))
  const out = es.filterUsers({ users: graph })
  const viaCall = es.call('filter_users', { users: graph })
  assert.deepEqual(out.included.map((u) => u.entraObjectId), viaCall.included.map((u) => u.entraObjectId))
  assert.ok(out.included.every((u) => graph.includes(u)), 'an included user is the caller’s own object')
  assert.ok(out.excluded.every((e) => graph.includes(e.user)), 'an excluded user is the caller’s own object')
})

test('filterUsers errors are the entry point’s', () => {
  const check = (input) => {
    let expected
    try {
      es.call('filter_users', input)
    } catch (e) {
      expected = e
    }
    assert.throws(() => es.filterUsers(input), (e) => e.code === expected.code && e.message === expected.message)
  }
  check({ users: [{ entraObjectId: 'a' }] })
  check({ users: [], options: { customExclusionPatterns: ['('] } })
  check({ users: 'nope' })
})

test('inputs and results larger than one piece cross whole', () => {
  // More users than one piece of the input (50k) and of the filter's result (100k).
  const canonical = es.call('filter_users', { users: graphUsers(120_001) })
  const users = [...canonical.included, ...canonical.excluded.map((e) => e.user)]
  const expected = es.call('filter_users', { users })
  const out = es.filterUsers({ users })
  assert.equal(out.included.length + out.excluded.length, users.length)
  assert.deepEqual(out, expected)
})

test('summarizeLicenses counts reclaimable licences and equals call, also from the ESM entry point', () => {
  const spb = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'
  const input = {
    entraTenantId: 't1',
    subscribedSkus: [{ skuId: spb, skuPartNumber: 'SPB', prepaidUnits: { enabled: 5 }, consumedUnits: 3 }],
    users: [
      { entraObjectId: 'u1', accountEnabled: true, userType: 'Member', assignedLicenseSkuIds: [spb] },
      { entraObjectId: 'u2', accountEnabled: false, userType: 'Member', assignedLicenseSkuIds: [spb] },
      { entraObjectId: 'u3', accountEnabled: true, userType: 'Guest', assignedLicenseSkuIds: [spb] },
    ],
  }
  const summary = es.summarizeLicenses(input)
  assert.deepEqual(summary, es.call('summarize_licenses', input))
  assert.deepEqual(esm.summarizeLicenses(input), summary)
  const [row] = summary.skus
  assert.equal(row.productName, 'Microsoft 365 Business Premium')
  assert.deepEqual([row.purchased, row.assigned, row.reclaimable, row.assignedToGuests], [5, 3, 2, 1])
  assert.deepEqual(summary.users.map((u) => u.skuPartNumbers), [['SPB'], ['SPB'], ['SPB']])
  assert.throws(
    () => es.summarizeLicenses({ subscribedSkus: [{ skuId: spb }, { skuId: spb }] }),
    (err) => err.code === 'invalid_input' && /subscribedSkus\[1\]\.skuId/.test(err.message),
  )
})
