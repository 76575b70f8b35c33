// The callback endpoint, in its own process so that its work never counts against the reporter
// being measured. Started by lib/receiver.mjs with an IPC channel.
//   node receiver.mjs fast   answers every POST with 200 at once (keep-alive)
//   node receiver.mjs hang   reads every POST and never answers
// It is the package's counting collector (cyrus-telemetry/testing `startCounter`): a minimal
// HTTP/1.1 reader over node:net that costs a few µs per request, where node:http's ~30-50 µs
// would make the receiver, not the reporter, the limit of the throughput figure on two cores. A
// request counts once its body has fully arrived.
// What is counted is events, whatever the client's wire format (lib/wire.mjs, the counter's
// plug-in): the addon and the baseline send one event per POST, posthog-node a gzipped batch,
// @sentry/node one envelope per event (plus client reports, which are not events).
// The parent asks `{ id, waitFor: n }` and is answered `{ id, count, requests, atMs, cpuMs }`
// when n events have arrived (atMs: timeOrigin + the arrival of the request that made n,
// comparable across processes; cpuMs: the receiver's own CPU time, to see whether it is the
// bottleneck); `{ id, count: true }` answers at once (atMs: now).
import { hang, respond, startCounter } from 'cyrus-telemetry/testing'
import { eventsInRequest } from './lib/wire.mjs'

const ANSWERS = { fast: respond(200), hang: hang() }
const mode = process.argv[2]
if (!(mode in ANSWERS)) throw new Error(`unknown receiver mode ${mode}`)
/** The parent times its own waits out; a wait here only has to outlive any bench run. */
const WAIT_LIMIT_MS = 30 * 60_000

// A deep accept backlog: the baseline opens one connection per event in a burst.
const counter = await startCounter({ answers: [ANSWERS[mode]], countEvents: eventsInRequest, backlog: 65_535 })

const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const state = ({ events, requests }, at) => ({ count: events, requests, atMs: performance.timeOrigin + at, cpuMs: cpuMs() })

process.on('message', (message) => {
  if (message.count === true) process.send({ id: message.id, ...state(counter.stats(), performance.now()) })
  else {
    counter.waitForEvents(message.waitFor, WAIT_LIMIT_MS).then(
      (reached) => process.send({ id: message.id, ...state(reached, reached.lastAt) }),
      () => {}, // the parent stopped waiting long ago
    )
  }
})
// The parent going away (even killed) must not leave a receiver behind.
process.on('disconnect', () => process.exit(0))

process.send({ port: counter.port })
