'use strict'
// The package entry: the generated loader (index.js) with a fast path for reportSessionError.
//
// reportSessionError runs on the JS thread for every completed session. Reading the few fields
// the SPEC names here, in JavaScript, and handing plain values to the addon is several times
// cheaper than reading them one by one through N-API, and so is unpacking one string instead
// of building the outcome object property by property (BENCHMARKS.md). Classification,
// scrubbing, queueing and delivery all stay in Rust. Input this cannot read plainly (a getter
// that throws, a Proxy that refuses) goes through the native path, which reads it defensively.

const binding = require('./load.cjs') // index.js, with one clear error when no binary fits

const SEPARATOR = '\t'

const text = (value) => (typeof value === 'string' ? value : undefined)

/** The string entries of `errors` (the array itself when it holds only strings). */
function stringErrors(errors) {
  if (!Array.isArray(errors)) return undefined
  for (let index = 0; index < errors.length; index++) {
    if (typeof errors[index] !== 'string') return errors.filter((entry) => typeof entry === 'string')
  }
  return errors
}

/** `outcome⇥eventId⇥errorType⇥errorDetail⇥reason` → the outcome object, empty fields omitted. */
function unpack(packed) {
  const fields = packed.split(SEPARATOR)
  const outcome = { outcome: fields[0] }
  if (fields[1]) outcome.eventId = fields[1]
  if (fields[2]) outcome.errorType = fields[2]
  if (fields[3]) outcome.errorDetail = fields[3]
  if (fields.length > 4 && fields[4]) outcome.reason = fields.slice(4).join(SEPARATOR)
  return outcome
}

/**
 * Reads what the native path reads, with the same rules: strings only, `is_error === true`,
 * `options.sessionId ?? session.id`, `issueContext` first, then the deprecated fallbacks.
 */
function reportFast(target, reportFields, nativeReport, session, result, options) {
  if (session === null || typeof session !== 'object' || result === null || typeof result !== 'object') {
    return nativeReport.call(target, session, result, options)
  }
  let packed
  try {
    const hasOptions = options !== null && typeof options === 'object'
    const context = session.issueContext
    const issueContext = context !== null && typeof context === 'object' ? context : undefined
    let issueIdentifier = issueContext && text(issueContext.issueIdentifier)
    if (issueIdentifier === undefined) {
      const issue = session.issue
      issueIdentifier = issue !== null && typeof issue === 'object' ? text(issue.identifier) : undefined
    }
    const createdAt = session.createdAt
    packed = reportFields.call(
      target,
      (hasOptions && text(options.sessionId)) || text(session.id),
      typeof createdAt === 'number' ? createdAt : undefined,
      (issueContext && text(issueContext.issueId)) ?? text(session.issueId),
      issueIdentifier,
      text(result.subtype),
      result.is_error === true,
      text(result.result),
      stringErrors(result.errors),
      hasOptions && options.stopRequested === true,
    )
  } catch {
    return nativeReport.call(target, session, result, options)
  }
  return unpack(packed)
}

const nativeMethod = binding.TelemetryReporter.prototype.reportSessionError
const methodFields = binding.TelemetryReporter.prototype.__reportFields

/**
 * The native class with the fast path. A JS class also makes calling it without `new` the
 * language's own TypeError (the native constructor would throw a plain Error).
 */
class TelemetryReporter extends binding.TelemetryReporter {
  reportSessionError(session, result, options) {
    return reportFast(this, methodFields, nativeMethod, session, result, options)
  }
}

// The module-level API: one reporter per JavaScript environment (SPEC: the main thread and each
// worker thread have their own). Node loads this file once per environment, so this variable
// is that environment's reporter; it is created at first use and replaced by `configure()`
// after `shutdown()`.
let moduleReporter
let moduleShutDown = false
const moduleReporterNow = () => (moduleReporter ??= new binding.TelemetryReporter())

module.exports = {
  ...binding,
  TelemetryReporter,
  configure(options) {
    if (moduleReporter === undefined) {
      moduleReporter = new binding.TelemetryReporter(options)
    } else if (moduleShutDown) {
      moduleReporter = moduleReporter.__successor(options)
      moduleShutDown = false
    } else {
      moduleReporter.__configure(options)
    }
  },
  setCallbackContext: (headersOrContext) => moduleReporterNow().setCallbackContext(headersOrContext),
  classifySessionError: (result, options) => moduleReporterNow().classifySessionError(result, options),
  reportSessionError: (session, result, options) =>
    reportFast(moduleReporterNow(), methodFields, nativeMethod, session, result, options),
  flush: (timeoutMs) => moduleReporterNow().flush(timeoutMs),
  shutdown(timeoutMs) {
    const reporter = moduleReporterNow()
    moduleShutDown = true
    return reporter.shutdown(timeoutMs)
  },
  stats: () => moduleReporterNow().stats(),
}
