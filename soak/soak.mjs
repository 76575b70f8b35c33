#!/usr/bin/env node
// Soak under faults: one TelemetryReporter reports a steady stream of agent-session errors to a
// loopback receiver (its own process, soak/receiver.mjs) that answers each POST with 200, 500,
// 503, 429 + Retry-After: 1, a hang or a connection reset, drawn from a seeded generator. At the
// end it flushes, shuts down, and checks that every event is accounted for exactly once, that
// nothing was delivered twice, and that memory, file descriptors and the event loop stayed flat.
//
//   node soak/soak.mjs --minutes 1            the recorded run (1,000 events/s)
//   node soak/soak.mjs --seconds 10           the CI smoke run (250 events/s, see SMOKE_RATE)
//   options: --rate <events/s>  --seed <n> (1)  --mix ok:90,error500:2.5,…  --json
//
// The package entry is always the one callers get (entry.cjs, with its JS fast path); the native
// binary comes from $CYRUS_TELEMETRY_ADDON when set (a .node file, or a folder holding one, e.g.
// the output of `napi build --release --output-dir …`), else from the package root. Reporter
// options: the default options except requestTimeoutMs 2000, so that hung requests end in the run.
// Exits 1 when a check fails, 2 on bad arguments.
import { fork } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

const DEFAULT_MIX = 'ok:90,error500:2.5,unavailable503:2.5,throttled429:2.5,reset:2.4,hang:0.1'
const RATE = 1000
/**
 * The smoke run (--seconds) defaults to a quarter of the rate: on a 2-core machine with a debug
 * build and two CPU-bound neighbours, the event-loop p99 at 1,000/s was 7 ms (2 ms with one
 * neighbour), at 250/s 3–5 ms (once 7 ms). Lower rates did not lower it further: what is left is
 * the OS preempting the process, hence also SMOKE_LOOP_DELAY_P99_LIMIT_MS.
 */
const SMOKE_RATE = 250
const REQUEST_TIMEOUT_MS = 2000
/** Enough for the longest retry chain (4 attempts × 2 s deadline + 1 + 2 + 4 s backoff, +20 %). */
const FLUSH_TIMEOUT_MS = 60_000
const SAMPLE_EVERY_MS = 1000
const TICK_MS = 10
const RSS_GROWTH_LIMIT = 0.05
/** Sockets come and go (resets, hangs, the keep-alive pool); a leak grows without bound. */
const FD_SLACK = 20
const LOOP_DELAY_P99_LIMIT_MS = 5
/**
 * A 10 s smoke run on a shared 2-core CI machine sees 3–7 ms of OS preemption in its p99 whatever
 * the rate; it guards against the addon blocking the loop (a synchronous wait would show as tens
 * of milliseconds), and the recorded run holds the 5 ms figure.
 */
const SMOKE_LOOP_DELAY_P99_LIMIT_MS = 10
/**
 * monitorEventLoopDelay records the interval between its timer's runs, so a sample is the
 * resolution plus the delay; the delay reported here is what exceeds the resolution.
 */
const LOOP_DELAY_RESOLUTION_MS = 1
const TOKEN = 'cyt_soak_T0ken_d0_n0t_l0g_8c1f'
const TEAM = 'team-soak'

// Real message shapes (README, "Classification rules") so that classification and scrubbing do their usual work.
const RESULT_TEXTS = [
  'Claude AI usage limit reached|1755615600',
  'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
  'API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 212000 tokens > 200000 maximum"}}',
  'Request timed out after 600000ms (ETIMEDOUT)',
  'Credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  `git push failed: remote: Invalid username or token. Authorization: Bearer ${TOKEN}`,
]

function parseArgs(argv) {
  const args = { rate: undefined, seed: 1, mix: DEFAULT_MIX, json: false, durationMs: 0, smoke: false }
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]
    const value = () => {
      const next = argv[++index]
      if (next === undefined) usage(`${flag} needs a value`)
      return next
    }
    const positive = (text) => {
      const number = Number(text)
      if (!(number > 0)) usage(`${flag} must be a positive number`)
      return number
    }
    switch (flag) {
      case '--minutes':
        args.durationMs = positive(value()) * 60_000
        break
      case '--seconds':
        args.durationMs = positive(value()) * 1000
        args.smoke = true
        break
      case '--rate':
        args.rate = positive(value())
        break
      case '--seed':
        args.seed = Math.trunc(positive(value()))
        break
      case '--mix':
        args.mix = value()
        break
      case '--json':
        args.json = true
        break
      default:
        usage(`unknown argument ${flag}`)
    }
  }
  if (!args.durationMs) usage('give --minutes N or --seconds N')
  args.rate ??= args.smoke ? SMOKE_RATE : RATE
  return args
}

function usage(problem) {
  console.error(`soak: ${problem}\nusage: node soak/soak.mjs (--minutes N | --seconds N) [--rate R] [--seed S] [--mix name:w,…] [--json]`)
  process.exit(2)
}

/** The package, with the binary of $CYRUS_TELEMETRY_ADDON when set; returns it and the binary's path. */
function loadAddon() {
  const location = process.env.CYRUS_TELEMETRY_ADDON
  if (location) {
    let binary = resolve(location)
    if (statSync(binary).isDirectory()) {
      const found = readdirSync(binary).filter((name) => name.endsWith('.node'))
      if (found.length !== 1) usage(`CYRUS_TELEMETRY_ADDON: expected one .node file in ${binary}, found ${found.length}`)
      binary = join(binary, found[0])
    }
    // The generated loader (index.js) loads this instead of the binary next to it.
    process.env.NAPI_RS_NATIVE_LIBRARY_PATH = binary
  }
  return { addon: require(join(here, '..')), binary: process.env.NAPI_RS_NATIVE_LIBRARY_PATH ?? 'package root' }
}

function startReceiver(seed, mix) {
  const child = fork(join(here, 'receiver.mjs'), [String(seed), mix], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const next = (type) =>
    new Promise((resolvePromise, reject) => {
      const onMessage = (message) => {
        if (message?.type !== type) return
        child.off('message', onMessage)
        child.off('exit', onExit)
        resolvePromise(message)
      }
      const onExit = (code) => reject(new Error(`receiver exited (${code}) while waiting for ${type}`))
      child.on('message', onMessage)
      child.once('exit', onExit)
    })
  return {
    listening: next('listening'),
    async report() {
      const answer = next('report')
      child.send({ type: 'report' })
      return answer
    },
    async close() {
      const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise))
      child.send({ type: 'close' })
      await exited
    },
  }
}

const sleep = (ms) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms))
const openFds = () => {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined // not Linux: the descriptor check is skipped
  }
}
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const { addon, binary } = loadAddon()
  const { TelemetryReporter } = addon
  // Short runs spend half their time warming up: V8's heap and the allocator still grow in the
  // first seconds, which says nothing about a leak.
  const warmUpMs = args.durationMs >= 60_000 ? 15_000 : args.durationMs / 2
  const receiver = startReceiver(args.seed, args.mix)
  const { port } = await receiver.listening

  const logs = { debug: 0, info: 0, warn: 0, error: 0, tokenLeaks: 0, samples: [] }
  const reporter = new TelemetryReporter({
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    disabled: false,
    logger: (level, message) => {
      logs[level]++
      if (message.includes(TOKEN)) logs.tokenLeaks++
      if (level !== 'debug' && logs.samples.length < 3) logs.samples.push(`${level}: ${message}`)
    },
  })
  const context = reporter.setCallbackContext({
    'x-cyrus-callback-token': TOKEN,
    'x-cyrus-callback-url': `http://127.0.0.1:${port}/cb`,
    'x-cyrus-team-id': TEAM,
  })
  if (context.status !== 'set') throw new Error(`callback context not set: ${JSON.stringify(context)}`)

  const total = Math.round((args.rate * args.durationMs) / 1000)
  const outcomes = {}
  let reportedCalls = 0
  const report = () => {
    const n = reportedCalls++
    const session = {
      id: `soak-${n}`,
      createdAt: Date.now() - 90_000,
      issueContext: { issueId: `issue-${n % 977}`, issueIdentifier: `SOAK-${n % 977}` },
    }
    const result = {
      type: 'result',
      subtype: 'success',
      is_error: true,
      result: RESULT_TEXTS[n % RESULT_TEXTS.length],
      duration_ms: 90_000,
      num_turns: 7,
      session_id: session.id,
    }
    const { outcome } = reporter.reportSessionError(session, result, { stopRequested: false })
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
  }

  const delayMs = (nanoseconds) => Math.max(0, nanoseconds / 1e6 - LOOP_DELAY_RESOLUTION_MS)

  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
  loopDelay.enable()
  const samples = []
  const sample = (phase) => samples.push({ atMs: Date.now() - started, phase, rss: process.memoryUsage.rss(), fds: openFds() })
  const started = Date.now()
  let warmedUp = false
  const sampler = setInterval(() => {
    const phase = Date.now() - started < warmUpMs ? 'warm-up' : 'steady'
    if (phase === 'steady' && !warmedUp) {
      warmedUp = true
      loopDelay.reset()
    }
    sample(phase)
  }, SAMPLE_EVERY_MS)

  // A fixed rate: every tick, report what the clock says is due (catching up after a late tick).
  await new Promise((resolvePromise) => {
    const pacer = setInterval(() => {
      const due = Math.min(total, Math.floor((args.rate * (Date.now() - started)) / 1000))
      while (reportedCalls < due) report()
      if (reportedCalls >= total) {
        clearInterval(pacer)
        resolvePromise()
      }
    }, TICK_MS)
  })
  const reportingMs = Date.now() - started
  sample('end of reporting')
  clearInterval(sampler)
  loopDelay.disable()

  const flushStarted = Date.now()
  const flushed = await reporter.flush(FLUSH_TIMEOUT_MS)
  const flushMs = Date.now() - flushStarted
  const stats = reporter.stats()
  const shutdown = await reporter.shutdown(5000)
  await sleep(50) // let the last log lines reach the logger
  sample('after shutdown')
  const received = await receiver.report()
  await receiver.close()

  const steady = samples.filter((entry) => entry.phase === 'steady' || entry.phase === 'end of reporting')
  const firstSteady = steady[0] ?? samples[0]
  const lastSteady = steady.at(-1) ?? samples.at(-1)
  const rssGrowth = (lastSteady.rss - firstSteady.rss) / firstSteady.rss
  const peakRss = Math.max(...samples.map((entry) => entry.rss))
  const fdValues = samples.map((entry) => entry.fds).filter((value) => value !== undefined)
  const p99Ms = delayMs(loopDelay.percentile(99))
  const loopDelayLimitMs = args.smoke ? SMOKE_LOOP_DELAY_P99_LIMIT_MS : LOOP_DELAY_P99_LIMIT_MS
  const dropped = stats.droppedQueueFull + stats.droppedHeldOverflow

  const checks = [
    ['every event accounted for: sent + failed + dropped == reported', stats.sent + stats.failed + dropped === stats.reported,
      `${stats.sent} + ${stats.failed} + ${dropped} vs ${stats.reported}`],
    ['every call reported an error event', stats.reported === reportedCalls && reportedCalls === total,
      `reported ${stats.reported}, calls ${reportedCalls}, planned ${total}`],
    ['outcomes are queued or dropped_queue_full only', (outcomes.queued ?? 0) + (outcomes.dropped_queue_full ?? 0) === reportedCalls,
      JSON.stringify(outcomes)],
    // With the default options (1024 queued, 8 in flight) the default fault mix at 1,000/s needs a
    // few hundred queue places: a drop means delivery throughput collapsed.
    ...(args.mix === DEFAULT_MIX
      ? [['no event dropped with the default fault mix', dropped === 0, `${stats.droppedQueueFull} dropped (queue full)`]]
      : []),
    ['nothing held (context set first)', stats.held === 0 && stats.droppedHeldOverflow === 0, `held ${stats.held}`],
    ['flush completed in time', flushed.completed && flushed.pending === 0, `${JSON.stringify(flushed)} after ${flushMs} ms`],
    ['nothing left in the queue or in flight', stats.queueLength === 0 && stats.inFlight === 0 && stats.waitingToRetry === 0,
      `queue ${stats.queueLength}, in flight ${stats.inFlight}, waiting ${stats.waitingToRetry}`],
    ['no event_id answered 200 twice', received.duplicates200 === 0, `${received.duplicates200} duplicates`],
    ["receiver's 200 count == sent", received.ok200 === stats.sent && received.uniqueDelivered === stats.sent,
      `receiver ${received.ok200} (${received.uniqueDelivered} distinct), sent ${stats.sent}`],
    ['every request on the wire format (Idempotency-Key == body event_id, Bearer token, fields)', received.wireProblems === 0,
      `${received.wireProblems} problem(s)${received.problemSamples.length ? `: ${received.problemSamples.join('; ')}` : ''}`],
    ['token never in a log line', logs.tokenLeaks === 0, `${logs.tokenLeaks} lines`],
    [`RSS after warm-up within ${RSS_GROWTH_LIMIT * 100} %`, rssGrowth <= RSS_GROWTH_LIMIT,
      `${mb(firstSteady.rss)} MB at ${firstSteady.atMs} ms → ${mb(lastSteady.rss)} MB at ${lastSteady.atMs} ms (${(rssGrowth * 100).toFixed(1)} %)`],
    ...(fdValues.length
      ? [[`open file descriptors flat (±${FD_SLACK})`, lastSteady.fds <= firstSteady.fds + FD_SLACK,
          `${firstSteady.fds} → ${lastSteady.fds} (min ${Math.min(...fdValues)}, max ${Math.max(...fdValues)}, after shutdown ${samples.at(-1).fds})`]]
      : []),
    [`event-loop delay p99 ≤ ${loopDelayLimitMs} ms`, p99Ms <= loopDelayLimitMs,
      `p50 ${delayMs(loopDelay.percentile(50)).toFixed(2)} ms, p99 ${p99Ms.toFixed(2)} ms, max ${delayMs(loopDelay.max).toFixed(2)} ms ` +
        `(${loopDelay.count} samples after warm-up)`],
  ]

  const requestsTotal = Object.values(received.requests).reduce((sum, count) => sum + count, 0)
  const lines = [
    `soak: ${reportedCalls} events in ${(reportingMs / 1000).toFixed(1)} s (${Math.round(reportedCalls / (reportingMs / 1000))}/s, target ${args.rate}/s), seed ${args.seed}, warm-up ${warmUpMs / 1000} s`,
    `addon: ${binary}; node ${process.version}`,
    `receiver: ${requestsTotal} requests ${JSON.stringify(received.requests)}`,
    `stats: sent ${stats.sent}, failed ${stats.failed} (http ${stats.failedHttp}, timeout ${stats.failedTimeout}, network ${stats.failedNetwork}), ` +
      `dropped ${dropped} (queue full ${stats.droppedQueueFull}), retried ${stats.retried}`,
    `flush: ${JSON.stringify(flushed)} in ${flushMs} ms; shutdown ${JSON.stringify(shutdown)}`,
    `memory: RSS peak ${mb(peakRss)} MB, after shutdown ${mb(samples.at(-1).rss)} MB`,
    `logger: ${logs.debug} debug, ${logs.info} info, ${logs.warn} warn, ${logs.error} error${logs.samples.length ? `; e.g. ${logs.samples[0]}` : ''}`,
    '',
    ...checks.map(([name, ok, detail]) => `${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`),
  ]
  console.log(lines.join('\n'))
  if (args.json) {
    console.log(JSON.stringify({ args, reportedCalls, reportingMs, flushMs, flushed, stats, received, logs, samples, p99Ms }, null, 2))
  }
  const failed = checks.filter(([, ok]) => !ok)
  if (failed.length) {
    console.log(`\nsoak: ${failed.length} check(s) failed`)
    process.exitCode = 1
  }
}

main().catch((error) => {
  console.error('soak:', error)
  process.exit(1)
})
