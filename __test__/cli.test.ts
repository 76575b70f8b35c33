// `npx cyrus-telemetry`, run as an operator runs it: real child processes of bin/, real files, a
// real spool written by the addon, and the package's loopback collector as the endpoint.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { hang, refusedPort, respond, startCollector, type Collector } from 'cyrus-telemetry/testing'

const root = join(__dirname, '..')
const BIN = join(root, 'bin', 'cyrus-telemetry.mjs')
const TOKEN = 'cbtok_cli_6d1f0a93c2'
const TEAM = 'team-cli'
const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], { input, env }: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

const collectors: Collector[] = []
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((collector) => collector.close()))
})
async function collector(options: Parameters<typeof startCollector>[0] = {}) {
  const started = await startCollector({ token: TOKEN, teamId: TEAM, strict: true, ...options })
  collectors.push(started)
  return started
}

describe('cyrus-telemetry (no command, help, unknown)', () => {
  it('without a command: the usage on stderr, exit 2', async () => {
    const run = await cli([])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('usage: cyrus-telemetry <command>')
  })

  it('--help: the usage on stdout, exit 0; every command has its own --help', async () => {
    const run = await cli(['--help'])
    expect(run.code).toBe(0)
    for (const command of ['classify', 'send-test', 'spool']) expect(run.stdout).toContain(command)
    for (const command of ['classify', 'send-test', 'spool']) {
      const help = await cli([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`usage: cyrus-telemetry ${command}`)
      expect(help.stdout).toMatch(/Exit 0/)
    }
  })

  it('an unknown command or option: exit 2, naming it', async () => {
    const unknown = await cli(['clasify'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "clasify"')
    const option = await cli(['spool', '--jsn'])
    expect(option.code).toBe(2)
    expect(option.stderr).toContain("Unknown option '--jsn'")
    expect(option.stderr).toContain('usage: cyrus-telemetry spool')
  })

  it('is the package bin', () => {
    const pkg = JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root, encoding: 'utf8' }).stdout)
    expect(pkg.bin).toEqual({ 'cyrus-telemetry': 'bin/cyrus-telemetry.mjs' })
    expect(pkg.files).toEqual(expect.arrayContaining(['bin/', 'cli/']))
  })
})

describe('classify', () => {
  const streamJson = [
    { type: 'system', subtype: 'init', session_id: 's' },
    { type: 'assistant', message: { content: [{ type: 'text', text: 'working' }] } },
    { type: 'result', subtype: 'success', is_error: true, result: 'Claude AI usage limit reached|1762952400' },
    'this line is not JSON',
    { type: 'result', subtype: 'error_max_turns', is_error: true, errors: ['Reached maximum number of turns (3)'] },
    { type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['API Error: 401 {"error":"invalid x-api-key sk-ant-api03-CLIFAKEKEY0123456789abcdefghij"}'] },
    { type: 'result', subtype: 'success', is_error: false, result: 'Opened the PR.' },
  ]
    .map((line) => (typeof line === 'string' ? line : JSON.stringify(line)))
    .join('\n')

  it('reads stream-json from stdin: a table of the results and a summary by type', async () => {
    const run = await cli(['classify'], { input: streamJson })
    expect(run.code).toBe(0)
    const rows = run.stdout.split('\n').filter((line) => /^\d+\s{2}/.test(line))
    expect(rows.map((row) => row.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['3', 'rate_limit', 'usage_limit'],
      ['5', 'max_turns', 'max_turns'],
      ['6', 'crash', expect.any(String)],
      ['7', 'not an error'],
    ])
    expect(run.stdout).toContain('2025-11-12T13:00:00Z')
    expect(run.stdout).toContain('4 result(s): rate_limit 1, max_turns 1, crash 1, not_an_error 1')
    expect(run.stdout).toContain('skipped: 2 other message(s), 1 line(s) not JSON')
  })

  it('prints scrubbed messages only', async () => {
    const run = await cli(['classify', '--json'], { input: streamJson })
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('CLIFAKEKEY')
    expect(run.stdout).toContain('[REDACTED]')
  })

  it('--json from a file: every result with its line, and the summary', async () => {
    const file = join(dir, 'session.jsonl')
    writeFileSync(file, streamJson)
    const run = await cli(['classify', file, '--json'])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.summary).toEqual({ results: 4, byType: { rate_limit: 1, max_turns: 1, crash: 1, not_an_error: 1 }, otherMessages: 2, notJson: 1 })
    expect(out.results[0]).toEqual({ line: 3, errorType: 'rate_limit', errorDetail: 'usage_limit', errorMessage: 'Claude AI usage limit reached|1762952400', resetsAt: '2025-11-12T13:00:00Z' })
    expect(out.results[3]).toEqual({ line: 7, errorType: null })
  })

  it('reads a JSON array of results and --output-format json objects', async () => {
    const array = join(dir, 'results.json')
    writeFileSync(array, JSON.stringify([{ subtype: 'error_max_budget_usd', is_error: true, errors: [] }, { subtype: 'success', is_error: false, result: 'ok' }], null, 2))
    const run = await cli(['classify', array, '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).summary.byType).toEqual({ billing: 1, not_an_error: 1 })
  })

  it('a missing file, or input without any result: exit 1 saying what was expected', async () => {
    const missing = await cli(['classify', join(dir, 'nope.jsonl')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('nope.jsonl: no such file')
    const none = await cli(['classify'], { input: '{"type":"system"}\nhello\n' })
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('no result message in stdin (1 other message(s), 1 line(s) not JSON)')
    expect(none.stderr).toContain('--output-format stream-json')
  })

  it('two files: exit 2', async () => {
    const run = await cli(['classify', 'a', 'b'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('classify takes one file, got 2')
  })
})

describe('send-test', () => {
  const args = (url: string, token = TOKEN) => ['send-test', '--url', url, '--token', token, '--team', TEAM]

  it('delivers one test event that passes the collector\'s wire checks: exit 0', async () => {
    const rx = await collector()
    const run = await cli([...args(rx.url), '--json'])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report).toMatchObject({ outcome: 'delivered', httpStatus: '2xx', attempts: 1, teamId: TEAM })
    const [event] = await rx.waitForEvents(1)
    expect(event).toMatchObject({ event_id: report.eventId, team_id: TEAM, error_type: 'crash', session_id: report.sessionId })
    expect(event.session_id).toMatch(/^send-test-/)
    expect(run.stdout + run.stderr).not.toContain(TOKEN)
  })

  it('is sent even with CYRUS_TELEMETRY_DISABLED=1 (a deliberate test)', async () => {
    const rx = await collector()
    const run = await cli(args(rx.url), { env: { CYRUS_TELEMETRY_DISABLED: '1' } })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/delivered \(HTTP 2xx\) after 1 attempt/)
    expect(rx.events).toHaveLength(1)
  })

  it('a refused token: the HTTP status and what to check, exit 1', async () => {
    const rx = await collector()
    const run = await cli(args(rx.url, 'wrong-token'))
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('refused (HTTP 401)')
    expect(run.stderr).toContain('the endpoint refused the token (HTTP 401): check --token')
    expect(run.stdout + run.stderr).not.toContain('wrong-token')
  })

  it('--attempts: a 503 then a 200 is delivered after 2 attempts', async () => {
    const rx = await collector({ answers: [respond(503), respond(200)] })
    const run = await cli([...args(rx.url), '--attempts', '2', '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'delivered', attempts: 2 })
    expect(rx.requests.map((request) => request.status)).toEqual([503, 200])
  })

  it('a 500 with one attempt: exit 1 with the status', async () => {
    const rx = await collector({ answers: [respond(500)] })
    const run = await cli([...args(rx.url), '--json'])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'refused', httpStatus: 500 })
  })

  it('no answer in time, and nothing listening: exit 1 naming the failure', async () => {
    const rx = await collector({ answers: [hang()] })
    const hung = await cli([...args(rx.url), '--timeout-ms', '300'])
    expect(hung.code).toBe(1)
    expect(hung.stderr).toContain('no answer within --timeout-ms')
    const port = await refusedPort()
    const refused = await cli(args(`http://127.0.0.1:${port}/cb`))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('could not connect')
  })

  it('a context the reporter refuses: exit 1 with its reason', async () => {
    const run = await cli(args('http://example.com/cb'))
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/the callback context was refused: .*https/)
  })

  it('missing or bad options: exit 2 naming them', async () => {
    const missing = await cli(['send-test', '--url', 'https://x.example/cb'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('send-test needs --token, --team')
    const attempts = await cli([...args('https://x.example/cb'), '--attempts', '0'])
    expect(attempts.code).toBe(2)
    expect(attempts.stderr).toContain('--attempts must be a positive integer, got "0"')
  })
})

describe('spool', () => {
  /** Spools `count` events the way a worker that dies before delivering leaves them. */
  async function spoolOf(count: number): Promise<{ spool: string; ids: string[] }> {
    // Never answers, so every event is still spooled when the child is killed.
    const rx = await collector({ answers: [hang()], strict: false })
    const spool = join(mkdtempSync(join(dir, 'spool-')), 'spool')
    const child = spawnSync(process.execPath, [join(root, '__test__', 'fixtures', 'spool-child.cjs'), 'report', spool, rx.url, String(count), 'kill'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, SPOOL_TEST_TOKEN: TOKEN },
    })
    const { ids } = JSON.parse(child.stdout.trim().split('\n').at(-1)!)
    return { spool, ids }
  }
  const snapshot = (folder: string) =>
    readdirSync(folder).sort().map((name) => {
      const stat = statSync(join(folder, name))
      return [name, stat.size, stat.mtimeMs]
    })

  it('lists the pending events (id, age, type, size) oldest first, changing nothing', async () => {
    const { spool, ids } = await spoolOf(3)
    const before = snapshot(spool)
    const run = await cli(['spool', spool, '--json'])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.events.map((event: { id: string }) => event.id).sort()).toEqual([...ids].sort())
    for (const event of out.events) {
      expect(event).toMatchObject({ errorType: 'crash', teamId: 'team-spool' })
      expect(event.ageMs).toBeGreaterThanOrEqual(0)
      expect(event.bytes).toBe(statSync(join(spool, `${event.id}.event.json`)).size)
    }
    expect(snapshot(spool)).toEqual(before)

    const table = await cli(['spool', spool])
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(`spool ${spool}: 3 pending event(s)`)
    for (const id of ids) expect(table.stdout).toContain(id)
    expect(table.stdout + table.stderr).not.toContain(TOKEN)
  })

  it('opens only its own regular files, never through a link', async () => {
    const { spool, ids } = await spoolOf(1)
    const outside = join(dir, 'outside.event.json')
    writeFileSync(outside, JSON.stringify({ cyrus_telemetry_spool: 1, reported_at_ms: 0, event: { event_id: 'x' } }))
    const linkId = '11111111-2222-4333-8444-555555555555'
    symlinkSync(join(spool, `${ids[0]}.event.json`), join(spool, `${linkId}.event.json`))
    mkdirSync(join(spool, '22222222-2222-4333-8444-555555555555.event.json'))
    writeFileSync(join(spool, '33333333-2222-4333-8444-555555555555.event.json'), 'not json')
    writeFileSync(join(spool, '44444444-2222-4333-8444-555555555555.event.json.tmp'), '{}')
    writeFileSync(join(spool, 'notes.txt'), 'mine')
    writeFileSync(join(spool, `${ids[0].toUpperCase()}.event.json`), 'foreign: upper case')
    if (process.platform !== 'win32') spawnSync('mkfifo', [join(spool, '55555555-2222-4333-8444-555555555555.event.json')])

    const run = await cli(['spool', spool, '--json'])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.events.map((event: { id: string }) => event.id)).toEqual(ids)
    expect(out.skipped.writing).toBe(1)
    expect(out.skipped.foreign).toBe(2)
    const reasons = Object.fromEntries(out.skipped.unreadable.map(({ file, reason }: { file: string; reason: string }) => [file.slice(0, 8), reason]))
    expect(reasons).toMatchObject({ '11111111': 'symbolic link', '22222222': 'not a regular file', '33333333': 'not JSON' })
    if (process.platform !== 'win32') expect(reasons['55555555']).toBe('not a regular file')
  })

  it('an empty folder: exit 0; a missing one, a file or a link: exit 1 saying what to give', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'))
    const listed = await cli(['spool', empty])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('0 pending event(s)')
    const missing = await cli(['spool', join(dir, 'nowhere')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no spool folder at')
    expect(missing.stderr).toContain('give it as the argument')
    const file = join(dir, 'a-file')
    writeFileSync(file, '')
    expect((await cli(['spool', file])).stderr).toContain('is not a folder')
    const link = join(dir, 'link-to-empty')
    symlinkSync(empty, link)
    const linked = await cli(['spool', link])
    expect(linked.code).toBe(1)
    expect(linked.stderr).toContain('is a symbolic link, which the spool never follows')
  })
})
