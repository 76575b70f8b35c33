// A script run in a fresh Node process against servers living in the test process: the child
// cannot share the test's event loop, so its exit, a blocked loop or its collected garbage show
// what the addon does on its own.
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

export interface NodeRun {
  code: number | null
  stdout: string
  stderr: string
  /** `Date.now()` when the process exited, seen from this process. */
  exitedAt: number
}

/**
 * Runs `node <args>` in the package root, with `input` on its stdin and `env` added to the
 * environment; rejects if it is still running after `timeoutMs` (it is then killed).
 */
export function runNode(
  args: string[],
  { input = '', env = {}, timeoutMs = 30_000 }: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`node ${args.join(' ')} still running after ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      const exitedAt = Date.now()
      clearTimeout(timer)
      // 'close' follows once the pipes are drained.
      child.on('close', () => resolve({ code, stdout, stderr, exitedAt }))
    })
    child.stdin.end(input)
  })
}

export interface ChildRun extends Omit<NodeRun, 'stdout'> {
  /** Its output, line by line. */
  stdout: string[]
}

/** Runs `source` (CommonJS; `addon` is the package) in `node --expose-gc`. */
export async function runChild(name: string, source: string, timeoutMs = 15_000): Promise<ChildRun> {
  const file = join(scripts, `${name}.cjs`)
  writeFileSync(file, `const addon = require(${JSON.stringify(root)})\n${source}\n`)
  const run = await runNode(['--expose-gc', file], { timeoutMs })
  return { ...run, stdout: run.stdout.trim().split('\n') }
}

/** [`runChild`], for a script whose last line is JSON: resolves with it; rejects on a non-zero exit. */
export async function runJsonChild(name: string, source: string, timeoutMs = 60_000): Promise<any> {
  const run = await runChild(name, source, timeoutMs)
  const output = `stdout: ${run.stdout.join('\n')}; stderr: ${run.stderr}`
  if (run.code !== 0) throw new Error(`${name} exited ${run.code}; ${output}`)
  try {
    return JSON.parse(run.stdout[run.stdout.length - 1])
  } catch {
    throw new Error(`${name}: no JSON on the last line; ${output}`)
  }
}
