// The printed output: the machine, the figures table (markdown, so it can go straight into
// BENCHMARKS.md), and the addon's per-call breakdown.
import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { addonBinary } from './addon.mjs'

function commandOutput(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'n/a'
  }
}

/** Which classifier src/ holds now (the binary under test may be older: see its build time). */
function classifierVersion() {
  try {
    const source = readFileSync(fileURLToPath(new URL('../../src/classify/mod.rs', import.meta.url)), 'utf8')
    return source.slice(0, 300).includes('TEMPORARY STUB') ? 'TEMPORARY STUB' : 'full classifier'
  } catch {
    return 'n/a'
  }
}

export function describeMachine() {
  const binary = addonBinary()
  const { size, mtime } = statSync(binary)
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    rust: commandOutput('rustc', ['-V']),
    loadAverage: os.loadavg().map((load) => load.toFixed(2)).join(' '),
    addon: { binary, bytes: size, builtAt: mtime.toISOString() },
    classifier: classifierVersion(),
  }
}

export function formatNumber(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a'
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  return value.toFixed(digits)
}

function markdownTable(header, rows) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')
}

/** Column titles of the implementations. */
const TITLES = { addon: 'addon', baseline: 'original TS', posthog: 'posthog-node', sentry: '@sentry/node' }

/**
 * rows: { figure, <impl>…, floor, ratio, target, met } with numbers already formatted as
 * strings; `floor` is the same measurement with no reporter; `ratio` is addon ÷ best peer; `met`
 * true/false, or null when the row has no target.
 */
export function figuresTable(impls, rows) {
  return markdownTable(
    ['figure', ...impls.map((impl) => TITLES[impl] ?? impl), 'no reporter (floor)', 'addon ÷ best peer', 'goal (addon)', 'met?'],
    rows.map((row) => [
      row.figure,
      ...impls.map((impl) => row[impl] ?? '—'),
      row.floor ?? '—',
      row.ratio ?? '—',
      row.target ?? '—',
      row.met === null || row.met === undefined ? '—' : row.met ? 'yes' : '**NO**',
    ]),
  )
}

/** The addon's calls, p50 / p99 in µs. */
export function breakdownTable(calls) {
  return markdownTable(
    ['call (addon, release)', 'p50 µs', 'p99 µs'],
    Object.entries(calls).map(([name, { p50, p99 }]) => [name, formatNumber(p50), formatNumber(p99)]),
  )
}
