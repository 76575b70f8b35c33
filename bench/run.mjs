#!/usr/bin/env node
// Benchmarks the addon against the original TypeScript reporter (bench/baseline) and two
// telemetry SDKs, posthog-node and @sentry/node (lib/peers.mjs), and prints one table with the
// ratio addon ÷ best peer on every row. BENCHMARKS.md explains each figure; this file only
// orchestrates.
//   node bench/run.mjs            full run (a few minutes; builds bench/classify in release)
//   node bench/run.mjs --smoke    the same table from tiny samples, in seconds; no targets are
//                                 meaningful then (the test script runs it to keep it working)
//   --json <file>                 also write every raw measurement there
// The addon is loaded from CYRUS_TELEMETRY_ADDON when set, else from the package root.
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runFigure } from './lib/child.mjs'
import { classifyFigure } from './lib/classify.mjs'
import { breakdownTable, describeMachine, figuresTable, formatNumber } from './lib/report.mjs'
import { PEERS } from './lib/peers.mjs'
import { CONTROL, IMPLEMENTATIONS } from './lib/reporters.mjs'
import { median } from './lib/stats.mjs'

const { values: flags } = parseArgs({ options: { smoke: { type: 'boolean' }, json: { type: 'string' } } })

const FULL = {
  runs: 5,
  latency: { warmup: 2000, samples: 20_000 },
  burst: { count: 5000, warmup: 200, 'per-turn': 1, 'settle-ms': 300 },
  throughput: { count: 10_000, warmup: 200, 'per-turn': 100, 'settle-ms': 300 },
  // The baseline keeps every hanging fetch for 10 s: 1M of them would need tens of GB.
  // The others keep (or drop) every event in JS; 10,000 shows their growth per event.
  rss: {
    addon: { reports: 1_000_000, warmup: 100_000 },
    baseline: { reports: 10_000, warmup: 1000 },
    posthog: { reports: 10_000, warmup: 1000 },
    sentry: { reports: 10_000, warmup: 1000 },
  },
  exit: { events: 50, 'limit-ms': 15_000 },
  classify: { buildFirst: true, iterations: 200_000, runs: 5, callgrindIterations: 2000 },
}
const SMOKE = {
  runs: 1,
  latency: { warmup: 200, samples: 1000 },
  burst: { count: 200, warmup: 20, 'per-turn': 1, 'settle-ms': 50 },
  throughput: { count: 300, warmup: 20, 'per-turn': 100, 'settle-ms': 50 },
  rss: {
    addon: { reports: 20_000, warmup: 2000 },
    baseline: { reports: 300, warmup: 30 },
    posthog: { reports: 300, warmup: 30 },
    sentry: { reports: 300, warmup: 30 },
  },
  exit: { events: 10, 'limit-ms': 600 },
  classify: { buildFirst: false, iterations: 1000, runs: 1, callgrindIterations: 0 },
}
const plan = flags.smoke ? SMOKE : FULL
// A fixed young generation, so RSS growth is retained memory, not V8 growing its nursery.
const RSS_NODE_ARGS = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16']

const machine = describeMachine()
const progress = (message) => process.stderr.write(`[bench] ${message}\n`)
progress(`addon ${machine.addon.binary} (${machine.addon.bytes} bytes, built ${machine.addon.builtAt})`)

/** Runs `measure(impl)` `plan.runs` times per implementation, alternating implementations. */
async function repeated(name, impls, measure) {
  const runs = Object.fromEntries(impls.map((impl) => [impl, []]))
  for (let run = 1; run <= plan.runs; run++) {
    for (const impl of impls) {
      progress(`${name}: ${impl}, run ${run}/${plan.runs}`)
      runs[impl].push(await measure(impl))
    }
  }
  return runs
}

const medianOf = (runs, pick) => median(runs.map(pick))

const latency = await repeated('latency', IMPLEMENTATIONS, (impl) => runFigure('latency', { impl, ...plan.latency }))
const burst = await repeated('burst', [...IMPLEMENTATIONS, CONTROL], (impl) => runFigure('burst', { impl, ...plan.burst }))
const throughput = await repeated('throughput', IMPLEMENTATIONS, (impl) =>
  runFigure('burst', { impl, ...plan.throughput }),
)
const rss = await repeated('rss', IMPLEMENTATIONS, (impl) =>
  runFigure('rss', { impl, ...plan.rss[impl] }, { nodeArgs: RSS_NODE_ARGS }),
)
const exit = await repeated('exit', [...IMPLEMENTATIONS, 'empty'], (impl) =>
  runFigure('exit', { impl, ...plan.exit }, { timeoutMs: plan.exit['limit-ms'] + 30_000 }),
)
progress('classify (Rust)')
const classify = classifyFigure(plan.classify)
machine.loadAverageAtEnd = describeMachine().loadAverage

// --- the table ---------------------------------------------------------------------------------

const figures = {}
for (const [name, runs, pick] of [
  ['latencyP50', latency, (run) => run.calls.reportSessionError.p50],
  ['latencyP99', latency, (run) => run.calls.reportSessionError.p99],
  ['timerP50', latency, (run) => run.calls['(timer only)'].p50],
  ['timerP99', latency, (run) => run.calls['(timer only)'].p99],
  ['mainCpu', burst, (run) => run.mainCpuUsPerEvent],
  ['processCpu', burst, (run) => run.processCpuUsPerEvent],
  ['receiverCpu', burst, (run) => run.receiverCpuUsPerEvent],
  ['loopBusy', burst, (run) => run.loopBusyUsPerEvent],
  ['loopDelayP99', burst, (run) => run.loopDelayP99Ms],
  ['burstEventsPerSecond', burst, (run) => run.eventsPerSecond],
  ['eventsPerSecond', throughput, (run) => run.eventsPerSecond],
  ['rssGrowth', rss, (run) => run.growthMb],
  ['exit', exit, (run) => run.exitMs],
]) {
  figures[name] = Object.fromEntries(Object.entries(runs).map(([impl, list]) => [impl, medianOf(list, pick)]))
}

const MIB = 2 ** 20
const killedAtLimit = (impl) => exit[impl].some((run) => run.killed)
const exitText = (impl) => `${formatNumber(figures.exit[impl], 0)} ms${killedAtLimit(impl) ? ' (killed at the limit)' : ''}`

/**
 * One table row: every implementation's median, the floor, and addon ÷ the best peer (the
 * lowest value of posthog-node and @sentry/node, or the highest where `higherIsBetter`).
 * `goal(addon, figure)` says whether the addon meets the row's goal.
 */
function row(figure, name, { digits = 2, floor, higherIsBetter = false, target, goal, text } = {}) {
  const values = figures[name]
  const show = text ?? ((impl) => formatNumber(values[impl], digits))
  const peers = PEERS.map((impl) => values[impl]).filter((value) => Number.isFinite(value))
  const best = peers.length === 0 ? NaN : higherIsBetter ? Math.max(...peers) : Math.min(...peers)
  return {
    figure,
    ...Object.fromEntries(IMPLEMENTATIONS.map((impl) => [impl, show(impl)])),
    floor,
    ratio: formatNumber(best > 0 ? values.addon / best : NaN, 3),
    target,
    met: goal ? goal(values.addon, values) : null,
  }
}

const rows = [
  row(`reportSessionError on the JS thread, p50 (µs; ${plan.latency.samples} calls)`, 'latencyP50', {
    floor: `${formatNumber(figures.timerP50.addon)} (timer only)`,
    target: '≤ 1.0 µs',
    goal: (addon) => addon <= 1,
  }),
  row('reportSessionError on the JS thread, p99 (µs)', 'latencyP99', {
    floor: `${formatNumber(figures.timerP99.addon)} (timer only)`,
    target: '≤ 4 µs',
    goal: (addon) => addon <= 4,
  }),
  row(`JS-thread CPU per delivered event, cyrus-shaped logger at INFO (µs; burst of ${plan.burst.count})`, 'mainCpu', {
    floor: formatNumber(figures.mainCpu.control),
    target: '≤ 4 µs',
    goal: (addon) => addon <= 4,
  }),
  row('event-loop delay p99 during the burst (ms; 1 ms resolution subtracted)', 'loopDelayP99', {
    floor: formatNumber(figures.loopDelayP99.control),
    target: '≤ 1 ms',
    goal: (addon) => addon <= 1,
  }),
  row(`delivered events/s, burst of ${plan.burst.count} (one report per event-loop turn)`, 'burstEventsPerSecond', {
    higherIsBetter: true,
    target: '≥ posthog-node',
    goal: (addon, values) => addon >= values.posthog,
  }),
  row(`delivered events/s, ${plan.throughput.count} events (100 reports per turn)`, 'eventsPerSecond', {
    higherIsBetter: true,
  }),
  row('process CPU, all threads, per delivered event (µs; burst)', 'processCpu', {
    floor: formatNumber(figures.processCpu.control),
    target: '≤ 30 µs',
    goal: (addon) => addon <= 30,
  }),
  row('receiver CPU per delivered event (µs; its own process, same 2 cores)', 'receiverCpu'),
  row('event-loop busy (wall) time per delivered event (µs; burst)', 'loopBusy', {
    floor: formatNumber(figures.loopBusy.control),
  }),
  row(
    `RSS growth, receiver never answers (MB; addon ${plan.rss.addon.reports.toLocaleString('en-US')} reports, the others ${plan.rss.baseline.reports.toLocaleString('en-US')})`,
    'rssGrowth',
    { digits: 1, target: '≤ 16 MB', goal: (addon) => addon <= 16 },
  ),
  row(`last statement → process exit, ${plan.exit.events} events pending to a hung endpoint (ms)`, 'exit', {
    text: exitText,
    floor: `${exitText('empty')} (empty script)`,
    target: '≤ 50 ms',
    goal: (addon) => addon <= 50 && !killedAtLimit('addon'),
  }),
  classify.skipped
    ? { figure: 'Rust classify + scrub, 2 KB message', addon: `skipped: ${classify.skipped}` }
    : {
        figure: `Rust classify + scrub, 2 KB message carrying the callback token (ns; instructions)`,
        addon: `${formatNumber(classify.nsPerCall, 0)} ns; ${
          classify.instructionsPerCall === null ? 'instructions n/a' : `${formatNumber(classify.instructionsPerCall, 0)} instr.`
        }`,
        target: '≤ 25k instructions',
        met: classify.instructionsPerCall === null ? null : classify.instructionsPerCall <= 25_000,
      },
  {
    figure: 'addon .node size (MiB)',
    addon: `${formatNumber(machine.addon.bytes / MIB)} MiB`,
    target: '≤ 3 MiB',
    met: machine.addon.bytes <= 3 * MIB,
  },
]

const output = [
  `cyrus-telemetry benchmarks${flags.smoke ? ' — SMOKE RUN: tiny samples, figures not meaningful' : ''}`,
  `machine: ${machine.cpus}, ${machine.memory}, ${machine.kernel}; load average ${machine.loadAverage} (start), ${machine.loadAverageAtEnd} (end)`,
  `node ${machine.node}; ${machine.rust}; classifier in src/: ${machine.classifier}`,
  `addon: ${machine.addon.binary}, built ${machine.addon.builtAt}`,
  `medians of ${plan.runs} run(s) per implementation, alternating, each in a fresh process; receiver in its own process`,
  '',
  figuresTable(IMPLEMENTATIONS, rows),
  '',
  `addon per-call breakdown (medians of ${plan.runs} run(s), ${plan.latency.samples} calls each after ${plan.latency.warmup} warm-up):`,
  breakdownTable(
    Object.fromEntries(
      Object.keys(latency.addon[0].calls).map((call) => [
        call,
        {
          p50: medianOf(latency.addon, (run) => run.calls[call].p50),
          p99: medianOf(latency.addon, (run) => run.calls[call].p99),
        },
      ]),
    ),
  ),
]
console.log(output.join('\n'))

if (flags.json) {
  writeFileSync(
    flags.json,
    JSON.stringify({ smoke: Boolean(flags.smoke), machine, plan, figures, classify, latency, burst, throughput, rss, exit }, null, 2),
  )
}
