import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..')
const exportsList = [
  'TelemetryReporter',
  'setCallbackContext',
  'extractCallbackContext',
  'classifySessionError',
  'reportSessionError',
  'configure',
  'flush',
  'shutdown',
  'stats',
  '__napiBindingTarget',
]

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 20_000 })
}

describe('package loading', () => {
  it('loads with require() in a child process', () => {
    const out = run(['-e', `const t = require(${JSON.stringify(root)}); console.log(JSON.stringify(Object.keys(t).sort()))`])
    const keys = JSON.parse(out)
    for (const name of exportsList) expect(keys).toContain(name)
  })

  it('loads with import in a child process (named and default exports)', () => {
    const script = `import * as t from "cyrus-telemetry"; import d from "cyrus-telemetry";
      console.log(JSON.stringify({ named: Object.keys(t).sort(), same: t.reportSessionError === d.reportSessionError }))`
    const out = JSON.parse(run(['--input-type=module', '-e', script]))
    for (const name of exportsList) expect(out.named).toContain(name)
    expect(out.same).toBe(true)
  })

  it('resolves through the package name and exports map', () => {
    const cjs = run(['-e', `console.log(typeof require('cyrus-telemetry').reportSessionError)`]).trim()
    const esm = run(['--input-type=module', '-e', `import { reportSessionError } from 'cyrus-telemetry'; console.log(typeof reportSessionError)`]).trim()
    expect([cjs, esm]).toEqual(['function', 'function'])
  })
})
