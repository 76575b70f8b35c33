// The durable spool with real processes and real files: a worker that dies (SIGKILL) or shuts
// down with events pending leaves them on disk; the next process delivers each exactly once
// with its original event_id.
import { execFile, execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hang, refusedPort, respond, startReceiver, type Receiver } from './helpers/receiver'

const child = join(__dirname, 'fixtures', 'spool-child.cjs')
const token = 'spool-secret-token-8c1f'

interface ChildResult {
  ids?: string[]
  flush?: { completed: boolean; pending: number }
  shutdown?: { completed: boolean; pending: number }
  stats: Record<string, number>
  warnings: string[]
  exitSignal: string | null
}

function runChild(
  args: string[],
  options: Record<string, unknown> = {},
  contextDelayMs = 0,
  sessionPad = 0,
  holdMs = 0,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [child, ...args],
      {
        timeout: 20_000,
        env: {
          ...process.env,
          SPOOL_TEST_TOKEN: token,
          SPOOL_TEST_OPTIONS: JSON.stringify(options),
          SPOOL_TEST_CONTEXT_DELAY_MS: String(contextDelayMs),
          SPOOL_TEST_SESSION_PAD: String(sessionPad),
          SPOOL_TEST_HOLD_MS: String(holdMs),
        },
      },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? ''
        const killed = error && (error as { signal?: string }).signal === 'SIGKILL'
        if (error && !killed) return reject(new Error(`child failed: ${error.message}\n${stderr}`))
        try {
          resolve({ ...JSON.parse(line), exitSignal: killed ? 'SIGKILL' : null })
        } catch {
          reject(new Error(`child printed no result: ${stdout}\n${stderr}`))
        }
      },
    )
  })
}

const spoolFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.event.json'))

let dir: string
let receiver: Receiver | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-spool-'))
})

afterEach(async () => {
  await receiver?.close()
  receiver = undefined
  chmodSync(dir, 0o700)
  rmSync(dir, { recursive: true, force: true })
})

describe('durable spool', () => {
  it('delivers the events of a SIGKILLed process exactly once, with their original ids', async () => {
    const spool = join(dir, 'spool')
    const refused = `http://127.0.0.1:${await refusedPort()}/cb`
    const first = await runChild(['report', spool, refused, '50', 'kill'], { backoffBaseMs: 60_000 })
    expect(first.exitSignal).toBe('SIGKILL')
    expect(first.ids).toHaveLength(50)
    expect(spoolFiles(spool)).toHaveLength(50)

    receiver = await startReceiver({ script: [respond(200)] })
    const second = await runChild(['deliver', spool, receiver.url])
    expect(second.flush).toEqual({ completed: true, pending: 0 })
    expect(second.stats.restored).toBe(50)
    expect(second.stats.sent).toBe(50)
    const delivered = receiver.requests.map((request) => request.body.event_id)
    expect(new Set(delivered).size).toBe(50)
    expect(delivered.sort()).toEqual([...(first.ids ?? [])].sort())
    for (const request of receiver.requests) {
      expect(request.headers['idempotency-key']).toBe(request.body.event_id)
      expect(request.body.team_id).toBe('team-spool')
      expect(request.rawBody).not.toContain(token)
    }
    expect(spoolFiles(spool)).toHaveLength(0)

    const third = await runChild(['deliver', spool, receiver.url])
    expect(third.stats.restored).toBe(0)
    expect(receiver.requests).toHaveLength(50)
  })

  it('restores more events than heldCapacity, waiting for a context that comes later', async () => {
    const spool = join(dir, 'spool')
    const refused = `http://127.0.0.1:${await refusedPort()}/cb`
    const first = await runChild(['report', spool, refused, '30', 'kill'], { backoffBaseMs: 60_000 })
    expect(spoolFiles(spool)).toHaveLength(30)

    receiver = await startReceiver({ script: [respond(200)] })
    const second = await runChild(['deliver', spool, receiver.url], { heldCapacity: 5 }, 300)
    expect(second.stats.restored).toBe(30)
    expect(second.stats.droppedHeldOverflow).toBe(0)
    expect(second.stats.sent).toBe(30)
    expect(receiver.requests.map((request) => request.body.event_id).sort()).toEqual([...(first.ids ?? [])].sort())
  })

  it('keeps events pending at a graceful shutdown for the next process', async () => {
    const spool = join(dir, 'spool')
    const hanging = await startReceiver({ script: [hang()] })
    const first = await runChild(['report', spool, hanging.url, '12', 'shutdown'], { requestTimeoutMs: 5000 })
    await hanging.close()
    expect(first.shutdown?.completed).toBe(false)
    expect(first.shutdown?.pending).toBe(12)
    expect(spoolFiles(spool)).toHaveLength(12)

    receiver = await startReceiver({ script: [respond(200)] })
    const second = await runChild(['deliver', spool, receiver.url])
    expect(second.stats.sent).toBe(12)
    expect(receiver.requests.map((request) => request.body.event_id).sort()).toEqual([...(first.ids ?? [])].sort())
  })

  it('keeps events that ran out of attempts, and forgets those the endpoint refused for good', async () => {
    const unavailable = join(dir, 'unavailable')
    receiver = await startReceiver({ script: [respond(503)] })
    const exhausted = await runChild(['report', unavailable, receiver.url, '3', 'shutdown'], { maxAttempts: 1 })
    expect(exhausted.stats.failedHttp).toBe(3)
    expect(spoolFiles(unavailable)).toHaveLength(3)
    await receiver.close()

    const refused = join(dir, 'refused')
    receiver = await startReceiver({ script: [respond(400)] })
    const final = await runChild(['report', refused, receiver.url, '3', 'shutdown'], { maxAttempts: 1 })
    expect(final.stats.failedHttp).toBe(3)
    expect(spoolFiles(refused)).toHaveLength(0)
  })

  it('stores files owner-only and never the token or the URL', async () => {
    const spool = join(dir, 'spool')
    const refused = `http://127.0.0.1:${await refusedPort()}/private-callback-path`
    await runChild(['report', spool, refused, '5', 'kill'], { backoffBaseMs: 60_000 })
    expect(statSync(spool).mode & 0o777).toBe(0o700)
    for (const name of readdirSync(spool)) {
      const path = join(spool, name)
      expect(statSync(path).mode & 0o777, name).toBe(0o600)
      const bytes = readFileSync(path, 'utf8')
      expect(bytes).not.toContain(token)
      expect(bytes).not.toContain('private-callback-path')
    }
  })

  it('skips corrupt, truncated and other-format event files, counting them, leaves foreign files alone, and delivers the rest', async () => {
    const spool = join(dir, 'spool')
    const refused = `http://127.0.0.1:${await refusedPort()}/cb`
    const first = await runChild(['report', spool, refused, '3', 'kill'], { backoffBaseMs: 60_000 })
    const [good, truncated, corrupt] = spoolFiles(spool)
    const bytes = readFileSync(join(spool, good))
    writeFileSync(join(spool, truncated), bytes.subarray(0, bytes.length / 2))
    writeFileSync(join(spool, corrupt), 'not json at all')
    writeFileSync(join(spool, 'notes.txt'), 'someone else’s file')
    // Named as one of ours (a UUID), written in a format version that is not.
    writeFileSync(
      join(spool, '00000000-0000-4000-8000-000000000000.event.json'),
      JSON.stringify({ cyrus_telemetry_spool: 99, event: {} }),
    )

    receiver = await startReceiver({ script: [respond(200)] })
    const second = await runChild(['deliver', spool, receiver.url])
    // notes.txt is not named as an event: left alone, and not counted (README, "Durable spool").
    expect(second.stats.spoolErrors).toBe(3)
    expect(second.stats.sent).toBe(1)
    expect(receiver.requests.map((request) => request.body.event_id)).toEqual([good.replace('.event.json', '')])
    expect(first.ids).toContain(good.replace('.event.json', ''))
    expect(second.warnings.filter((line) => line.includes('unreadable'))).toHaveLength(1)
    expect(readdirSync(spool)).toContain('notes.txt')
  })

  it('drops the oldest events beyond spoolMaxEvents, and events older than spoolMaxAgeMs', async () => {
    const spool = join(dir, 'spool')
    const refused = `http://127.0.0.1:${await refusedPort()}/cb`
    const first = await runChild(['report', spool, refused, '8', 'kill'], { backoffBaseMs: 60_000, spoolMaxEvents: 5 })
    expect(first.stats.spoolDropped).toBe(3)
    expect(spoolFiles(spool)).toHaveLength(5)

    receiver = await startReceiver({ script: [respond(200)] })
    const expired = await runChild(['deliver', spool, receiver.url], { spoolMaxAgeMs: 1 })
    expect(expired.stats.spoolDropped).toBe(5)
    expect(expired.stats.sent).toBe(0)
    expect(receiver.requests).toHaveLength(0)
    expect(spoolFiles(spool)).toHaveLength(0)
  })

  it('degrades to memory only, with one warning, when the folder cannot be used', async () => {
    // A path below a regular file can never be created, even by root (who ignores chmod).
    writeFileSync(join(dir, 'a-file'), '')
    receiver = await startReceiver({ script: [respond(200)] })
    const result = await runChild(['report', join(dir, 'a-file', 'spool'), receiver.url, '3', 'shutdown'])
    expect(result.shutdown).toEqual({ completed: true, pending: 0 })
    expect(result.stats.sent).toBe(3)
    expect(result.warnings.filter((line) => line.includes('spool'))).toHaveLength(1)
  })

  it.runIf(process.getuid?.() !== 0)('degrades to memory only on a read-only folder', async () => {
    const spool = join(dir, 'spool')
    chmodSync(dir, 0o500)
    receiver = await startReceiver({ script: [respond(200)] })
    const result = await runChild(['report', spool, receiver.url, '2', 'shutdown'])
    expect(result.stats.sent).toBe(2)
    expect(result.warnings.filter((line) => line.includes('spool'))).toHaveLength(1)
  })

  it('lets only one process own a folder at a time', async () => {
    const spool = join(dir, 'spool')
    const hanging = await startReceiver({ script: [hang()] })
    // The owner holds the folder for 3 s after spooling; the second process starts meanwhile.
    const owner = runChild(['report', spool, hanging.url, '2', 'kill'], { requestTimeoutMs: 5000 }, 0, 0, 3000)
    // Its events on disk mean it owns the folder.
    for (let waited = 0; waited < 10_000 && !(existsSync(spool) && spoolFiles(spool).length === 2); waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    receiver = await startReceiver({ script: [respond(200)] })
    const second = await runChild(['deliver', spool, receiver.url])
    await owner
    await hanging.close()
    expect(second.stats.restored).toBe(0)
    expect(second.warnings.some((line) => line.includes('in use by another process'))).toBe(true)
    expect(receiver.requests).toHaveLength(0)
  })
})

// The folder is hostile ground (README, "Durable spool"): another local user may plant links, FIFOs and files in
// it, and the disk may fill up.
describe('durable spool on hostile ground', () => {
  const isRoot = process.getuid?.() === 0

  it('never follows a planted link: the probe truncates nothing and the lock creates nothing outside', async () => {
    const spool = join(dir, 'spool')
    mkdirSync(spool, { mode: 0o700 })
    const precious = join(dir, 'precious.txt')
    writeFileSync(precious, 'precious contents')
    symlinkSync(precious, join(spool, '.probe.tmp'))
    receiver = await startReceiver({ script: [respond(200)] })
    const probed = await runChild(['report', spool, receiver.url, '2', 'shutdown'])
    expect(readFileSync(precious, 'utf8')).toBe('precious contents')
    expect(probed.stats.sent).toBe(2)

    const locked = join(dir, 'locked')
    mkdirSync(locked, { mode: 0o700 })
    const outside = join(dir, 'created-outside')
    symlinkSync(outside, join(locked, '.lock'))
    const result = await runChild(['report', locked, receiver.url, '2', 'shutdown'])
    expect(existsSync(outside)).toBe(false)
    expect(result.stats.sent).toBe(2)
    expect(result.warnings.filter((line) => line.includes('spool'))).toHaveLength(1)
  })

  it('a FIFO named like an event never stalls the reporter', async () => {
    const spool = join(dir, 'spool')
    mkdirSync(spool, { mode: 0o700 })
    execFileSync('mkfifo', [join(spool, '00000000-0000-4000-8000-000000000000.event.json')])
    receiver = await startReceiver({ script: [respond(200)] })
    const result = await runChild(['report', spool, receiver.url, '3', 'shutdown'])
    expect(result.shutdown).toEqual({ completed: true, pending: 0 })
    expect(result.stats.sent).toBe(3)
  })

  it('leaves foreign files alone, whatever their names end with, and does not count them', async () => {
    const spool = join(dir, 'spool')
    mkdirSync(spool, { mode: 0o700 })
    const foreign = ['notes.tmp', 'backup_tmp', 'x.event.json', 'X.event.json.tmp', '.hidden.tmp']
    for (const name of foreign) writeFileSync(join(spool, name), 'someone else’s file')
    receiver = await startReceiver({ script: [respond(200)] })
    const result = await runChild(['deliver', spool, receiver.url])
    expect(result.stats.spoolErrors).toBe(0)
    expect(readdirSync(spool).filter((name) => foreign.includes(name)).sort()).toEqual([...foreign].sort())
  })

  it('refuses a folder that group or others may write, and never changes its mode', async () => {
    const spool = join(dir, 'spool')
    mkdirSync(spool)
    chmodSync(spool, 0o777)
    receiver = await startReceiver({ script: [respond(200)] })
    const result = await runChild(['report', spool, receiver.url, '2', 'shutdown'])
    expect(statSync(spool).mode & 0o777).toBe(0o777)
    expect(result.stats.sent).toBe(2)
    expect(result.stats.spooled).toBe(0)
    expect(result.warnings.filter((line) => line.includes('spool'))).toHaveLength(1)
    expect(readdirSync(spool)).toEqual([])
  })

  it('never changes the mode of an existing path that is not a folder', async () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, '')
    chmodSync(file, 0o644)
    receiver = await startReceiver({ script: [respond(200)] })
    const result = await runChild(['report', file, receiver.url, '1', 'shutdown'])
    expect(statSync(file).mode & 0o777).toBe(0o644)
    expect(result.stats.sent).toBe(1)
  })

  it('reads back what it writes: a 1.1 MB session id is cut to 256 characters, spooled and delivered', async () => {
    const spool = join(dir, 'spool')
    const refused = `http://127.0.0.1:${await refusedPort()}/cb`
    const first = await runChild(['report', spool, refused, '2', 'kill'], { backoffBaseMs: 60_000 }, 0, 1_100_000)
    expect(spoolFiles(spool)).toHaveLength(2)

    receiver = await startReceiver({ script: [respond(200)] })
    const second = await runChild(['deliver', spool, receiver.url])
    expect(second.stats.spoolErrors).toBe(0)
    expect(second.stats.restored).toBe(2)
    expect(second.stats.sent).toBe(2)
    expect(receiver.requests.map((request) => request.body.event_id).sort()).toEqual([...(first.ids ?? [])].sort())
    for (const request of receiver.requests) {
      expect(request.body.session_id).toHaveLength(256)
      expect(request.body.session_id).toMatch(/^session-[01]x+$/)
    }
    expect(spoolFiles(spool)).toHaveLength(0)
  })

  it('after a disk-full run, leaves no temporary files and the next process replays what was spooled', async (context) => {
    if (!isRoot) {
      console.log('skipped: mounting a small tmpfs needs root')
      return context.skip()
    }
    const mount = join(dir, 'small-disk')
    mkdirSync(mount)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount])
    } catch (error) {
      console.log(`skipped: cannot mount a tmpfs (${(error as Error).message})`)
      return context.skip()
    }
    try {
      const spool = join(mount, 'spool')
      const refused = `http://127.0.0.1:${await refusedPort()}/cb`
      const first = await runChild(['report', spool, refused, '200', 'kill'], { backoffBaseMs: 60_000 })
      expect(first.stats.spoolErrors).toBeGreaterThan(0)
      const left = readdirSync(spool)
      expect(left.filter((name) => !name.endsWith('.event.json') && name !== '.lock')).toEqual([])
      const spooled = spoolFiles(spool).length
      expect(spooled).toBeGreaterThan(0)

      receiver = await startReceiver({ script: [respond(200)] })
      const second = await runChild(['deliver', spool, receiver.url])
      expect(second.stats.restored).toBe(spooled)
      expect(second.stats.sent).toBe(spooled)
      expect(spoolFiles(spool)).toHaveLength(0)
    } finally {
      execFileSync('umount', [mount])
    }
  })
})
