'use strict'
// How a collector answers one request, and playing that answer on a node:http response.

const respond = (status = 200, headers = undefined, body = undefined) => ({ kind: 'respond', status, headers, body })
/** Reads the request, then never answers (the socket stays open until `close()`). */
const hang = () => ({ kind: 'hang' })
/** Sends the status line and headers, then never the body. */
const stallBody = (status = 200) => ({ kind: 'stallBody', status })
/** Reads the request, then resets the connection (TCP RST where the socket allows it). */
const reset = () => ({ kind: 'reset' })
const redirect = (status, location) => ({ kind: 'redirect', status, location })
/** Reads the request, then gives `answer` (default 200) once `until` settles: a gate a test opens. */
const after = (until, answer = respond(200)) => ({ kind: 'after', until, answer })

const KINDS = new Set(['respond', 'hang', 'stallBody', 'reset', 'redirect', 'after'])

/** The answer for request `request` from a list (its last entry repeats) or a function. */
function answerFor(answers, request) {
  const answer = typeof answers === 'function' ? answers(request) : answers[Math.min(request.index, answers.length - 1)]
  const chosen = answer ?? respond(200)
  if (chosen === null || typeof chosen !== 'object' || !KINDS.has(chosen.kind)) {
    throw new TypeError(`a collector answer must come from respond(), hang(), stallBody(), reset(), redirect() or after(); got ${JSON.stringify(chosen)}`)
  }
  return chosen
}

/** The status the client sees, or undefined when it gets none. */
const statusOf = (answer) =>
  answer.kind === 'after' ? statusOf(answer.answer) : answer.kind === 'hang' || answer.kind === 'reset' ? undefined : answer.status

function play(answer, res) {
  switch (answer.kind) {
    case 'after': {
      const answerNow = () => play(answer.answer, res)
      Promise.resolve(answer.until).then(answerNow, answerNow)
      return
    }
    case 'respond':
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      res.end(answer.body ?? '{}')
      return
    case 'hang':
      return
    case 'stallBody':
      // flushHeaders sends the head now; the body never follows.
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': '1000' })
      res.flushHeaders()
      return
    case 'reset': {
      const socket = res.socket
      try {
        socket.resetAndDestroy()
      } catch {
        socket.destroy() // a TLS socket has no TCP handle of its own to reset
      }
      return
    }
    case 'redirect':
      res.writeHead(answer.status, { location: answer.location })
      res.end()
      return
  }
}

module.exports = { respond, hang, stallBody, reset, redirect, after, answerFor, statusOf, play }
