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
import { createServer } from 'node:http'

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
let idMismatch = 0
const sockets = new Set()

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const eventId = req.headers['idempotency-key']
    let body
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      body = undefined
    }
    if (typeof eventId !== 'string' || body?.event_id !== eventId) idMismatch++
    const behaviour = draw()
    requests[behaviour]++
    switch (behaviour) {
      case 'ok': {
        // Counted before the answer leaves: once the client has its status, the count is in.
        const previous = delivered.get(eventId) ?? 0
        if (previous > 0) duplicates200++
        delivered.set(eventId, previous + 1)
        ok200++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"ok":true}')
        return
      }
      case 'error500':
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end('{"error":"internal"}')
        return
      case 'unavailable503':
        res.writeHead(503)
        res.end()
        return
      case 'throttled429':
        res.writeHead(429, { 'retry-after': '1' })
        res.end()
        return
      case 'hang':
        return
      case 'reset':
        if (typeof req.socket.resetAndDestroy === 'function') req.socket.resetAndDestroy()
        else req.socket.destroy()
        return
    }
  })
})
server.on('connection', (socket) => {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
})
server.on('clientError', (_error, socket) => socket.destroy())
// Hung requests are ended by the client; keep Node's own server timeouts out of the way.
server.requestTimeout = 0
server.keepAliveTimeout = 30_000

process.on('message', (message) => {
  if (message?.type === 'report') {
    process.send({
      type: 'report',
      requests,
      ok200,
      uniqueDelivered: delivered.size,
      duplicates200,
      idMismatch,
      openSockets: sockets.size,
    })
  } else if (message?.type === 'close') {
    for (const socket of sockets) socket.destroy()
    server.close(() => process.exit(0))
  }
})
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }))
