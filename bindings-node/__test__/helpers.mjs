// Shared helpers of the Node test suite: the package under test, the shared vectors and the
// subset-matching rules of the Rust and Python vector runners.
import { createRequire } from 'node:module'
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const require = createRequire(import.meta.url)
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_ROOT = resolve(PACKAGE_DIR, '..')
/** The package, loaded the way a CommonJS user loads it. */
export const es = require(PACKAGE_DIR)

/** The shared vectors plus every directory in ENTRA_VECTORS_DIR (colon-separated). */
export function vectorDirs(env = process.env) {
  const dirs = [join(REPO_ROOT, 'tests', 'vectors')]
  for (const p of (env.ENTRA_VECTORS_DIR || '').split(':')) if (p) dirs.push(p)
  return dirs
}

function walk(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else if (name.endsWith('.json')) out.push(p)
  }
  return out
}

export function vectorFiles(env = process.env) {
  return vectorDirs(env).filter((d) => existsSync(d) && statSync(d).isDirectory()).flatMap(walk)
}

const isNumber = (v) => typeof v === 'number'
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The JSON path and reason of the first mismatch, or null when `expected` matches. */
export function mismatch(expected, actual, path = '$') {
  if (isObject(expected) && isObject(actual)) {
    for (const [key, ev] of Object.entries(expected)) {
      const p = `${path}.${key}`
      if (key in actual) {
        const why = mismatch(ev, actual[key], p)
        if (why) return why
      } else if (ev !== null) {
        return `${p}: missing (expected ${JSON.stringify(ev)})`
      }
    }
    return null
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      return `${path}: expected ${expected.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`
    }
    for (let i = 0; i < expected.length; i++) {
      const why = mismatch(expected[i], actual[i], `${path}[${i}]`)
      if (why) return why
    }
    return null
  }
  if (isNumber(expected) && isNumber(actual)) {
    return Math.abs(expected - actual) <= 1e-9 ? null : `${path}: expected ${expected}, got ${actual}`
  }
  if (expected === actual) return null
  return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`
}

const toCamel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

/** The package's named function for a vector's `function`, or the generic `call`. */
export function nodeFunction(name) {
  if (name === 'apply_plan') {
    return (input) => (isObject(input) ? es.applyPlan(input.input, input.plan) : es.applyPlan(input))
  }
  if (name === 'run_id') return (input) => es.call(name, input)
  const f = es[toCamel(name)]
  return typeof f === 'function' ? f : (input) => es.call(name, input)
}

/** null when the case passes, else why it failed. */
export function runCase(path) {
  let c
  try {
    c = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    return `not JSON: ${e.message}`
  }
  if (typeof c.function !== 'string') return 'case has no `function`'
  let out = null
  let err = null
  try {
    out = nodeFunction(c.function)(c.input)
  } catch (e) {
    if (!(e instanceof es.EntraSyncError)) return `not an EntraSyncError: ${e}`
    err = e
  }
  if ('expectedError' in c) {
    if (!err) return `expected error ${JSON.stringify(c.expectedError)}, got success: ${JSON.stringify(out)}`
    const code = isObject(c.expectedError) ? c.expectedError.code : undefined
    if (code != null && code !== err.code) return `expected error code ${code}, got ${err.code} (${err.message})`
    return null
  }
  if ('expected' in c) {
    if (err) return `unexpected error ${err.code}: ${err.message}`
    return mismatch(c.expected, out)
  }
  return 'case has neither `expected` nor `expectedError`'
}

/** Starts a sandbox for one test file and shuts it down after it. */
export async function withSandbox(config, f) {
  const sandbox = await es.Sandbox.start(config)
  try {
    return await f(sandbox)
  } finally {
    await sandbox.shutdown()
  }
}

/** Users of the shape Microsoft Graph returns (`mail`, `businessPhones`, extra properties). */
export function graphUsers(n, tenant = 't-1') {
  const users = new Array(n)
  for (let i = 0; i < n; i++) {
    users[i] = {
      entraTenantId: tenant,
      entraObjectId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userPrincipalName: `user${i}@contoso.example`,
      mail: `user${i}@contoso.example`,
      displayName: `User ${i}`,
      givenName: 'User',
      surname: String(i),
      accountEnabled: i % 17 !== 0,
      userType: i % 50 === 0 ? 'Guest' : 'Member',
      jobTitle: 'Engineer',
      mobilePhone: null,
      businessPhones: ['+1 555 0100'],
      otherMails: [],
      proxyAddresses: [`SMTP:user${i}@contoso.example`],
      assignedLicenseSkuIds: i % 9 === 0 ? [] : ['sku-1'],
    }
  }
  return users
}

/** A predicate for `assert.throws`/`rejects`: the error is the one the JSON entry point raises
 * for `call(name, input)` (same class, code and message). The entry point must refuse `input`. */
export function sameAsEntryPoint(name, input) {
  let expected
  try {
    es.call(name, input)
  } catch (e) {
    expected = e
  }
  if (!expected) throw new Error(`call('${name}') accepted the input`)
  return (e) => e.constructor === expected.constructor && e.code === expected.code && e.message === expected.message
}
