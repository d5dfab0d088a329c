// Every shared JSON vector (tests/vectors plus ENTRA_VECTORS_DIR) through the Node functions,
// with the subset-matching rules of the Rust and Python runners.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { REPO_ROOT, mismatch, runCase, vectorFiles } from './helpers.mjs'

const files = vectorFiles()

test('the shared vectors exist', () => {
  assert.ok(files.length > 0, 'no vector files found under tests/vectors')
})

for (const file of files) {
  test(`vector ${relative(join(REPO_ROOT, 'tests', 'vectors'), file)}`, () => {
    const why = runCase(file)
    assert.equal(why, null, `${file}: ${why}`)
  })
}

test('the runner matching rules', () => {
  const cases = [
    [{ a: 1 }, { a: 1, b: 2 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: null }, {}, true],
    [{ a: 1 }, {}, false],
    [[1, 2], [1, 2], true],
    [[1], [1, 2], false],
    [[{ k: 'v' }], [{ k: 'v', x: 0 }], true],
    [0.1 + 0.2, 0.3, true],
    [true, 1, false],
    ['1', 1, false],
    [null, null, true],
    [{ a: { b: [1, { c: 3 }] } }, { a: { b: [1, { c: 4 }] } }, false],
  ]
  for (const [expected, actual, ok] of cases) {
    assert.equal(mismatch(expected, actual) === null, ok, JSON.stringify([expected, actual]))
  }
})

test('ENTRA_VECTORS_DIR adds vector directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'entra-vectors-'))
  const extra = join(dir, 'extra')
  mkdirSync(extra)
  const file = join(extra, 'case.json')
  const write = (code) =>
    writeFileSync(file, JSON.stringify({ name: 'x', function: 'no_such_function', input: {}, expectedError: { code } }))
  write('unknown_function')
  const env = { ENTRA_VECTORS_DIR: `${extra}:${join(dir, 'missing')}` }
  assert.ok(vectorFiles(env).includes(file))
  assert.equal(runCase(file), null)
  write('other')
  assert.notEqual(runCase(file), null)
})
