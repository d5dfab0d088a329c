// The TypeScript declarations: a file using the whole API compiles under `tsc --noEmit
// --strict`, a file with deliberate mistakes does not (each mistake reported), and the
// declarations have no `any`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_DIR } from './helpers.mjs'

const tsc = join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc')
const STRICT = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node']

function compile(file) {
  return spawnSync(process.execPath, [tsc, ...STRICT, join(PACKAGE_DIR, '__test__', 'types', file)], { cwd: PACKAGE_DIR, encoding: 'utf8' })
}

test('a file using the whole API compiles strictly', () => {
  const run = compile('uses-the-api.ts')
  assert.equal(run.status, 0, run.stdout + run.stderr)
})

test('deliberate mistakes do not compile', () => {
  const run = compile('mistakes.ts')
  assert.notEqual(run.status, 0)
  const out = run.stdout
  assert.match(out, /mistakes\.ts\(6,\d+\): error TS2561: .*'acountEnabled'/, out)
  assert.match(out, /mistakes\.ts\(9,\d+\): error TS2322: Type '"delete"'/, out)
  assert.match(out, /mistakes\.ts\(13,\d+\): error TS2339: Property 'patch' does not exist on type 'LinkAction'/, out)
  assert.match(out, /mistakes\.ts\(17,\d+\): error TS2345: Argument of type '"plan_everything"'/, out)
  assert.match(out, /mistakes\.ts\(20,\d+\): error TS2322: Type 'never\[\]' is not assignable to type 'undefined'/, out)
})

test('the public declarations have no any', () => {
  const code = readFileSync(join(PACKAGE_DIR, 'index.d.ts'), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
  assert.doesNotMatch(code, /\bany\b/)
})
