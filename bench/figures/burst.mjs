// Figures: JS-thread CPU per delivered event, event-loop delay, and delivered events per
// second, for a burst of reports to a fast receiver (counted at the receiver). With
// --per-turn 1 each report runs in its own event-loop turn (sessions complete on their own
// callbacks in cyrus), so the loop delay shows what the delivery work does to the loop, not
// the length of one synchronous loop of reports; the throughput run reports in larger batches.
//   --impl addon|baseline|control --count N --warmup N --per-turn N --settle-ms N
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { emit, figureArgs } from '../lib/child.mjs'
import { cpuSince, cpuSnapshot } from '../lib/cpu.mjs'
import { freshResult, freshSession } from '../lib/fixtures.mjs'
import { startReceiver } from '../lib/receiver.mjs'
import { CONTROL, createReporter, outcomeCounter } from '../lib/reporters.mjs'

const args = figureArgs(['impl', 'count', 'warmup', 'per-turn', 'settle-ms'])
const count = Number(args.count)
const warmup = Number(args.warmup)
const perTurn = Number(args['per-turn'])
const RESOLUTION_MS = 1
// A quiet moment after the warm-up, and how long the CPU window runs past the last arrival.
const settleMs = Number(args['settle-ms'])
const nextTurn = () => new Promise(setImmediate)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const receiver = await startReceiver('fast')
// The queue holds the whole burst: the figure is about delivering events, not dropping them.
const { report } = await createReporter(args.impl, receiver.url, { queueCapacity: 2 * (count + warmup) })
const outcomes = outcomeCounter()

// Inputs are built before the clocks start: the figure is the reporter's cost, not the cost of
// JSON.parse'ing fixtures. They are still distinct objects, one pair per report.
const inputs = Array.from({ length: warmup + count }, (_, index) => [freshSession(index), freshResult(index)])

async function burst(first, n) {
  for (let index = first; index < first + n; index++) {
    outcomes.add(report(...inputs[index]))
    if ((index + 1) % perTurn === 0) await nextTurn()
  }
}

const now = () => performance.timeOrigin + performance.now()
// The control sends nothing; its window is kept as long as a typical addon window (the burst,
// then waiting for delivery), so that its loop-delay samples cover the same span.
const CONTROL_WINDOW_MS = 250

/** Waits until the receiver has `n` requests (the control: until its window is over). */
async function arrivals(n, timeoutMs, windowStartMs) {
  if (args.impl !== CONTROL) return receiver.waitFor(n, timeoutMs)
  if (windowStartMs) await sleep(Math.max(0, windowStartMs + CONTROL_WINDOW_MS - now()))
  return { count: n, atMs: now(), cpuMs: NaN }
}

// Warm-up (JIT, connections, the addon's runtime thread), then a quiet moment.
await burst(0, warmup)
const warmed = await arrivals(warmup, 30_000)
await sleep(settleMs)

const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
const before = cpuSnapshot()
const startMs = now()
delay.enable()
await burst(warmup, count)
const reached = await arrivals(warmup + count, 60_000, startMs)
delay.disable()
// The CPU window runs on past the last arrival so that response handling is included.
await sleep(settleMs)
const cpu = cpuSince(before)
const delivered = reached.count - warmed.count
receiver.close()

// The histogram records the whole interval between 1 ms timer ticks; the delay is the excess.
const excessMs = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS)
emit({
  delivered,
  eventsPerSecond: delivered / ((reached.atMs - startMs) / 1000),
  timedOut: Boolean(reached.timedOut),
  elapsedMs: reached.atMs - startMs,
  loopDelayP50Ms: excessMs(delay.percentile(50)),
  loopDelayP99Ms: excessMs(delay.percentile(99)),
  loopDelayMaxMs: excessMs(delay.max),
  mainCpuUsPerEvent: (cpu.mainMs * 1000) / delivered,
  mainThreadPreemptions: cpu.mainPreempted,
  processCpuUsPerEvent: (cpu.processMs * 1000) / delivered,
  loopBusyUsPerEvent: (cpu.loopBusyMs * 1000) / delivered,
  receiverCpuUsPerEvent: ((reached.cpuMs - warmed.cpuMs) * 1000) / delivered,
  outcomes: outcomes.counts,
})
