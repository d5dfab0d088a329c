// ClientIndex: clients indexed once give, preview after preview, exactly what previewMappings
// gives for the same clients and options: over every shared preview vector, over several tenant
// lists previewed against one index, and with the same errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { es, REPO_ROOT } from './helpers.mjs'

const VECTOR_DIR = join(REPO_ROOT, 'tests', 'vectors', 'preview_mappings')
const VECTORS = readdirSync(VECTOR_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => [name, JSON.parse(readFileSync(join(VECTOR_DIR, name), 'utf8'))])

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/** What a call gave: `{value}` or `{error: [class, code, message]}`. */
async function outcome(f) {
  try {
    return { value: await f() }
  } catch (e) {
    assert.ok(e instanceof es.EntraSyncError, `not an EntraSyncError: ${e}`)
    return { error: [e.constructor.name, e.code, e.message] }
  }
}

/** An outcome with the error reduced to its class and code (messages name different steps). */
const kind = (o) => (o.error ? { error: o.error.slice(0, 2) } : o)

/** The input split into the index's part and the preview's part. */
function split(input) {
  const { clients, options, ...rest } = input
  return [clients, options, rest]
}

test('an index previews every shared vector as previewMappings does', async () => {
  let compared = 0
  for (const [name, vector] of VECTORS) {
    const input = vector.input
    // Only an object input splits into clients/options and tenants/mappings.
    if (!isObject(input)) continue
    const [clients, options, rest] = split(input)
    const expected = await outcome(() => es.previewMappings(input))
    const sync = await outcome(() => new es.ClientIndex(clients, options).preview(rest))
    const async_ = await outcome(() => new es.ClientIndex(clients, options).previewAsync(rest))
    assert.deepEqual(kind(sync), kind(expected), name)
    assert.deepEqual(kind(async_), kind(expected), name)
    if ('expectedError' in vector) assert.equal(sync.error?.[1], vector.expectedError.code, name)
    compared++
  }
  assert.ok(compared >= 50, `only ${compared} vectors compared`)
})

const CLIENTS = [
  { clientId: 'c1', clientName: 'Contoso Dental', domains: ['https://www.contoso.com'] },
  { clientId: 'c2', clientName: 'Acme Rental Inc', domains: ['acme.co.uk'] },
  { clientId: 'c3', clientName: 'Alpha Health', secondaryDomains: ['billing@alpha.de'] },
  { clientId: 'c4', clientName: 'Alpha Wealth' },
  { clientId: 'c5', clientName: 'Fabrikam Systems', domains: ['fabrikam.com'] },
]
const TENANTS = [
  { entraTenantId: 't1', displayName: 'Contoso', domains: ['contoso.com'] },
  { entraTenantId: 't2', displayName: 'ACME RENTAL CORPORATION', domains: [] },
  { entraTenantId: 't3', displayName: 'Alpha Health GmbH', domains: ['alpha.de'] },
  { entraTenantId: 't4', displayName: 'Fabrikam Sys', domains: ['fab.onmicrosoft.com'] },
  { entraTenantId: 't5', displayName: 'Nobody At All', domains: ['nobody.net'] },
]

test('one index serves several tenant lists as previewMappings does', async () => {
  const lists = [TENANTS, TENANTS.slice(0, 2), TENANTS.slice(2), [TENANTS[3]], []]
  const mappingSets = [undefined, [], [{ entraTenantId: 't5', state: 'skipped' }], [{ entraTenantId: 't1', state: 'mapped', clientId: 'c5' }]]
  for (const options of [undefined, null, { threshold: 0.5, topK: 2 }, { threshold: 0.9 }, { topK: 1 }]) {
    const index = new es.ClientIndex(CLIENTS, options)
    assert.equal(index.size, CLIENTS.length)
    for (const tenants of lists) {
      for (const mappings of mappingSets) {
        const expected = es.previewMappings({ tenants, clients: CLIENTS, mappings, options })
        const label = JSON.stringify({ options, tenants: tenants.map((t) => t.entraTenantId), mappings })
        assert.deepEqual(index.preview({ tenants, mappings }), expected, label)
        assert.deepEqual(await index.previewAsync({ tenants, mappings }), expected, label)
      }
    }
  }
  // Something was matched, so the comparison is not between empty previews.
  assert.ok(new es.ClientIndex(CLIENTS).preview({ tenants: TENANTS }).autoMatched.length > 0)
})

test('invalid clients or options throw what previewMappings throws, when the index is built', async () => {
  const cases = [
    [[{ clientId: '' }], undefined],
    [[{ clientId: 'c1' }, { clientId: 'c1' }], undefined],
    [[{ clientName: 'No id' }], undefined],
    [[{ clientId: 7 }], undefined],
    ['not a list', undefined],
    [[], { threshold: 2 }],
    [[], { topK: 0 }],
    [[], { topK: 'five' }],
    [[], { threshold: NaN }],
    [[{ clientId: 'c', big: 1n }], undefined],
  ]
  for (const [clients, options] of cases) {
    const label = String(JSON.stringify([clients, options], (_, v) => (typeof v === 'bigint' ? `${v}n` : v)))
    const expected = await outcome(() => es.previewMappings({ tenants: [], clients, options }))
    assert.ok(expected.error, label)
    assert.equal(expected.error[1], 'invalid_input', label)
    assert.deepEqual(await outcome(() => new es.ClientIndex(clients, options)), expected, label)
  }
  // Absent or null clients are none, as in a preview input.
  for (const clients of [undefined, null]) assert.equal(new es.ClientIndex(clients).size, 0)
})

test('a preview input carrying clients or options is refused; bad tenants get previewMappings’ error', async () => {
  const index = new es.ClientIndex(CLIENTS)
  for (const extra of [{ clients: [] }, { clients: null }, { options: { topK: 1 } }, { options: null }]) {
    const input = { tenants: TENANTS, ...extra }
    for (const run of [() => index.preview(input), () => index.previewAsync(input)]) {
      const got = await outcome(run)
      assert.deepEqual(got.error?.slice(0, 2), ['InvalidInput', 'invalid_input'], JSON.stringify(extra))
      assert.match(got.error[2], /belongs to the ClientIndex/)
    }
  }
  const badInputs = [
    { tenants: [{ entraTenantId: 't1' }, { entraTenantId: 'T1' }] },
    { tenants: [{ displayName: 'no id' }] },
    { tenants: 'none' },
    { tenants: [], mappings: [{ entraTenantId: 't1', state: 'mapped' }] },
    null,
    [],
  ]
  for (const input of badInputs) {
    const expected = await outcome(() => es.previewMappings(isObject(input) ? { ...input, clients: CLIENTS } : input))
    assert.ok(expected.error, JSON.stringify(input))
    assert.deepEqual(kind(await outcome(() => index.preview(input))), kind(expected), JSON.stringify(input))
    assert.deepEqual(kind(await outcome(() => index.previewAsync(input))), kind(expected), JSON.stringify(input))
  }
  // The index still serves after refusing inputs.
  assert.deepEqual(index.preview({ tenants: TENANTS }), es.previewMappings({ tenants: TENANTS, clients: CLIENTS }))
})
