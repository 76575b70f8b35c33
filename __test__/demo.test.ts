// The one-command demo, run as a user runs it (a child process), and the local collector it
// talks to, checked to refuse what a real endpoint refuses: a collector that accepted anything
// would make the demo's checks meaningless.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startCollector } from '../demo/collector.mjs'
import { startReceiver, type Receiver } from './helpers/receiver'

const root = join(__dirname, '..')
const ERROR_TYPES = ['crash', 'stall', 'rate_limit', 'billing', 'max_turns']
// The fake credentials in demo/fixtures.json, and the prefix of the demo's generated tokens.
const SECRETS = ['sk-ant-api03-DEMOFAKEKEY', 'AIzaSyFAKE', 'demo-callback-']

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runDemo(args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['demo/demo.mjs', ...args], { cwd: root, timeout: 30_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The lines of one `== heading` section of the demo's output. */
function section(output: string, heading: string): string[] {
  const lines = output.split('\n')
  const start = lines.indexOf(`== ${heading}`)
  if (start < 0) return []
  const end = lines.findIndex((line, index) => index > start && line.startsWith('== '))
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** The values of one column of the table in `lines` (cut at the heading's position). */
function column(lines: string[], name: string): string[] {
  const header = lines.find((line) => line.includes(` ${name} `))
  if (!header) return []
  const at = header.indexOf(` ${name} `) + 1
  return lines
    .filter((line) => line.startsWith('  demo-session-'))
    .map((line) => line.slice(at).split(/\s+/)[0])
}

describe('npm run demo (local collector)', () => {
  let run: Run

  beforeAll(async () => {
    run = await runDemo()
  }, 35_000)

  it('exits 0 with every check passed', () => {
    expect(run.stdout + run.stderr).toContain('all checks passed')
    expect(run.code).toBe(0)
  })

  it('the collector received all five error types (needs the real classifier)', () => {
    const received = column(section(run.stdout, 'What the collector received'), 'error_type')
    expect(received.length).toBeGreaterThanOrEqual(5)
    expect(new Set(received)).toEqual(new Set(ERROR_TYPES))
  })

  it('shows scrubbed messages and never a secret', () => {
    const received = section(run.stdout, 'What the collector received').join('\n')
    expect(received).toContain('[REDACTED]')
    for (const secret of SECRETS) expect(run.stdout + run.stderr).not.toContain(secret)
  })
})

describe('demo --url (a given endpoint instead of the collector)', () => {
  let receiver: Receiver | undefined

  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  it('sends the same events there, with the given token and team', async () => {
    receiver = await startReceiver()
    const run = await runDemo(['--url', receiver.url, '--token', 'given-token-123', '--team', 'team-given'])

    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('== What the collector received')
    const requests = receiver.requests
    expect(requests.length).toBe(9)
    for (const request of requests) {
      expect(request.headers.authorization).toBe('Bearer given-token-123')
      expect(request.body.team_id).toBe('team-given')
      expect(request.rawBody).not.toContain('given-token-123')
    }
  })

  it('refuses a partial set of options', async () => {
    const run = await runDemo(['--url', 'https://example.invalid/cb'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--url, --token and --team go together')
  })
})

describe('the demo collector', () => {
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined
  const token = 'collector-token'
  const event = {
    team_id: 'team-demo',
    event_type: 'agent_session_error',
    error_type: 'crash',
    error_message: 'Execution Error',
    session_id: 'session-1',
    timestamp: '2026-03-13T17:36:00.123Z',
    event_id: '3f1c2a7e-9b4d-4e8a-a1b2-0c3d4e5f6a7b',
    error_detail: 'unknown',
  }

  afterEach(async () => {
    await collector?.close()
    collector = undefined
  })

  async function post(body: unknown, bearer = token) {
    const response = await fetch(collector!.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${bearer}`,
        'idempotency-key': (body as { event_id?: string }).event_id ?? '',
      },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as { error?: string } }
  }

  it('accepts a valid event once, then acknowledges its replay', async () => {
    collector = await startCollector({ token, teamId: 'team-demo' })
    expect((await post(event)).status).toBe(202)
    expect((await post(event)).status).toBe(200)
    expect(collector.accepted.size).toBe(1)
  })

  it('refuses a wrong token, and the old token after rotation', async () => {
    collector = await startCollector({ token, teamId: 'team-demo' })
    expect((await post(event, 'other')).status).toBe(401)
    collector.rotateToken('next-token')
    expect((await post(event)).status).toBe(401)
    expect((await post(event, 'next-token')).status).toBe(202)
  })

  it.each([
    ['a null field', { issue_id: null }, 'issue_id is null'],
    ['an unknown error type', { error_type: 'timeout' }, 'error_type must be one of'],
    ['an event_id that is not a UUID v4', { event_id: '3f1c2a7e-9b4d-1e8a-a1b2-0c3d4e5f6a7b' }, 'event_id'],
    ['a timestamp without milliseconds', { timestamp: '2026-03-13T17:36:00Z' }, 'timestamp'],
    ['a fractional duration', { duration_seconds: 1.5 }, 'duration_seconds'],
    ['a message over 500 characters', { error_message: 'x'.repeat(501) }, 'error_message'],
    ['another team', { team_id: 'team-other' }, 'team_id'],
  ])('refuses %s with 400 and a reason', async (_label, change, reason) => {
    collector = await startCollector({ token, teamId: 'team-demo' })
    const answer = await post({ ...event, ...change })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toContain(reason)
  })

  it('refuses a retry whose body differs from the first attempt', async () => {
    collector = await startCollector({ token, teamId: 'team-demo' })
    collector.failFirst('session-1', [{ status: 503 }])
    expect((await post(event)).status).toBe(503)
    expect((await post({ ...event, timestamp: '2026-03-13T17:36:01.123Z' })).status).toBe(409)
  })

  it('answers scripted transient failures first, with their headers', async () => {
    collector = await startCollector({ token, teamId: 'team-demo' })
    collector.failFirst('session-1', [{ status: 429, headers: { 'retry-after': '1' } }])
    const first = await fetch(collector.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': event.event_id },
      body: JSON.stringify(event),
    })
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '1'])
    expect((await post(event)).status).toBe(202)
    expect(collector.attemptsFor(event.event_id).map((attempt) => attempt.status)).toEqual([429, 202])
  })
})
