// Process lifecycle: scripts that start the sandbox and list users exit normally, every time
// (no crash at exit, no hang on open handles), whether they shut the sandbox down or not.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { PACKAGE_DIR } from './helpers.mjs'

const script = (shutdown) => `
const es = require(${JSON.stringify(PACKAGE_DIR)})
;(async () => {
  es.setLogger(() => {}, { level: 'debug' })
  const sandbox = await es.Sandbox.start({ tenants: 2, usersPerTenant: 5 })
  const graph = new es.GraphProvider(sandbox.graphSettings())
  const [tenant] = (await graph.listManagedTenants()).tenants
  const listing = await graph.listUsers(tenant.entraTenantId)
  if (!listing.complete || listing.users.length === 0) process.exitCode = 3
  ${shutdown ? 'await sandbox.shutdown()' : ''}
  console.log('listed', listing.users.length)
})().catch((e) => { console.error(e); process.exitCode = 2 })
`

function runTimes(times, source) {
  for (let i = 0; i < times; i++) {
    const run = spawnSync(process.execPath, ['-e', source], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(run.error, undefined, `run ${i}: ${run.error}`)
    assert.equal(run.signal, null, `run ${i} was killed by ${run.signal}: ${run.stderr}`)
    assert.equal(run.status, 0, `run ${i} exited ${run.status}: ${run.stderr}`)
    assert.match(run.stdout, /^listed \d+/)
  }
}

test('a script that starts the sandbox, lists users and shuts down exits 0, 30 times', () => {
  runTimes(30, script(true))
})

test('a script that never shuts its sandbox down still exits 0', () => {
  runTimes(3, script(false))
})
