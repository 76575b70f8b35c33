// Figure: resident memory growth while reporting against a receiver that never answers. The
// addon keeps a bounded queue, so once it is full further reports are counted and dropped; the
// baseline starts one fetch per report and keeps each for its 10 s timeout. RSS is read after
// a forced GC (run with --expose-gc), so garbage not yet collected does not count as growth.
//   --impl addon|baseline --reports N --warmup N
import { emit, figureArgs } from '../lib/child.mjs'
import { freshResult, freshSession } from '../lib/fixtures.mjs'
import { startReceiver } from '../lib/receiver.mjs'
import { createReporter, outcomeCounter } from '../lib/reporters.mjs'

const args = figureArgs(['impl', 'reports', 'warmup'])
const reports = Number(args.reports)
const warmup = Number(args.warmup)
const PER_TURN = 1000

const receiver = await startReceiver('hang')
// Default options: the bounds under test are the defaults cyrus runs with.
const { report, reporter } = await createReporter(args.impl, receiver.url)
const outcomes = outcomeCounter()

async function reportRange(first, end) {
  for (let index = first; index < end; index++) {
    outcomes.add(report(freshSession(index), freshResult(index)))
    if ((index + 1) % PER_TURN === 0) await new Promise(setImmediate)
  }
}

function settledRssMb() {
  globalThis.gc()
  return process.memoryUsage.rss() / 2 ** 20
}

await reportRange(0, warmup)
const warmRssMb = settledRssMb()
await reportRange(warmup, reports)
const endRssMb = settledRssMb()
const arrived = await receiver.count()
receiver.close()
emit({
  reports,
  warmRssMb,
  endRssMb,
  growthMb: endRssMb - warmRssMb,
  requestsAtReceiver: arrived.count,
  outcomes: outcomes.counts,
  stats: args.impl === 'addon' ? reporter.stats() : undefined,
})
