// The Rust figure: classify + scrub of a 2 KB message, timed natively and counted in
// instructions with callgrind (bench/classify is a separate cargo crate; see its main.rs).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { median } from './stats.mjs'

const MANIFEST = fileURLToPath(new URL('../classify/Cargo.toml', import.meta.url))
const BINARY = fileURLToPath(new URL('../classify/target/release/classify-bench', import.meta.url))

function build() {
  const cargo = spawnSync('cargo', ['build', '--release', '--quiet', '--manifest-path', MANIFEST], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  return cargo.status === 0
}

function run(iterations) {
  const child = spawnSync(BINARY, [String(iterations)], { encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`classify-bench failed: ${child.stderr}`)
  return JSON.parse(child.stdout)
}

/** Instructions executed by the whole program (callgrind's "Collected" total), or null. */
function instructions(iterations) {
  const child = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', BINARY, String(iterations)],
    { encoding: 'utf8' },
  )
  const match = /Collected\s*:\s*(\d+)/.exec(child.stderr ?? '')
  return child.status === 0 && match ? Number(match[1]) : null
}

/**
 * `{ nsPerCall, instructionsPerCall, errorType, detail }`, or `{ skipped }` with the reason.
 * With `buildFirst` the crate is (re)built; otherwise an existing binary is used as is.
 */
export function classifyFigure({ buildFirst, iterations, runs, callgrindIterations }) {
  if (buildFirst && !build()) return { skipped: 'cargo build of bench/classify failed' }
  if (!existsSync(BINARY)) return { skipped: 'bench/classify not built (npm run bench builds it)' }
  const timings = Array.from({ length: runs }, () => run(iterations))
  let instructionsPerCall = null
  if (callgrindIterations > 0) {
    const loop = instructions(callgrindIterations)
    const setup = instructions(0)
    if (loop !== null && setup !== null) instructionsPerCall = (loop - setup) / callgrindIterations
  }
  return {
    nsPerCall: median(timings.map((timing) => timing.nsPerIteration)),
    instructionsPerCall,
    errorType: timings[0].errorType,
    detail: timings[0].detail,
  }
}
