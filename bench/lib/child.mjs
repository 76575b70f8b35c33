// Every measurement runs in a fresh child process: one implementation's leftovers (sockets,
// pending fetches, heap, background threads) never disturb the next measurement.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** Parent side: runs `bench/figures/<name>.mjs` and returns the JSON it emits. */
export function runFigure(name, args, { timeoutMs = 120_000, nodeArgs = [] } = {}) {
  const script = fileURLToPath(new URL(`../figures/${name}.mjs`, import.meta.url))
  const flags = Object.entries(args).flatMap(([key, value]) => [`--${key}`, String(value)])
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...flags], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').at(-1)
      if (code !== 0) return reject(new Error(`${name} ${flags.join(' ')}: exit ${code ?? signal}\n${stdout}`))
      try {
        resolve(JSON.parse(last))
      } catch {
        reject(new Error(`${name}: no JSON result in:\n${stdout}`))
      }
    })
  })
}

/** Child side: the figure's arguments, all as strings. */
export function figureArgs(names) {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'string' }]))
  return parseArgs({ options }).values
}

/**
 * Child side: prints the result and exits at once, abandoning whatever the implementation still
 * has in flight (the baseline's pending fetches would otherwise hold the process for 10 s).
 */
export function emit(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0))
}
