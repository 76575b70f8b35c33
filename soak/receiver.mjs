// The soak's callback endpoint, run as its own process (forked by soak.mjs) so that its work and
// memory never mix with the measurements of the process under test.
//
// Each request gets a behaviour drawn from a seeded generator: 200, 500, 503, 429 with
// `Retry-After: 1`, hang (never answer; the client's deadline ends it), or reset (the connection
// is torn down without an answer). Requests arrive in a nondeterministic order, so the seed fixes
// the sequence of behaviours, not which event meets which.
//
// IPC: sends { port } once listening; answers { type: 'report' } with the counts, and
// { type: 'close' } by closing every socket and exiting.
import { hang, reset, respond, startCollector } from 'cyrus-telemetry/testing'

const BEHAVIOURS = ['ok', 'error500', 'unavailable503', 'throttled429', 'hang', 'reset']

const seed = Number(process.argv[2] ?? 1)
/** `name:weight,…` — how often each behaviour is drawn. */
const mix = parseMix(process.argv[3] ?? '')

function parseMix(text) {
  const weights = Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((entry) => {
        const [name, weight] = entry.split(':')
        return [name, Number(weight)]
      }),
  )
  for (const [name, weight] of Object.entries(weights)) {
    if (!BEHAVIOURS.includes(name) || !(weight >= 0)) throw new Error(`bad mix entry ${name}:${weight}`)
  }
  return weights
}

/** mulberry32: small, seedable, good enough to pick behaviours. */
function generator(state) {
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const random = generator(seed)
const total = BEHAVIOURS.reduce((sum, name) => sum + (mix[name] ?? 0), 0)
function draw() {
  let point = random() * total
  for (const name of BEHAVIOURS) {
    point -= mix[name] ?? 0
    if (point < 0) return name
  }
  return 'ok'
}

const requests = Object.fromEntries(BEHAVIOURS.map((name) => [name, 0]))
/** event_id → number of 200 answers it received. */
const delivered = new Map()
let ok200 = 0
let duplicates200 = 0

const ANSWERS = {
  ok: respond(200, undefined, '{"ok":true}'),
  error500: respond(500, undefined, '{"error":"internal"}'),
  unavailable503: respond(503, undefined, ''),
  throttled429: respond(429, { 'retry-after': '1' }, ''),
  hang: hang(),
  reset: reset(),
}

// The package's test collector, keeping counts only (a minute at 1,000 events/s would otherwise
// hold every request); it checks each request against the wire format (Idempotency-Key ==
// event_id among them) and counts the problems.
const collector = await startCollector({
  record: false,
  // Hung requests are ended by the client; idle connections stay pooled for the run.
  keepAliveTimeoutMs: 30_000,
  answers: (request) => {
    const behaviour = draw()
    requests[behaviour]++
    if (behaviour === 'ok') {
      // Counted before the answer leaves: once the client has its status, the count is in.
      const eventId = request.headers['idempotency-key']
      const previous = delivered.get(eventId) ?? 0
      if (previous > 0) duplicates200++
      delivered.set(eventId, previous + 1)
      ok200++
    }
    return ANSWERS[behaviour]
  },
})

process.on('message', (message) => {
  if (message?.type === 'report') {
    const { problems, openSockets } = collector.stats()
    process.send({
      type: 'report',
      requests,
      ok200,
      uniqueDelivered: delivered.size,
      duplicates200,
      wireProblems: problems,
      problemSamples: collector.problems.slice(0, 3).map((problem) => problem.message),
      openSockets,
    })
  } else if (message?.type === 'close') {
    collector.close().then(() => process.exit(0))
  }
})
process.on('disconnect', () => process.exit(0))

process.send({ type: 'listening', port: collector.port })
