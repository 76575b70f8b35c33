'use strict'
// The package entry: the `TelemetryReporter` class and the module-level functions, over the
// generated loader (index.js, through load.cjs).
//
// The addon takes plain values only; read.cjs is the one place that reads the caller's values
// (each property once, bounded, never throwing) and hands them over. This file gives those
// internal, `__`-named methods of the native class their public names and shapes (declared in
// index.d.ts, from src/binding/header.d.ts), and unpacks the outcome of reportSessionError,
// which comes back as one string: far cheaper through N-API than an object built property by
// property (BENCHMARKS.md).

const binding = require('./load.cjs') // index.js, with one clear error when no binary fits
const { report, classify, readHeaders, readOptions, readTimeout, outcomeSeparator } = require('./read.cjs')

const NativeReporter = binding.TelemetryReporter

/** `outcome⇥eventId⇥errorType⇥errorDetail⇥reason` → the outcome object, empty fields omitted. */
function unpackOutcome(packed) {
  const fields = packed.split(outcomeSeparator)
  const outcome = { outcome: fields[0] }
  if (fields[1]) outcome.eventId = fields[1]
  if (fields[2]) outcome.errorType = fields[2]
  if (fields[3]) outcome.errorDetail = fields[3]
  if (fields.length > 4 && fields[4]) outcome.reason = fields.slice(4).join(outcomeSeparator)
  return outcome
}

/**
 * The reporter callers construct. Being a JS class also makes calling it without `new` the
 * language's own TypeError (the native constructor would throw a plain Error).
 */
class TelemetryReporter extends NativeReporter {
  constructor(options) {
    super(...readOptions(options))
  }

  setCallbackContext(headersOrContext) {
    return this.__setCallbackContext(...readHeaders(headersOrContext))
  }

  reportSessionError(session, result, options) {
    return unpackOutcome(report(this, session, result, options))
  }

  classifySessionError(result, options) {
    return classify(this, result, options)
  }

  flush(timeoutMs) {
    return this.__flush(readTimeout(timeoutMs))
  }

  shutdown(timeoutMs) {
    return this.__shutdown(readTimeout(timeoutMs))
  }
}

// The module-level API: one reporter per JavaScript environment (the main thread and each
// worker thread have their own). Node loads this file once per environment, so this variable
// is that environment's reporter; it is created at first use and replaced by `configure()`
// after `shutdown()`.
let moduleReporter
let moduleShutDown = false
const moduleReporterNow = () => (moduleReporter ??= new TelemetryReporter())

function configure(options) {
  if (moduleReporter === undefined) {
    moduleReporter = new TelemetryReporter(options)
  } else if (moduleShutDown) {
    // A fresh reporter that starts from the options of the one shut down.
    moduleReporter = Reflect.construct(NativeReporter, [...readOptions(options), moduleReporter], TelemetryReporter)
    moduleShutDown = false
  } else {
    moduleReporter.__configure(...readOptions(options))
  }
}

module.exports = {
  TelemetryReporter,
  configure,
  setCallbackContext: (headersOrContext) => moduleReporterNow().setCallbackContext(headersOrContext),
  extractCallbackContext: (headers) => binding.__extractCallbackContext(...readHeaders(headers)),
  classifySessionError: (result, options) => moduleReporterNow().classifySessionError(result, options),
  reportSessionError: (session, result, options) => moduleReporterNow().reportSessionError(session, result, options),
  flush: (timeoutMs) => moduleReporterNow().flush(timeoutMs),
  shutdown(timeoutMs) {
    const reporter = moduleReporterNow()
    moduleShutDown = true
    return reporter.shutdown(timeoutMs)
  },
  stats: () => moduleReporterNow().stats(),
  __napiBindingTarget: binding.__napiBindingTarget,
}
