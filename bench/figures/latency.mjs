// Figure: time spent on the JS thread inside one reportSessionError call, per call, measured
// with process.hrtime.bigint() around the call only (inputs are built before the clock starts).
// For the addon it also times cheaper native calls, so the cost can be split into the N-API
// floor, reading the inputs, classifying, queueing, and building the returned object.
//   --impl addon|baseline|posthog|sentry --warmup N --samples N
import { emit, figureArgs } from '../lib/child.mjs'
import { freshResult, freshSession } from '../lib/fixtures.mjs'
import { startReceiver } from '../lib/receiver.mjs'
import { createReporter, outcomeCounter } from '../lib/reporters.mjs'
import { summarize } from '../lib/stats.mjs'

const args = figureArgs(['impl', 'warmup', 'samples'])
const warmup = Number(args.warmup)
const samples = Number(args.samples)
// Let the event loop (the baseline's fetches, the addon's completions) run between short
// batches, as it does between sessions in cyrus; the timed region is still one call.
const BATCH = 100

/** Times `call(session, result)` on fresh inputs; returns µs per call. */
async function timeCall(call, onResult = () => {}) {
  const durations = new Float64Array(samples)
  for (let index = 0; index < warmup + samples; index++) {
    const session = freshSession(index)
    const result = freshResult(index)
    const start = process.hrtime.bigint()
    const returned = call(session, result)
    const end = process.hrtime.bigint()
    if (index >= warmup) {
      durations[index - warmup] = Number(end - start) / 1000
      onResult(returned)
    }
    if (index % BATCH === BATCH - 1) await new Promise(setImmediate)
  }
  return summarize(durations)
}

const receiver = await startReceiver('fast')
const calls = {}
const outcomes = outcomeCounter()
if (args.impl !== 'addon') {
  const { report } = await createReporter(args.impl, receiver.url)
  calls.reportSessionError = await timeCall(report, outcomes.add)
} else {
  // Large enough that every timed report is queued, never dropped: the figure is the full path.
  const { report, reporter, addon } = await createReporter('addon', receiver.url, { queueCapacity: 1_000_000 })
  calls.reportSessionError = await timeCall(report, outcomes.add)
  calls['classifySessionError(result)'] = await timeCall((_session, result) => reporter.classifySessionError(result))
  const disabled = new addon.TelemetryReporter({ disabled: true })
  calls['reportSessionError, disabled reporter'] = await timeCall((session, result) =>
    disabled.reportSessionError(session, result),
  )
  calls['stats()'] = await timeCall(() => reporter.stats())
  calls['extractCallbackContext(undefined)'] = await timeCall(() => addon.extractCallbackContext(undefined))
  // What a JS prefetch shim would do before calling into Rust: read the fields the README's API names.
  calls['JS reads of the fields'] = await timeCall((session, result) => [
    session.id,
    session.createdAt,
    session.issueContext?.issueId ?? session.issueId,
    session.issueContext?.issueIdentifier ?? session.issue?.identifier,
    result.subtype,
    result.is_error,
    result.result,
    result.errors,
  ])
}
calls['(timer only)'] = await timeCall(() => undefined)
receiver.close()
emit({ calls, outcomes: outcomes.counts })
