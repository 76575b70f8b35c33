// The one-command demo, run as a user runs it (a child process). Its local collector is the
// package's test collector in strict mode; __test__/testing.test.ts checks that it refuses what a
// real endpoint refuses (a collector that accepted anything would make the demo's checks
// meaningless).
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runNode, type NodeRun } from './helpers/child'
import { ERROR_TYPES } from 'cyrus-telemetry/testing'
import { startReceiver, type Receiver } from './helpers/receiver'

const root = join(__dirname, '..')
// The fake credentials in demo/fixtures.json, and the prefix of the demo's generated tokens.
const SECRETS = ['sk-ant-api03-DEMOFAKEKEY', 'AIzaSyFAKE', 'demo-callback-']

type Run = NodeRun

function runDemo(args: string[] = []): Promise<Run> {
  return runNode(['demo/demo.mjs', ...args])
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
