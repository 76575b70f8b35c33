'use strict'
// The recording collector: a node:http (or https) server on 127.0.0.1 that reads each request
// whole, checks it against the wire format, records it, and answers as scripted.

const { createHash } = require('node:crypto')
const http = require('node:http')
const https = require('node:https')
const { answerFor, play, statusOf } = require('./answers.cjs')
const { requestProblems } = require('./wire.cjs')
const { HOST, listen, trackSockets, waiters } = require('./server.cjs')

const REUSED = { status: 409, message: 'event_id reused with a different body (a retry must resend the same bytes)' }

function parseJson(text) {
  try {
    return { parsed: true, body: JSON.parse(text) }
  } catch {
    return { parsed: false, body: undefined }
  }
}

const digest = (text) => createHash('sha256').update(text).digest('base64')

async function startRecordingCollector(options) {
  const { answers, path, teamId, strict, record, tls } = options
  let token = options.token
  /** Indexed by arrival order; a slot is filled once its body has been read. */
  const slots = []
  let arrivals = 0
  /** event_id → digest of the first body seen with it. */
  const firstBodies = new Map()
  /** event_id → the accepted event (first 2xx answer to a valid request). */
  const accepted = new Map()
  const problems = []
  const counts = { requests: 0, events: 0 }
  const wait = waiters()

  const handler = (req, res) => {
    const at = performance.now()
    const index = arrivals++
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const url = req.url ?? ''
      const { parsed, body } = parseJson(rawBody)
      const request = {
        index,
        method: req.method ?? '',
        url,
        path: new URL(url, 'http://collector').pathname,
        headers: req.headers,
        rawBody,
        body,
        at,
        problems: [],
        status: undefined,
      }
      const found = requestProblems(
        { method: request.method, pathname: request.path, headers: req.headers, body, parsed },
        { path, token, teamId },
      )
      const eventId = found.length === 0 ? body.event_id : undefined
      if (eventId !== undefined) {
        const first = firstBodies.get(eventId)
        if (first === undefined) firstBodies.set(eventId, digest(rawBody))
        else if (first !== digest(rawBody)) found.push(REUSED)
      }
      request.problems = found.map((problem) => problem.message)
      for (const message of request.problems) problems.push({ index, message })

      const answer = strict && found.length > 0 ? refusal(found[0]) : answerFor(answers, request)
      request.status = statusOf(answer)
      if (found.length === 0 && request.status >= 200 && request.status < 300 && !accepted.has(eventId)) {
        accepted.set(eventId, body)
        counts.events++
      }
      counts.requests++
      if (record) slots[index] = request
      wait.check()
      play(answer, res)
    })
  }

  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler)
  // Hung answers are the client's to end; Node's own request timeout stays out of the way.
  server.requestTimeout = 0
  server.keepAliveTimeout = options.keepAliveTimeoutMs
  const sockets = trackSockets(server)
  const { port } = await listen(server)

  const requests = () => slots.filter((request) => request !== undefined)
  const describe = () =>
    `${counts.requests} request(s), ${counts.events} event(s)` +
    (problems.length ? `; problems: ${problems.slice(0, 5).map((entry) => `#${entry.index} ${entry.message}`).join('; ')}` : '')

  return {
    url: `${tls ? 'https' : 'http'}://${HOST}:${port}${path}`,
    port,
    get requests() {
      return requests()
    },
    get events() {
      return [...accepted.values()]
    },
    get problems() {
      return problems
    },
    stats: () => ({ requests: counts.requests, events: counts.events, problems: problems.length, openSockets: sockets.size }),
    setToken(next) {
      token = next
    },
    assertValid() {
      if (problems.length > 0) throw new Error(`the collector saw wire-format problems: ${describe()}`)
    },
    waitForRequests: (count, timeoutMs = 5000) => wait.count('request', count, () => counts.requests, timeoutMs, requests, describe),
    waitForEvents: (count, timeoutMs = 5000) => wait.count('event', count, () => counts.events, timeoutMs, () => [...accepted.values()], describe),
    close: () => wait.close(() => sockets.closeAll(server)),
  }
}

/** What a strict collector answers to a request with a problem: the first one, as JSON. */
const refusal = (problem) => ({ kind: 'respond', status: problem.status, body: JSON.stringify({ error: problem.message }) })

module.exports = { startRecordingCollector }
