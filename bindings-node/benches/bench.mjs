// Benchmarks of the pure functions called from Node, conversion included, next to the pure Rust
// time of the same call on the same data, and the event loop during an async plan.
//
//   node bindings-node/benches/bench.mjs [--users 100000] [--contacts 100000]
//        [--filter-users 1000000] [--graph-users 100000] [--repeat 5] [--no-rust]
//
// Build the release addon first (`ENTRA_NODE_PROFILE=release bash scripts/test-node.sh`, or
// `npx napi build --platform --release --js native.js --dts native.d.ts` in bindings-node).
//
// For each function it reports the best wall time of the named Node function (the input written
// as JSON, the core, the result read back: everything a caller waits for) and the pure Rust time:
// the script writes its inputs as JSON and runs `cargo bench -p entra-core --bench same_data`,
// which times the core function on that exact data in a plain Rust process. The data is the
// Python benchmark's (bindings-python/benches/bench_plan.py): a realistic mix of linked,
// matching, new, disabled and excluded users.
//
// It also reports the median time of `ClientIndex.preview` of 5 new tenants against 20,000
// indexed clients (the estate of entra-core/benches/preview.rs), next to building the index and
// the one-shot `previewMappings` of the same input.
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..', '..')
const es = createRequire(import.meta.url)(resolve(here, '..'))

const args = process.argv.slice(2)
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const USERS = opt('users', 100_000)
const CONTACTS = opt('contacts', 100_000)
const FILTER_USERS = opt('filter-users', 1_000_000)
const GRAPH_USERS = opt('graph-users', 100_000)
const REPEAT = opt('repeat', 5)
const NO_RUST = args.includes('--no-rust')

const TENANT = '5f0c2b9a-0000-4000-8000-000000000001'
const CLIENT = 'client-1'
const pad = (i, n) => String(i).padStart(n, '0')

function makeUsers(n) {
  const users = new Array(n)
  for (let i = 0; i < n; i++) {
    const kind = i % 20
    const user = {
      entraTenantId: TENANT,
      entraObjectId: `00000000-0000-4000-8000-${pad(i, 12)}`,
      userPrincipalName: `user${i}@contoso.com`,
      email: `user${i}@contoso.com`,
      displayName: `User Number ${i}`,
      givenName: 'User',
      surname: `Number ${i}`,
      accountEnabled: kind !== 3,
      userType: kind === 7 ? 'Guest' : 'Member',
      jobTitle: i % 2 ? 'Engineer' : 'Manager',
      mobilePhone: `+1 555 ${pad(i % 10000, 4)}`,
      businessPhones: [`+1 444 ${pad(i % 10000, 4)}`],
      otherMails: [],
      proxyAddresses: [`SMTP:user${i}@contoso.com`, `smtp:u${i}@contoso.net`],
      assignedLicenseSkuIds: ['c42b9cae-ea4f-4ab7-9717-81576235ccac'],
    }
    if (kind === 11) {
      user.userPrincipalName = `svc-backup${i}@contoso.com`
      user.displayName = 'Backup Service Account'
    }
    users[i] = user
  }
  return users
}

/** Users as Microsoft Graph returns them (`mail`, `id`, extra properties), read from the
 * response's JSON text as a host reads them (`await response.json()`). Objects built with object
 * spread instead read several times slower in V8, whatever reads them. */
function makeGraphUsers(n, viaJson = true) {
  const users = makeUsers(n).map((u) => {
    const { email, ...rest } = u
    return { ...rest, mail: email, id: u.entraObjectId, createdDateTime: '2024-01-01T00:00:00Z', onPremisesSyncEnabled: null }
  })
  return viaJson ? JSON.parse(JSON.stringify(users)) : users
}

function makeContacts(n) {
  const contacts = new Array(n)
  for (let i = 0; i < n; i++) {
    const email = i % 10 === 9 ? `former${i}@contoso.com` : i % 10 === 8 ? `u${i}@contoso.net` : `user${i}@contoso.com`
    contacts[i] = {
      contactId: `c-${i}`,
      clientId: CLIENT,
      email,
      fullName: i % 3 ? `User Number ${i}` : `Old Name ${i}`,
      role: 'Engineer',
      phoneNumbers: [{ number: `+1 444 ${pad(i % 10000, 4)}`, type: 'work' }],
      isInactive: false,
    }
  }
  return contacts
}

function makeLinks(contacts, share = 0.5) {
  const links = []
  contacts.forEach((c, i) => {
    if (i % 10 < share * 10 && i % 10 !== 8 && i % 10 !== 9) {
      links.push({ entraTenantId: TENANT, entraObjectId: `00000000-0000-4000-8000-${pad(i, 12)}`, contactId: c.contactId, clientId: CLIENT, active: true })
    }
  })
  return links
}

/** Writes `value` (an object of arrays and plain values) as JSON, long arrays a slice at a time:
 * one JavaScript string cannot hold a million users. */
function dump(path, value) {
  const fd = openSync(path, 'w')
  let open = '{'
  for (const [key, v] of Object.entries(value)) {
    writeSync(fd, `${open}${JSON.stringify(key)}:`)
    open = ','
    if (!Array.isArray(v)) {
      writeSync(fd, JSON.stringify(v))
      continue
    }
    writeSync(fd, '[')
    for (let i = 0; i < v.length; i += 50_000) writeSync(fd, (i ? ',' : '') + JSON.stringify(v.slice(i, i + 50_000)).slice(1, -1))
    writeSync(fd, ']')
  }
  writeSync(fd, '}')
  closeSync(fd)
}

/** The best wall time and the best CPU time of the process (all its threads) over `repeat`
 * runs: on a loaded machine the CPU time is the steadier figure. */
function bestOf(repeat, f) {
  let best = Infinity
  let bestCpu = Infinity
  let result
  for (let i = 0; i < repeat; i++) {
    result = undefined
    if (global.gc) global.gc()
    const cpu = process.cpuUsage()
    const start = performance.now()
    result = f()
    best = Math.min(best, performance.now() - start)
    const used = process.cpuUsage(cpu)
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1000)
  }
  lastCpu = bestCpu
  return [best, result]
}
let lastCpu = NaN

function rustTimes(dir) {
  if (NO_RUST) return {}
  try {
    const out = execFileSync('cargo', ['bench', '-q', '-p', 'entra-core', '--bench', 'same_data', '--', dir, String(REPEAT)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    return JSON.parse(out.trim().split('\n').at(-1))
  } catch (e) {
    console.log(`(no pure Rust figures: ${e.message.split('\n')[0]})`)
    return {}
  }
}

function report(label, items, ms, rustSeconds) {
  console.log(label)
  console.log(`  node call, conversion included: ${ms.toFixed(1).padStart(9)} ms  (${Math.round((items / ms) * 1000).toLocaleString('en')} items/s; best CPU time ${lastCpu.toFixed(1)} ms)`)
  if (rustSeconds != null) {
    const rust = rustSeconds * 1000
    console.log(`  pure Rust, same data:           ${rust.toFixed(1).padStart(9)} ms  -> ratio ${(ms / rust).toFixed(2)}x`)
  }
}

/** The longest gap between the ticks of a 10 ms interval timer while `f()`'s Promise runs. */
async function longestPause(f) {
  let last = performance.now()
  let longest = 0
  let ticks = 0
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
    ticks++
  }, 10)
  await new Promise((r) => setTimeout(r, 50))
  last = performance.now()
  longest = 0
  ticks = 0
  const start = performance.now()
  await f()
  const took = performance.now() - start
  longest = Math.max(longest, performance.now() - last)
  clearInterval(timer)
  return { longest, ticks, took }
}

/** The median wall time of `f()` over `repeat` runs, in ms. */
function medianOf(repeat, f) {
  const times = []
  for (let i = 0; i < repeat; i++) {
    const start = performance.now()
    f()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[times.length >> 1]
}

/** The estate of entra-core/benches/preview.rs, generated the same way (xorshift64* with the same
 * seed, so the same clients and tenants): a third of the tenants share a domain with a client, a
 * third carry a variant of a client's name, the rest match nothing. */
function previewEstate(tenantCount, clientCount) {
  const MASK = (1n << 64n) - 1n
  let state = 0x9e3779b97f4a7c15n ^ BigInt(tenantCount * 31 + clientCount)
  const next = () => {
    state ^= state >> 12n
    state = (state ^ (state << 25n)) & MASK
    state ^= state >> 27n
    return (state * 0x2545f4914f6cdd1dn) & MASK
  }
  const pick = (items) => items[Number(next() % BigInt(items.length))]
  const SYLLABLES = ['bar', 'cor', 'del', 'fen', 'gal', 'hol', 'jun', 'kel', 'lum', 'mar', 'nor', 'pel', 'quin', 'ros', 'sel', 'tor', 'ul', 'ver', 'wex', 'yar', 'zen', 'ash', 'bri', 'cal', 'dun', 'eld', 'fal', 'gri', 'hav', 'ion']
  const ENDINGS = ['', ' Inc', ' LLC', ' Ltd', ' GmbH', ' Corp', ' Pty Ltd', ' SA']
  const TRADES = ['Dental', 'Logistics', 'Construction', 'Services', 'Solutions', 'Group', 'Legal', 'Health', 'Wealth', 'Rental', 'Capital', 'Foods', 'Motors', 'Energy', 'Travel', 'Consulting']
  const word = () => {
    const parts = 2 + Number(next() % 2n)
    let w = ''
    for (let i = 0; i < parts; i++) w += pick(SYLLABLES)
    return w[0].toUpperCase() + w.slice(1)
  }
  const clients = []
  for (let i = 0; i < clientCount; i++) {
    const a = word()
    const trade = pick(TRADES)
    const name = `${a} ${trade}${pick(ENDINGS)}`
    const domain = `${a.toLowerCase()}${i}.com`
    clients.push({
      clientId: `c${pad(i, 6)}`,
      clientName: name,
      domains: [`https://www.${domain}`],
      secondaryDomains: i % 4 === 0 ? [`billing@${a.toLowerCase()}-${i}.co.uk`] : [],
    })
  }
  const tenants = []
  for (let i = 0; i < tenantCount; i++) {
    const t = { entraTenantId: `t${pad(i, 6)}` }
    const target = clients[Number(next() % BigInt(clientCount))]
    const label = `tenant${i}.onmicrosoft.com`
    if (i % 3 === 0) {
      const domain = target.domains[0].replace(/^https:\/\/www\./, '')
      t.displayName = `${word()} Head Office`
      t.domains = [label, domain]
      t.primaryDomain = domain
    } else if (i % 3 === 1) {
      t.displayName = target.clientName.replace(' Inc', ' Corporation').toUpperCase()
      t.domains = [label]
    } else {
      t.displayName = `${word()} ${pick(TRADES)}`
      t.domains = [label, `${word().toLowerCase()}-${i}.net`]
    }
    tenants.push(t)
  }
  return { tenants, clients }
}

const dir = mkdtempSync(join(tmpdir(), 'entra-node-bench-'))
try {
  // plan_tenant_sync
  const users = makeUsers(USERS)
  const contacts = makeContacts(CONTACTS)
  const planInput = { entraTenantId: TENANT, clientId: CLIENT, users, listingComplete: true, contacts, links: makeLinks(contacts) }
  dump(join(dir, 'plan_tenant_sync.json'), planInput)
  // filter_users, 1M users
  const filterInput = { users: makeUsers(FILTER_USERS), options: { customExclusionPatterns: ['^svc-'] } }
  dump(join(dir, 'filter_users.json'), filterInput)
  const rust = rustTimes(dir)

  const [planMs, plan] = bestOf(REPEAT, () => es.planTenantSync(planInput))
  report(`planTenantSync ${USERS.toLocaleString('en')} users x ${CONTACTS.toLocaleString('en')} contacts (${plan.actions.length.toLocaleString('en')} actions)`, USERS, planMs, rust.plan_tenant_sync)
  if (rust.plan_tenant_sync_read_json !== undefined) {
    console.log(`  (pure Rust reading the same input from its JSON text, not in the figure above: ${(rust.plan_tenant_sync_read_json * 1000).toFixed(1)} ms)`)
  }

  const [filterMs] = bestOf(REPEAT, () => es.filterUsers(filterInput))
  report(`filterUsers ${FILTER_USERS.toLocaleString('en')} users`, FILTER_USERS, filterMs, rust.filter_users)
  delete filterInput.users

  // filterUsers over Graph-shaped users, warm.
  const graphInput = { users: makeGraphUsers(GRAPH_USERS), options: { customExclusionPatterns: ['^svc-'] } }
  for (let i = 0; i < 3; i++) es.filterUsers(graphInput)
  const [graphMs] = bestOf(Math.max(REPEAT, 10), () => es.filterUsers(graphInput))
  report(`filterUsers ${GRAPH_USERS.toLocaleString('en')} Graph-shaped users (warm, best of ${Math.max(REPEAT, 10)})`, GRAPH_USERS, graphMs)
  // The same calls one after the other, no collection forced between them (after a forced full
  // collection the collector's background sweeping of the users competes with the next call).
  const graphMedianMs = medianOf(21, () => es.filterUsers(graphInput))
  const graphAsyncTimes = []
  for (let i = 0; i < 21; i++) {
    const start = performance.now()
    await es.filterUsersAsync(graphInput)
    graphAsyncTimes.push(performance.now() - start)
  }
  graphAsyncTimes.sort((a, b) => a - b)
  console.log(`  without a forced collection between calls: median ${graphMedianMs.toFixed(1)} ms of 21 (filterUsersAsync: ${graphAsyncTimes[10].toFixed(1)} ms)`)
  const spreadInput = { users: makeGraphUsers(GRAPH_USERS, false), options: graphInput.options }
  for (let i = 0; i < 3; i++) es.filterUsers(spreadInput)
  const [spreadMs] = bestOf(Math.max(REPEAT, 10), () => es.filterUsers(spreadInput))
  report(`filterUsers ${GRAPH_USERS.toLocaleString('en')} Graph-shaped users built with object spread (warm, best of ${Math.max(REPEAT, 10)})`, GRAPH_USERS, spreadMs)
  delete spreadInput.users

  // A host previewing a handful of new tenants against clients it indexed once (the Rust
  // figure: `cargo bench -p entra-core --bench preview -- 5_tenants`), next to the one-shot
  // preview of the same input, which indexes the clients again.
  {
    const estate = previewEstate(2_000, 20_000)
    const five = { tenants: estate.tenants.slice(0, 5) }
    // The indexes built are kept until all are timed, so no run pays for freeing another's.
    const built = []
    const buildMs = medianOf(Math.max(REPEAT, 5), () => built.push(new es.ClientIndex(estate.clients)))
    built.length = 0
    const index = new es.ClientIndex(estate.clients)
    for (let i = 0; i < 20; i++) index.preview(five)
    const indexedMs = medianOf(200, () => index.preview(five))
    const oneShotMs = medianOf(Math.max(REPEAT, 5), () => es.previewMappings({ ...five, clients: estate.clients }))
    console.log(`ClientIndex.preview 5 new tenants x 20,000 indexed clients: median ${indexedMs.toFixed(2)} ms of 200 (building the index: median ${buildMs.toFixed(0)} ms; one-shot previewMappings of the same input: median ${oneShotMs.toFixed(0)} ms)`)
  }

  // Where the time of one plan goes, on the whole-text path (the input written as one text, then
  // read, planned and written by the addon, then the pieces parsed), each phase timed on its own
  // (best of REPEAT each). planTenantSync itself reads the input while it is written, so its
  // time is less than the sum.
  const native = createRequire(import.meta.url)(resolve(here, '..', 'native.js'))
  const now = () => Number(process.hrtime.bigint()) / 1e6
  const phases = { stringify: Infinity, native: Infinity, parse: Infinity }
  for (let i = 0; i < REPEAT; i++) {
    if (global.gc) global.gc()
    const a = now()
    const text = JSON.stringify(planInput)
    const b = now()
    const pieces = native.planTenantSyncPieces([text])
    const c = now()
    JSON.parse(pieces.head)
    for (const piece of [...pieces.actions, ...pieces.withheld, ...pieces.excluded]) JSON.parse(piece)
    const d = now()
    phases.stringify = Math.min(phases.stringify, b - a)
    phases.native = Math.min(phases.native, c - b)
    phases.parse = Math.min(phases.parse, d - c)
  }
  console.log(`planTenantSync whole-text phases (best of ${REPEAT} each): JSON.stringify ${phases.stringify.toFixed(0)} ms, native (read the text, plan, write the pieces) ${phases.native.toFixed(0)} ms, JSON.parse of the pieces ${phases.parse.toFixed(0)} ms`)

  // The event loop while the async plan runs.
  const pause = await longestPause(() => es.planTenantSyncAsync(planInput))
  console.log(`planTenantSyncAsync ${USERS.toLocaleString('en')} x ${CONTACTS.toLocaleString('en')}: ${pause.took.toFixed(0)} ms; a 10 ms interval timer fired ${pause.ticks} times, longest pause ${pause.longest.toFixed(1)} ms`)
  const syncPause = await longestPause(async () => es.planTenantSync(planInput))
  console.log(`planTenantSync (sync, for comparison): longest pause ${syncPause.longest.toFixed(1)} ms`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
