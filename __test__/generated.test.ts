import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// scripts/test.sh snapshots the committed index.js / index.d.ts before `napi build` regenerates
// them; a difference means the committed files are stale.
const root = join(__dirname, '..')
const snapshot = join(root, 'target', 'generated-before')

describe('generated bindings', () => {
  for (const file of ['index.js', 'index.d.ts']) {
    it.runIf(existsSync(join(snapshot, file)))(`${file} is what napi build generates`, () => {
      const before = readFileSync(join(snapshot, file), 'utf8')
      const after = readFileSync(join(root, file), 'utf8')
      expect(after, `${file} changed when rebuilt: commit the regenerated file`).toBe(before)
    })
  }

  it('index.d.ts documents every export', () => {
    const dts = readFileSync(join(root, 'index.d.ts'), 'utf8')
    for (const name of [
      'class TelemetryReporter',
      'function setCallbackContext',
      'function extractCallbackContext',
      'function classifySessionError',
      'function reportSessionError',
      'function configure',
      'function flush',
      'function shutdown',
      'function stats',
    ]) {
      const at = dts.indexOf(`export declare ${name}`)
      expect(at, name).toBeGreaterThan(0)
      expect(dts.slice(Math.max(0, at - 400), at), `doc comment before ${name}`).toMatch(/\*\/\s*$/)
    }
  })
})
