#!/usr/bin/env node
// Benchmarks the addon against the original TypeScript reporter (bench/baseline) and prints
// one table. BENCHMARKS.md explains each figure; this file only orchestrates.
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
import { CONTROL, IMPLEMENTATIONS } from './lib/reporters.mjs'
import { median } from './lib/stats.mjs'

const { values: flags } = parseArgs({ options: { smoke: { type: 'boolean' }, json: { type: 'string' } } })

const FULL = {
  runs: 5,
  latency: { warmup: 2000, samples: 20_000 },
  burst: { count: 5000, warmup: 200, 'per-turn': 1, 'settle-ms': 300 },
  throughput: { count: 10_000, warmup: 200, 'per-turn': 100, 'settle-ms': 300 },
  // The baseline keeps every hanging fetch for 10 s: 1M of them would need tens of GB.
  rss: { addon: { reports: 1_000_000, warmup: 100_000 }, baseline: { reports: 10_000, warmup: 1000 } },
  exit: { events: 50, 'limit-ms': 15_000 },
  classify: { buildFirst: true, iterations: 200_000, runs: 5, callgrindIterations: 2000 },
}
const SMOKE = {
  runs: 1,
  latency: { warmup: 200, samples: 1000 },
  burst: { count: 200, warmup: 20, 'per-turn': 1, 'settle-ms': 50 },
  throughput: { count: 300, warmup: 20, 'per-turn': 100, 'settle-ms': 50 },
  rss: { addon: { reports: 20_000, warmup: 2000 }, baseline: { reports: 300, warmup: 30 } },
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
  ['loopBusy', burst, (run) => run.loopBusyUsPerEvent],
  ['loopDelayP99', burst, (run) => run.loopDelayP99Ms],
  ['eventsPerSecond', throughput, (run) => run.eventsPerSecond],
  ['rssGrowth', rss, (run) => run.growthMb],
  ['exit', exit, (run) => run.exitMs],
]) {
  figures[name] = Object.fromEntries(Object.entries(runs).map(([impl, list]) => [impl, medianOf(list, pick)]))
}

const ratio = ({ addon, baseline }) => (baseline > 0 ? addon / baseline : NaN)
const MIB = 2 ** 20
const exitText = (impl) =>
  `${formatNumber(figures.exit[impl], 0)} ms${exit[impl].some((run) => run.killed) ? ' (killed at the limit)' : ''}`

const rows = [
  {
    figure: `reportSessionError on the JS thread, p50 (µs; ${plan.latency.samples} calls)`,
    addon: formatNumber(figures.latencyP50.addon),
    baseline: formatNumber(figures.latencyP50.baseline),
    floor: `${formatNumber(figures.timerP50.addon)} (timer only)`,
    ratio: formatNumber(ratio(figures.latencyP50), 3),
    target: '≤ 2 µs',
    met: figures.latencyP50.addon <= 2,
  },
  {
    figure: 'reportSessionError on the JS thread, p99 (µs)',
    addon: formatNumber(figures.latencyP99.addon),
    baseline: formatNumber(figures.latencyP99.baseline),
    floor: `${formatNumber(figures.timerP99.addon)} (timer only)`,
    ratio: formatNumber(ratio(figures.latencyP99), 3),
    target: '≤ 10 µs',
    met: figures.latencyP99.addon <= 10,
  },
  {
    figure: `JS-thread CPU per delivered event (µs; burst of ${plan.burst.count})`,
    addon: formatNumber(figures.mainCpu.addon),
    baseline: formatNumber(figures.mainCpu.baseline),
    floor: formatNumber(figures.mainCpu.control),
    ratio: formatNumber(ratio(figures.mainCpu), 3),
    target: '÷ baseline ≤ 0.1',
    met: ratio(figures.mainCpu) <= 0.1,
  },
  {
    figure: 'process CPU, all threads, per delivered event (µs)',
    addon: formatNumber(figures.processCpu.addon),
    baseline: formatNumber(figures.processCpu.baseline),
    floor: formatNumber(figures.processCpu.control),
    ratio: formatNumber(ratio(figures.processCpu), 3),
  },
  {
    figure: 'event-loop busy (wall) time per delivered event (µs)',
    addon: formatNumber(figures.loopBusy.addon),
    baseline: formatNumber(figures.loopBusy.baseline),
    floor: formatNumber(figures.loopBusy.control),
    ratio: formatNumber(ratio(figures.loopBusy), 3),
  },
  {
    figure: `event-loop delay p99 during the burst (ms; 1 ms resolution subtracted)`,
    addon: formatNumber(figures.loopDelayP99.addon),
    baseline: formatNumber(figures.loopDelayP99.baseline),
    floor: formatNumber(figures.loopDelayP99.control),
    ratio: formatNumber(ratio(figures.loopDelayP99), 3),
    target: '≤ 1 ms and ≤ baseline ÷ 5',
    met: figures.loopDelayP99.addon <= 1 && figures.loopDelayP99.addon <= figures.loopDelayP99.baseline / 5,
  },
  {
    figure: `delivered events/s, fast receiver (${plan.throughput.count} events)`,
    addon: formatNumber(figures.eventsPerSecond.addon),
    baseline: formatNumber(figures.eventsPerSecond.baseline),
    ratio: formatNumber(ratio(figures.eventsPerSecond), 2),
    target: '≥ 20,000/s',
    met: figures.eventsPerSecond.addon >= 20_000,
  },
  {
    figure: `RSS growth, receiver never answers (MB; addon ${plan.rss.addon.reports.toLocaleString('en-US')} reports, baseline ${plan.rss.baseline.reports.toLocaleString('en-US')})`,
    addon: formatNumber(figures.rssGrowth.addon, 1),
    baseline: formatNumber(figures.rssGrowth.baseline, 1),
    target: '≤ 16 MB',
    met: figures.rssGrowth.addon <= 16,
  },
  {
    figure: `last statement → process exit, ${plan.exit.events} events pending (ms)`,
    addon: exitText('addon'),
    baseline: exitText('baseline'),
    floor: `${exitText('empty')} (empty script)`,
    ratio: formatNumber(ratio(figures.exit), 3),
    target: '≤ 50 ms',
    met: figures.exit.addon <= 50 && !exit.addon.some((run) => run.killed),
  },
  classify.skipped
    ? { figure: 'Rust classify + scrub, 2 KB message', addon: `skipped: ${classify.skipped}` }
    : {
        figure: `Rust classify + scrub, 2 KB message (ns; instructions)`,
        addon: `${formatNumber(classify.nsPerCall, 0)} ns; ${
          classify.instructionsPerCall === null ? 'instructions n/a' : `${formatNumber(classify.instructionsPerCall, 0)} instr.`
        }`,
        target: '≤ 20k instructions',
        met: classify.instructionsPerCall === null ? null : classify.instructionsPerCall <= 20_000,
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
  `medians of ${plan.runs} run(s) per implementation, each in a fresh process; receiver in its own process`,
  '',
  figuresTable(rows),
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
