// `node bench/call/loop.mjs N`: 3,000 warm-up calls, then N reportSessionError calls through
// the package entry (the fast path), on a pool of 512 input pairs built first. instructions.sh
// runs it under callgrind twice and takes the difference, so only the N calls are counted.
// The reporter is the latency figure's: a cyrus-shaped logger at INFO and a queue that holds
// every event; the callback URL is a closed loopback port, so delivery fails quickly on the
// background thread, which is not counted (callgrind counts the JS thread on its own).
import { createRequire } from 'node:module'
import { callbackHeaders, freshResult, freshSession } from '../lib/fixtures.mjs'
import { cyrusLogger } from '../lib/peers.mjs'

const require = createRequire(import.meta.url)
const addon = require('../../entry.cjs')
const calls = Number(process.argv[2])
const reporter = new addon.TelemetryReporter({ logger: cyrusLogger(), queueCapacity: 1_000_000 })
reporter.setCallbackContext(callbackHeaders('http://127.0.0.1:9/cb'))
const POOL = 512
const pool = Array.from({ length: POOL }, (_, index) => [freshSession(index), freshResult(index)])
for (let index = 0; index < 3000; index++) reporter.reportSessionError(...pool[index % POOL])
let queued = 0
for (let index = 0; index < calls; index++) {
  if (reporter.reportSessionError(...pool[index % POOL]).outcome === 'queued') queued++
}
if (queued !== calls) throw new Error(`${calls - queued} of ${calls} calls were not queued`)
process.exit(0)
