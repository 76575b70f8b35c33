// `cyrus-telemetry classify [file]`: the classifier over a maintainer's own session logs. Reads
// Claude Code `--output-format stream-json` output (one JSON message per line; the `result`
// messages are classified, the others skipped), `--output-format json` results (one per line),
// or a JSON array of results, from a file or stdin; prints each result's type, detail and
// scrubbed message, and a summary by type.
import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { loadAddon } from './addon.mjs'
import { Failure, UsageError } from './errors.mjs'
import { printTable } from './table.mjs'

export const usage = `usage: cyrus-telemetry classify [file] [--json]

Classifies the result messages of agent sessions as the edge worker would report them.
  file     Claude Code --output-format stream-json output, or --output-format json results,
           one JSON object per line (or one JSON array); default: stdin
  --json   one JSON object on stdout: { results: [...], summary: {...} }
Each result gets its line number, error type and detail, resets_at and the scrubbed message;
successes are listed as "not an error"; lines that are not JSON (a log cut short) are skipped
and named. Exit 0 once the input was read (errors found or not), 1 if the file cannot be read
or holds no result message, 2 for a wrong command line.`

export const options = { json: { type: 'boolean', default: false } }

/** A result message: `type: "result"` (stream-json), or a bare result object with a `subtype`. */
const isResult = (value) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) &&
  (value.type === 'result' || (value.type === undefined && typeof value.subtype === 'string'))

function parse(text) {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** `{ line, message }` for every JSON value in the input: a whole-input array, or one per line. */
async function* messages(input, name) {
  const lines = createInterface({ input, crlfDelay: Infinity })
  let first = null
  let lineNumber = 0
  const buffered = []
  try {
    for await (const line of lines) {
      lineNumber++
      if (first === null && line.trim() !== '') first = line.trim()
      // A JSON array (or a pretty-printed object) spans lines: keep them until the input ends.
      if (first !== null && (first.startsWith('[') || first === '{')) {
        buffered.push(line)
        continue
      }
      if (line.trim() === '') continue
      const parsed = parse(line)
      yield { line: lineNumber, parsed }
    }
  } catch (error) {
    throw new Failure(`cannot read ${name}: ${error.message}`)
  }
  if (buffered.length === 0) return
  const whole = parse(buffered.join('\n'))
  if (!whole.ok) throw new Failure(`${name} starts like a JSON ${first.startsWith('[') ? 'array' : 'object'} but is not valid JSON`)
  const values = Array.isArray(whole.value) ? whole.value : [whole.value]
  for (const [index, value] of values.entries()) yield { line: index + 1, parsed: { ok: true, value } }
}

function openInput(file, stdin) {
  if (file === undefined || file === '-') {
    if (stdin.isTTY) throw new UsageError('no file given and stdin is a terminal: pipe a log in (… | cyrus-telemetry classify) or name a file')
    return { input: stdin, name: 'stdin' }
  }
  let stat
  try {
    stat = statSync(file)
  } catch (error) {
    throw new Failure(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)
  }
  if (stat.isDirectory()) throw new Failure(`${file} is a folder: give the log file itself (Claude Code --output-format stream-json output)`)
  const input = createReadStream(file)
  return { input, name: file }
}

/** `lines 3, 8, 9`, at most `max` numbers. */
function lineList(numbers, max = 5) {
  const shown = numbers.slice(0, max).join(', ')
  return `line${numbers.length === 1 ? '' : 's'} ${shown}${numbers.length > max ? ', …' : ''}`
}

export async function run({ values, positionals }) {
  const out = (line) => console.log(line)
  const stdin = process.stdin
  if (positionals.length > 1) throw new UsageError(`classify takes one file, got ${positionals.length}`)
  // Before the input is opened: a file stream's 'open' event must find its listener below.
  const { classifySessionError } = await loadAddon()
  const { input, name } = openInput(positionals[0], stdin)
  // A missing file is an error event on the stream: surface it as a failure that names it.
  const opened = new Promise((resolve, reject) => {
    if (input === stdin) return resolve()
    input.once('open', resolve)
    input.once('error', (error) => reject(new Failure(`cannot read ${name}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)))
  })
  await opened

  const results = []
  let skipped = 0
  const notJsonLines = []
  for await (const { line, parsed } of messages(input, name)) {
    if (!parsed.ok) {
      notJsonLines.push(line)
      continue
    }
    if (!isResult(parsed.value)) {
      skipped++
      continue
    }
    const classification = classifySessionError(parsed.value)
    results.push(classification ? { line, ...classification } : { line, errorType: null })
  }
  const notJson = notJsonLines.length
  if (results.length === 0) {
    throw new Failure(
      `no result message in ${name} (${skipped} other message(s), ${notJson} line(s) not JSON${notJson ? `: ${lineList(notJsonLines)}` : ''}): ` +
        'expected Claude Code --output-format stream-json output (lines with "type":"result") or JSON result objects',
    )
  }

  const byType = {}
  for (const result of results) {
    const key = result.errorType ?? 'not_an_error'
    byType[key] = (byType[key] ?? 0) + 1
  }
  const summary = { results: results.length, byType, otherMessages: skipped, notJson, notJsonLines: notJsonLines.slice(0, 100) }
  if (values.json) {
    out(JSON.stringify({ results, summary }, null, 2))
    return
  }
  printTable(
    results.map((result) => ({
      line: String(result.line),
      type: result.errorType ?? 'not an error',
      detail: result.errorDetail ?? '',
      resets: result.resetsAt ?? '',
      message: result.errorMessage ?? '',
    })),
    [['line', 'line'], ['type', 'error_type'], ['detail', 'error_detail'], ['resets', 'resets_at'], ['message', 'error_message (scrubbed)']],
    { maxWidth: 80, indent: '' },
  )
  out('')
  out(`${results.length} result(s): ${Object.entries(byType).map(([type, count]) => `${type} ${count}`).join(', ')}`)
  if (skipped || notJson) out(`skipped: ${skipped} other message(s), ${notJson} line(s) not JSON${notJson ? ` (${lineList(notJsonLines)})` : ''}`)
}
