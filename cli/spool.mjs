// `cyrus-telemetry spool [dir]`: the events waiting in a spool folder, read without sending,
// changing or locking anything. The folder is read with the spool's own rules (src/spool/): only
// names of the form `<event_id>.event.json` (a lower-case hyphenated UUID) are opened, each only
// if it is a regular file and never through a symbolic link, and only records of format 1 count.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Failure, UsageError } from './errors.mjs'
import { printTable } from './table.mjs'

export const usage = `usage: cyrus-telemetry spool [dir] [--json]

Lists the events waiting in a spool folder (the reporter's spoolDir): id, age, error type and
detail, session and size, oldest first. Nothing is sent, changed or locked; a running edge
worker can keep using the folder. A dir that is a link is followed, as the reporter follows it;
nothing inside the folder is.
  dir      the spool folder (default: ~/.cyrus/telemetry-spool)
  --json   one JSON object on stdout: { dir, resolved, events: [...], skipped: {...} }
Exit 0 when the folder was read (empty or not), 1 when it cannot be read or is not a spool
folder, 2 for a wrong command line.`

export const options = { json: { type: 'boolean', default: false } }

// The spool's names and record format (src/spool/names.rs, src/spool/store.rs).
const EVENT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.event\.json$/
const TEMPORARY_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.event\.json\.tmp$/
const OWN_FILES = new Set(['.lock', '.probe.tmp'])
const FORMAT_VERSION = 1
/** Far above the largest record the spool writes (a few KB); a bigger file is not a record. */
const READ_LIMIT = 1024 * 1024
// O_NOFOLLOW refuses a link at the last component; O_NONBLOCK keeps a FIFO from blocking the open.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/** The bytes of a regular file of at most READ_LIMIT bytes, or the reason it is not read. */
function readRegularFile(path) {
  let fd
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (error) {
    return { reason: error.code === 'ELOOP' ? 'symbolic link' : `cannot open (${error.code ?? error.message})` }
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) return { reason: 'not a regular file' }
    if (stat.size > READ_LIMIT) return { reason: 'too large for a record' }
    const bytes = Buffer.alloc(stat.size)
    let read = 0
    while (read < bytes.length) {
      const got = readSync(fd, bytes, read, bytes.length - read, read)
      if (got === 0) break
      read += got
    }
    return { bytes: bytes.subarray(0, read) }
  } finally {
    closeSync(fd)
  }
}

/** A spool record's event, or the reason the file is not one. */
function recordOf(bytes, id) {
  let record
  try {
    record = JSON.parse(bytes.toString('utf8'))
  } catch {
    return { reason: 'not JSON' }
  }
  if (record?.cyrus_telemetry_spool !== FORMAT_VERSION) return { reason: `not a format-${FORMAT_VERSION} spool record` }
  if (typeof record.reported_at_ms !== 'number' || record.event?.event_id !== id) return { reason: 'not a spool record of this event' }
  return { record }
}

/** `3d 4h`, `12m 5s`: the two largest units. */
export function age(ms) {
  const units = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]]
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  const parts = []
  let rest = ms
  for (const [unit, size] of units) {
    if (rest >= size || parts.length > 0) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
    if (parts.length === 2) break
  }
  return parts.join(' ')
}

/**
 * Why the reporter would refuse this folder and keep its events in memory (src/spool/folder):
 * owned by another user, or writable by group or others. Unix only (Windows leaves it to ACLs).
 */
function refusal(stat) {
  if (process.platform === 'win32' || typeof process.geteuid !== 'function') return undefined
  if (stat.uid !== process.geteuid()) return `it is owned by another user (uid ${stat.uid}; this command runs as ${process.geteuid()}, run it as the worker's user)`
  const mode = stat.mode & 0o7777
  if (mode & 0o022) return `group or others may write to it (mode ${mode.toString(8)}; fix: chmod go-w, the reporter never changes it)`
  return undefined
}

export async function run({ values, positionals }) {
  if (positionals.length > 1) throw new UsageError(`spool takes one folder, got ${positionals.length}`)
  const dir = positionals[0] ?? join(homedir(), '.cyrus', 'telemetry-spool')
  // The reporter opens its spoolDir as given, links included (only what is inside the folder is
  // never followed), so a dir that is a link is the folder it leads to, here too.
  let resolved
  let stat
  try {
    const link = lstatSync(dir)
    resolved = link.isSymbolicLink() ? realpathSync(dir) : dir
    stat = link.isSymbolicLink() ? statSync(resolved) : link
  } catch (error) {
    if (error.code === 'ENOENT') throw new Failure(`no spool folder at ${dir}: nothing was spooled there yet, or the reporter uses another spoolDir (give it as the argument)`)
    throw new Failure(`cannot read ${dir}: ${error.message}`)
  }
  if (!stat.isDirectory()) throw new Failure(`${dir}${resolved === dir ? '' : ` (a link to ${resolved})`} is not a folder: give the reporter's spoolDir`)
  let entries
  try {
    entries = readdirSync(resolved, { withFileTypes: true })
  } catch (error) {
    throw new Failure(`cannot list ${dir}: ${error.message}`)
  }
  // A folder the reporter used holds its .lock; one with entries but none of the spool's names is
  // some other folder (~/.cyrus itself, say).
  const own = (name) => OWN_FILES.has(name) || EVENT_FILE.test(name) || TEMPORARY_FILE.test(name)
  if (entries.length > 0 && !entries.some((entry) => own(entry.name))) {
    const inside = entries.find((entry) => entry.name === 'telemetry-spool' && entry.isDirectory())
    throw new Failure(
      `${dir} is not a spool folder: none of its ${entries.length} entries is the spool's (.lock, <event_id>.event.json)` +
        (inside ? `; did you mean ${join(dir, 'telemetry-spool')}?` : ": give the reporter's spoolDir"),
    )
  }
  const refused = refusal(stat)

  const now = Date.now()
  const events = []
  const skipped = { writing: 0, foreign: 0, unreadable: [] }
  for (const entry of entries) {
    const match = EVENT_FILE.exec(entry.name)
    if (!match) {
      if (TEMPORARY_FILE.test(entry.name)) skipped.writing++
      else if (!OWN_FILES.has(entry.name)) skipped.foreign++
      continue
    }
    // readdir's type is the entry's own (links are not followed): a link is never opened.
    const file = entry.isFile() ? readRegularFile(join(resolved, entry.name)) : { reason: entry.isSymbolicLink() ? 'symbolic link' : 'not a regular file' }
    const parsed = file.bytes ? recordOf(file.bytes, match[1]) : file
    if (!parsed.record) {
      skipped.unreadable.push({ file: entry.name, reason: parsed.reason })
      continue
    }
    const { event, reported_at_ms: reportedAtMs } = parsed.record
    events.push({
      id: event.event_id,
      reportedAt: new Date(reportedAtMs).toISOString(),
      ageMs: now - reportedAtMs,
      errorType: event.error_type,
      errorDetail: event.error_detail,
      sessionId: event.session_id,
      teamId: event.team_id,
      bytes: file.bytes.length,
    })
  }
  events.sort((a, b) => b.ageMs - a.ageMs || a.id.localeCompare(b.id))

  if (values.json) {
    console.log(JSON.stringify({ dir, resolved, ...(refused ? { refusedByReporter: refused } : {}), events, skipped }, null, 2))
    return
  }
  const where = resolved === dir ? dir : `${dir} (a link to ${resolved})`
  console.log(`spool ${where}: ${events.length} pending event(s), ${events.reduce((sum, event) => sum + event.bytes, 0)} bytes`)
  if (refused) console.log(`note: the reporter refuses this folder, so it spools nothing here (events stay in memory): ${refused}`)
  if (events.length > 0) {
    printTable(
      events.map((event) => ({ ...event, age: age(event.ageMs), size: `${event.bytes} B` })),
      [['id', 'event_id'], ['age', 'age'], ['errorType', 'error_type'], ['errorDetail', 'error_detail'], ['sessionId', 'session'], ['size', 'size']],
      { maxWidth: 40, indent: '' },
    )
  }
  const notes = []
  if (skipped.writing) notes.push(`${skipped.writing} being written`)
  if (skipped.foreign) notes.push(`${skipped.foreign} other file(s), not the spool's`)
  for (const { file, reason } of skipped.unreadable) notes.push(`${file}: ${reason}`)
  if (notes.length) console.log(`skipped: ${notes.join('; ')}`)
}
