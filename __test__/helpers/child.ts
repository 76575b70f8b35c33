// A script run in a fresh Node process (`node --expose-gc`), against servers living in the test
// process: the child cannot share the test's event loop, so blocking it or collecting its
// garbage shows what the addon does on its own.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')
const scripts = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-child-'))

/** Collects garbage until finalizers have run: paste into a child's source, then `await collect()`. */
export const COLLECT = `async function collect() {
  for (let i = 0; i < 10; i++) { global.gc(); await new Promise((r) => setTimeout(r, 50)) }
}`

/**
 * Runs `source` (CommonJS; `addon` is the package) and resolves with the JSON of its last stdout
 * line; rejects if it exits non-zero, prints no JSON, or runs longer than `timeoutMs`.
 */
export function runJsonChild(name: string, source: string, timeoutMs = 60_000): Promise<any> {
  const file = join(scripts, `${name}.cjs`)
  writeFileSync(file, `const addon = require(${JSON.stringify(root)})\n${source}\n`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} still running after ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`${name} exited ${code}; stdout: ${stdout}; stderr: ${stderr}`))
      try {
        resolve(JSON.parse(last))
      } catch {
        reject(new Error(`${name}: no JSON on the last line; stdout: ${stdout}; stderr: ${stderr}`))
      }
    })
  })
}
