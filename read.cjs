'use strict'
// The one place that reads the caller's JavaScript values. Each property is read once, in its
// own guard: a getter or Proxy trap that throws reads as absent, and nothing the input throws
// reaches the caller. Arrays are read by index up to their cap, never walked whole; strings are
// cut to what the addon can use, in a way that never changes the outcome. What is read goes to
// the addon as plain values (strings, numbers, booleans, arrays of strings), and the addon's
// rules decide what it means: which id wins, what is an error, which header values agree, what
// an option may be.
//
// The limits, names and flags come from the addon (`__readingRules()`, src/binding/rules.rs),
// read once here.

const rules = require('./load.cjs').__readingRules()

const { textUnits, idUnits, errorEntries, hostPatterns, headerKeys, headerValues, flags } = rules
const { contextKeys, headerNames } = rules
/** The three header names, ASCII case-insensitive (a regular expression without `u` never folds
 * a non-ASCII character into an ASCII one, as the addon's comparison does not). */
const headerName = new RegExp(`^(?:${headerNames.join('|')})$`, 'i')

/** An argument not given (the addon reads undefined as absent). */
const none = undefined

const isObject = (value) => value !== null && typeof value === 'object'

/**
 * `text` cut to `units` UTF-16 units, or one more so that a surrogate pair stays whole: a lone
 * half would reach the addon as U+FFFD where the whole text has another character.
 */
function cut(text, units) {
  if (text.length <= units) return text
  const last = text.charCodeAt(units - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? units + 1 : units)
}

/** A text the classifier or the message reads (`subtype`, `result`, an error), else none. */
const textOf = (value) => (typeof value === 'string' ? cut(value, textUnits) : none)
/** An id (`sessionId`, `issueId`, `issueIdentifier`), else none. */
const idOf = (value) => (typeof value === 'string' ? cut(value, idUnits) : none)

/** The length of an array (a Proxy of one included), else undefined; read once, guarded. */
function arrayLength(value) {
  try {
    if (!Array.isArray(value)) return undefined
    const length = value.length
    return typeof length === 'number' ? length : undefined
  } catch {
    return undefined
  }
}

/**
 * `array[0 … count)`, read by index: the entries `keep` accepts (`keep` returns the value to
 * keep, undefined to skip the entry, or `false` to refuse the whole array, which gives `false`).
 * An entry whose read throws is skipped.
 */
function readEntries(array, count, keep) {
  const kept = []
  for (let index = 0; index < count; index++) {
    let entry
    try {
      entry = array[index]
    } catch {
      continue
    }
    const value = keep(entry)
    if (value === false) return false
    if (value !== undefined) kept.push(value)
  }
  return kept
}

// ---------------------------------------------------------------------------------------------
// reportSessionError and classifySessionError (README, "API"). Runs for every completed session:
// the reads are written out one by one so that each stays a plain, monomorphic property load.

/** `options.stopRequested === true` as a flag, for report and classify options alike. */
function stopFlag(options) {
  let stopRequested
  try {
    stopRequested = options.stopRequested
  } catch {}
  return stopRequested === true ? flags.stopRequested : 0
}

/** The fields of an SDK result message the classifier reads. */
function readResult(result) {
  let subtype, isError, text, errors
  try {
    subtype = result.subtype
  } catch {}
  try {
    isError = result.is_error
  } catch {}
  try {
    text = result.result
  } catch {}
  try {
    errors = result.errors
  } catch {}
  const length = arrayLength(errors)
  const strings = length === undefined ? undefined : readEntries(errors, Math.min(length, errorEntries), textOf)
  return {
    subtype: textOf(subtype),
    result: textOf(text),
    // No entries and no array mean the same to the addon; no array is cheaper to hand over.
    errors: strings && strings.length > 0 ? strings : undefined,
    flags: isError === true ? flags.isError : 0,
  }
}

/** Reads a report and hands it to `reporter.__report`; returns the packed outcome. */
function report(reporter, session, result, options) {
  let optionsFlags = 0
  let optionsSessionId
  if (isObject(options)) {
    optionsFlags = stopFlag(options)
    try {
      optionsSessionId = idOf(options.sessionId)
    } catch {}
  }
  if (!isObject(session)) return reporter.__report(none, none, none, none, none, none, none, none, optionsFlags | flags.sessionNotAnObject)
  if (!isObject(result)) return reporter.__report(none, none, none, none, none, none, none, none, optionsFlags | flags.resultNotAnObject)
  let id, createdAt, issueContext, issueId, issueIdentifier
  try {
    id = session.id
  } catch {}
  try {
    createdAt = session.createdAt
  } catch {}
  try {
    issueContext = session.issueContext
  } catch {}
  if (isObject(issueContext)) {
    try {
      issueId = idOf(issueContext.issueId)
    } catch {}
    try {
      issueIdentifier = idOf(issueContext.issueIdentifier)
    } catch {}
  }
  // The deprecated fallbacks, read only when `issueContext` does not give the value.
  if (issueId === undefined) {
    try {
      issueId = idOf(session.issueId)
    } catch {}
  }
  if (issueIdentifier === undefined) {
    let issue
    try {
      issue = session.issue
    } catch {}
    if (isObject(issue)) {
      try {
        issueIdentifier = idOf(issue.identifier)
      } catch {}
    }
  }
  const fields = readResult(result)
  return reporter.__report(
    optionsSessionId,
    idOf(id),
    typeof createdAt === 'number' ? createdAt : none,
    issueId,
    issueIdentifier,
    fields.subtype,
    fields.result,
    fields.errors,
    optionsFlags | fields.flags,
  )
}

/** Reads a result to classify and hands it to `reporter.__classify`. */
function classify(reporter, result, options) {
  const optionsFlags = isObject(options) ? stopFlag(options) : 0
  if (!isObject(result)) return reporter.__classify(none, none, none, optionsFlags | flags.resultNotAnObject)
  const fields = readResult(result)
  return reporter.__classify(fields.subtype, fields.result, fields.errors, optionsFlags | fields.flags)
}

// ---------------------------------------------------------------------------------------------
// setCallbackContext and extractCallbackContext (README, "API")

const headerText = (entry) => (typeof entry === 'string' ? entry : false)

/**
 * One header's value as Node and Fastify deliver it: its texts (`string | string[]`), or the
 * code of why it is unusable, or undefined when it is absent.
 */
function headerValue(headers, key) {
  let value
  try {
    value = headers[key]
  } catch {
    return 'unreadable'
  }
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return [value]
  const length = arrayLength(value)
  if (length === undefined) return 'notAString'
  if (length > headerValues) return 'tooManyValues'
  return readEntries(value, length, headerText) || 'notAString'
}

/**
 * A headers object (own enumerable string keys; the three header names in any case) or an
 * explicit `{ callbackToken, callbackUrl, teamId }` (one of those keys and no header name), as
 * the arguments of `__setCallbackContext`: the header names, what each was read as, and why
 * the object itself could not be read.
 */
function readHeaders(headers) {
  const names = []
  const readings = []
  if (!isObject(headers)) return [names, readings, none]
  let keys
  try {
    keys = Object.keys(headers)
  } catch {
    return [names, readings, 'unreadable']
  }
  if (keys.length > headerKeys) return [names, readings, 'tooManyKeys']
  const headerKeysFound = keys.filter((key) => headerName.test(key))
  const explicit = headerKeysFound.length === 0 && keys.some((key) => contextKeys.includes(key))
  const read = (name, key) => {
    const reading = headerValue(headers, key)
    if (reading === undefined) return
    names.push(name)
    readings.push(reading)
  }
  if (explicit) contextKeys.forEach((key, index) => read(headerNames[index], key))
  else headerKeysFound.forEach((key) => read(key, key))
  return [names, readings, none]
}

// ---------------------------------------------------------------------------------------------
// Options (README, "Behaviour"), by the addon's option table: each option's JavaScript type is
// checked here, its range and meaning there.

const hostPattern = (entry) => (typeof entry === 'string' ? entry : false)

/**
 * The logger in one `(level, message)` function, which the addon calls on this thread: it calls
 * a function logger, or the ILogger's method for the level (looked up at each line, with the
 * logger as `this`), and swallows what either throws — an exception thrown from the addon's
 * callback would otherwise be uncaught and end the process.
 */
function safeLogger(logger) {
  if (typeof logger === 'function') {
    return (level, message) => {
      try {
        logger(level, message)
      } catch {}
    }
  }
  return (level, message) => {
    try {
      const log = logger[level]
      if (typeof log === 'function') log.call(logger, message)
    } catch {}
  }
}

/** A function, or an object with at least one of the ILogger methods. */
function isLogger(value) {
  if (typeof value === 'function') return true
  if (!isObject(value)) return false
  return ['debug', 'info', 'warn', 'error'].some((level) => {
    try {
      return typeof value[level] === 'function'
    } catch {
      return false
    }
  })
}

/** What a cyrus ILogger's `getLevel()` answers now (a number), if it has one. */
function loggerLevel(logger) {
  try {
    const getLevel = logger.getLevel
    if (typeof getLevel !== 'function') return none
    const level = getLevel.call(logger)
    return typeof level === 'number' ? level : none
  } catch {
    return none
  }
}

/**
 * An options object as the arguments of the addon's constructor and `__configure`: the names
 * and values given (each of its option's JavaScript type), the first option (or `options`
 * itself) whose value is of the wrong type, and the logger wrapped with its `getLevel()`.
 */
function readOptions(options) {
  const names = []
  const values = []
  let logger, level
  const wrongType = (name) => [[], [], name, none, none]
  if (options === undefined || options === null) return [names, values, none, none, none]
  if (!isObject(options)) return wrongType('options')
  for (const [name, type] of rules.options) {
    let value
    try {
      value = options[name]
    } catch {
      continue
    }
    if (value === undefined || value === null) continue
    if (type === 'logger') {
      if (!isLogger(value)) return wrongType(name)
      logger = safeLogger(value)
      level = loggerLevel(value)
      continue
    }
    if (type === 'string[]') {
      const length = arrayLength(value)
      value = length === undefined ? false : readEntries(value, Math.min(length, hostPatterns), hostPattern)
      if (value === false) return wrongType(name)
    } else if (typeof value !== type) {
      return wrongType(name)
    }
    names.push(name)
    values.push(value)
  }
  return [names, values, none, logger, level]
}

/** A flush/shutdown timeout: a number, else none (the addon's default). */
const readTimeout = (timeoutMs) => (typeof timeoutMs === 'number' ? timeoutMs : none)

module.exports = { report, classify, readHeaders, readOptions, readTimeout, outcomeSeparator: rules.outcomeSeparator }
