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

  it('index.d.ts documents every method of TelemetryReporter', () => {
    // The methods the package entry implements are declared on an interface that merges with
    // the generated class (its constructor and stats()).
    const dts = readFileSync(join(root, 'index.d.ts'), 'utf8')
    const declarations = [/export interface TelemetryReporter \{[^]*?\n\}/, /export declare class TelemetryReporter \{[^]*?\n\}/]
      .map((pattern) => pattern.exec(dts)?.[0] ?? '')
      .join('\n')
    for (const method of ['constructor', 'setCallbackContext', 'reportSessionError', 'classifySessionError', 'flush', 'shutdown', 'stats']) {
      const at = declarations.indexOf(`  ${method}(`)
      expect(at, method).toBeGreaterThan(0)
      expect(declarations.slice(0, at), `doc comment before ${method}`).toMatch(/\*\/\s*$/)
    }
  })
})
