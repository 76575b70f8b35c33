'use strict'
// The counting collector, for load: it speaks just enough HTTP/1.1 over node:net (request head,
// Content-Length or chunked body, keep-alive, pipelining) to cost a few µs per request. node:http
// spends ~30-50 µs per request, which on two cores would make the receiver, not the client under
// test, the limit of a throughput figure. It records nothing and checks nothing: it counts
// requests once their body has fully arrived, and events with `countEvents(head, body)` (1 per
// request by default; a batching client's plug-in can say more).

const net = require('node:net')
const { HOST, listen, trackSockets, waiters } = require('./server.cjs')

const HEAD_END = Buffer.from('\r\n\r\n')
const CRLF = Buffer.from('\r\n')
const CONTENT_LENGTH = /^content-length:\s*(\d+)\s*$/im
const CHUNKED = /^transfer-encoding:\s*chunked\s*$/im
const REASONS = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content' }

/** The one answer a counting collector gives, as bytes; `null` for `hang()`. */
function answerBytes(answer) {
  if (answer.kind === 'hang') return null
  if (answer.kind !== 'respond' || answer.headers !== undefined) {
    throw new TypeError('a counting collector answers with one respond(status[, undefined, body]) or hang()')
  }
  const body = Buffer.from(answer.body ?? '{}')
  const head = `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? 'Status'}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
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

async function startCountingCollector({ answers, path, countEvents = () => 1, backlog }) {
  if (typeof answers === 'function' || answers.length !== 1) {
    throw new TypeError('a counting collector takes exactly one answer: answers: [respond(200)] or [hang()]')
  }
  const reply = answerBytes(answers[0])
  const counts = { requests: 0, events: 0, lastAt: 0 }
  const wait = waiters()

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
      counts.events += countEvents(head, request.body)
      counts.requests++
      buffer = buffer.subarray(request.end)
      replies++
    }
    if (replies > 0) {
      counts.lastAt = performance.now()
      wait.check()
      if (reply) socket.write(replies === 1 ? reply : Buffer.concat(Array(replies).fill(reply)))
    }
    return buffer
  }

  const server = net.createServer({ noDelay: true }, (socket) => {
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      pending = consumeRequests(socket, pending.length === 0 ? chunk : Buffer.concat([pending, chunk]))
    })
  })
  const sockets = trackSockets(server)
  const { port } = await listen(server, backlog)
  const describe = () => `${counts.requests} request(s), ${counts.events} event(s)`
  const stats = () => ({ requests: counts.requests, events: counts.events, openSockets: sockets.size, lastAt: counts.lastAt })

  return {
    url: `http://${HOST}:${port}${path}`,
    port,
    /** `lastAt`: `performance.now()` when the last counted request arrived. */
    stats,
    waitForRequests: (count, timeoutMs = 5000) => wait.count('request', count, () => counts.requests, timeoutMs, stats, describe),
    waitForEvents: (count, timeoutMs = 5000) => wait.count('event', count, () => counts.events, timeoutMs, stats, describe),
    close: () => wait.close(() => sockets.closeAll(server)),
  }
}

module.exports = { startCountingCollector }
