'use strict'
// cyrus-telemetry/testing: a real loopback collector for test suites, in place of a fetch spy.
// It listens on 127.0.0.1 (port 0), records each event with its headers, checks the wire format,
// answers as scripted (statuses, Retry-After, hangs, resets, redirects) and closes cleanly.

const { startRecordingCollector } = require('./collector.cjs')
const { startCountingCollector } = require('./counter.cjs')
const { respond, hang, stallBody, reset, redirect, after } = require('./answers.cjs')
const net = require('node:net')
const { ERROR_TYPES, bodyProblems } = require('./wire.cjs')
const { listen } = require('./server.cjs')

const DEFAULT_PATH = '/cb'

function checkOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('startCollector(options?): options must be an object')
  const { answers = [respond(200)], path = DEFAULT_PATH } = options
  if (!(typeof answers === 'function' || (Array.isArray(answers) && answers.length > 0))) {
    throw new TypeError('answers must be a non-empty array of answers or a function (request) => answer')
  }
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`)
  return { answers, path }
}

/** Starts a recording collector; see testing/index.d.ts. */
async function startCollector(options = {}) {
  const { answers, path } = checkOptions(options)
  return startRecordingCollector({
    answers,
    path,
    token: options.token,
    teamId: options.teamId,
    strict: options.strict === true,
    record: options.record !== false,
    tls: options.tls,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5000,
  })
}

/** Starts a counting collector (load tests); see testing/index.d.ts. */
async function startCounter(options = {}) {
  const { answers, path } = checkOptions(options)
  return startCountingCollector({ answers, path, countEvents: options.countEvents, backlog: options.backlog })
}

/** A loopback port nothing listens on: bound, then released. */
async function refusedPort() {
  const server = net.createServer()
  const { port } = await listen(server)
  await new Promise((resolve) => server.close(() => resolve()))
  return port
}

module.exports = {
  startCollector,
  startCounter,
  respond,
  hang,
  stallBody,
  reset,
  redirect,
  after,
  refusedPort,
  ERROR_TYPES,
  /** What is wrong with one event body (README: "The event"), as messages; empty when it is valid. */
  eventProblems: (body, options) => bodyProblems(body, options).map((problem) => problem.message),
}
