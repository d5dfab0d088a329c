// `npm pack` yields a tarball that installs into a fresh folder and works there, from CommonJS
// and from ESM, as a user would use it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PACKAGE_DIR } from './helpers.mjs'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const quiet = ['--no-audit', '--no-fund', '--loglevel=error']

test('the packed tarball installs into a fresh folder and works there', () => {
  const out = mkdtempSync(join(tmpdir(), 'entra-pack-'))
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', out, ...quiet], { cwd: PACKAGE_DIR, encoding: 'utf8' }))
  const files = packed[0].files.map((f) => f.path)
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'native.js', 'README.md']) assert.ok(files.includes(f), `${f} is packed`)
  assert.ok(files.some((f) => f.endsWith('.node')), 'the addon is packed')
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('__test__/')), 'sources stay out')

  const app = mkdtempSync(join(tmpdir(), 'entra-app-'))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }))
  execFileSync(npm, ['install', join(out, packed[0].filename), ...quiet], { cwd: app, encoding: 'utf8' })
  writeFileSync(
    join(app, 'use.cjs'),
    `const es = require('entra-sync')
const out = es.filterUsers({ users: [{ entraObjectId: 'a', accountEnabled: true, userPrincipalName: 'a@x.example' }, { entraObjectId: 'b', accountEnabled: false }] })
try { es.call('nope', {}) } catch (e) { if (!(e instanceof es.EntraSyncError) || e.code !== 'unknown_function') process.exit(4) }
console.log(JSON.stringify([out.included.length, out.excluded[0].reason]))`,
  )
  writeFileSync(
    join(app, 'use.mjs'),
    `import { filterUsers, Sandbox, GraphProvider } from 'entra-sync'
const sandbox = await Sandbox.start({ tenants: 1, usersPerTenant: 3 })
const listing = await new GraphProvider(sandbox.graphSettings()).listManagedTenants()
await sandbox.shutdown()
console.log(JSON.stringify([filterUsers({ users: [] }).included.length, listing.tenants.length]))`,
  )
  assert.equal(execFileSync(process.execPath, ['use.cjs'], { cwd: app, encoding: 'utf8' }).trim(), '[1,"account_disabled"]')
  assert.equal(execFileSync(process.execPath, ['use.mjs'], { cwd: app, encoding: 'utf8' }).trim(), '[0,1]')
})
