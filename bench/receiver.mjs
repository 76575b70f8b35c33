// The callback endpoint, in its own process so that its work never counts against the reporter
// being measured. Started by lib/receiver.mjs with an IPC channel.
//   node receiver.mjs fast   answers every POST with 200 at once (keep-alive)
//   node receiver.mjs hang   reads every POST and never answers
// It speaks just enough HTTP/1.1 over node:net (request head, Content-Length or chunked body,
// keep-alive, pipelining) to cost a few µs per request: node:http spends ~30-50 µs per request,
// which would make the receiver, not the reporter, the limit of the throughput figure on two
// cores. A request counts once its body has fully arrived.
// What is counted is events, whatever the client's wire format (lib/wire.mjs): the addon and
// the baseline send one event per POST, posthog-node a gzipped batch, @sentry/node one envelope
// per event (plus client reports, which are not events).
// The parent asks `{ id, waitFor: n }` and is answered `{ id, count, requests, atMs, cpuMs }`
// when n events have arrived (atMs: timeOrigin + now(), comparable across processes; cpuMs: the
// receiver's own CPU time, to see whether it is the bottleneck); `{ id, count: true }` answers
// at once.
import { createServer } from 'node:net'
import { eventsInRequest } from './lib/wire.mjs'

const mode = process.argv[2]
if (mode !== 'fast' && mode !== 'hang') throw new Error(`unknown receiver mode ${mode}`)

const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')
const HEAD_END = Buffer.from('\r\n\r\n')
const CONTENT_LENGTH = /^content-length:\s*(\d+)\s*$/im
const CHUNKED = /^transfer-encoding:\s*chunked\s*$/im
const CRLF = Buffer.from('\r\n')

let count = 0
let requests = 0
const waiters = []
const now = () => performance.timeOrigin + performance.now()
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const state = () => ({ count, requests, atMs: now(), cpuMs: cpuMs() })

function answerWaiters() {
  for (let index = waiters.length - 1; index >= 0; index--) {
    if (count >= waiters[index].waitFor) {
      process.send({ id: waiters[index].id, ...state() })
      waiters.splice(index, 1)
    }
  }
}

/**
 * A chunked body starting at `start`: `{ body, end }` once its last chunk has arrived, else
 * null (wait for more bytes).
 */
function chunkedBody(buffer, start) {
  const chunks = []
  let at = start
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, at)
    if (lineEnd < 0) return null
    const size = Number.parseInt(buffer.toString('latin1', at, lineEnd), 16)
    const dataStart = lineEnd + CRLF.length
    if (size === 0) {
      // The last chunk; no trailers are sent by the clients under test.
      const end = dataStart + CRLF.length
      return buffer.length < end ? null : { body: Buffer.concat(chunks), end }
    }
    if (buffer.length < dataStart + size + CRLF.length) return null
    chunks.push(buffer.subarray(dataStart, dataStart + size))
    at = dataStart + size + CRLF.length
  }
}

/** Consumes complete requests from the front of `buffer`; returns the unconsumed rest. */
function consumeRequests(socket, buffer) {
  let replies = 0
  for (;;) {
    const headEnd = buffer.indexOf(HEAD_END)
    if (headEnd < 0) break
    const head = buffer.toString('latin1', 0, headEnd)
    const bodyStart = headEnd + HEAD_END.length
    let request
    if (CHUNKED.test(head)) {
      request = chunkedBody(buffer, bodyStart)
      if (!request) break
    } else {
      const length = CONTENT_LENGTH.exec(head)
      const end = bodyStart + (length ? Number(length[1]) : 0)
      if (buffer.length < end) break
      request = { body: buffer.subarray(bodyStart, end), end }
    }
    count += eventsInRequest(head, request.body)
    requests++
    buffer = buffer.subarray(request.end)
    replies++
  }
  if (replies > 0) {
    if (waiters.length > 0) answerWaiters()
    if (mode === 'fast') socket.write(replies === 1 ? OK : Buffer.concat(Array(replies).fill(OK)))
  }
  return buffer
}

const server = createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    pending = consumeRequests(socket, pending.length === 0 ? chunk : Buffer.concat([pending, chunk]))
  })
  // A client that gives up on a hanging answer resets its socket; that is expected here.
  socket.on('error', () => {})
})

process.on('message', (message) => {
  if (message.count === true) process.send({ id: message.id, ...state() })
  else {
    waiters.push(message)
    answerWaiters()
  }
})
// The parent going away (even killed) must not leave a receiver behind.
process.on('disconnect', () => process.exit(0))

// A deep accept backlog: the baseline opens one connection per event in a burst.
server.listen({ port: 0, host: '127.0.0.1', backlog: 65_535 }, () => process.send({ port: server.address().port }))
