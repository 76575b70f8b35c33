// `npx cyrus-telemetry`, run as an operator runs it: real child processes of bin/, real files, a
// real spool written by the addon, and the package's loopback collector as the endpoint.
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { runNode, type NodeRun } from './helpers/child'
import { hang, refusedPort, respond, startCollector, type Collector } from 'cyrus-telemetry/testing'

const root = join(__dirname, '..')
const BIN = join(root, 'bin', 'cyrus-telemetry.mjs')
const TOKEN = 'cbtok_cli_6d1f0a93c2'
const TEAM = 'team-cli'
const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

type Run = NodeRun

function cli(args: string[], { input, env, bin = BIN }: { input?: string; env?: Record<string, string>; bin?: string } = {}): Promise<Run> {
  return runNode([bin, ...args], { input, env })
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
    // The line that is not JSON (a log cut short) is skipped and named.
    expect(run.stdout).toContain('skipped: 2 other message(s), 1 line(s) not JSON (line 4)')
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
    expect(out.summary).toEqual({ results: 4, byType: { rate_limit: 1, max_turns: 1, crash: 1, not_an_error: 1 }, otherMessages: 2, notJson: 1, notJsonLines: [4] })
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
    expect(none.stderr).toContain('no result message in stdin (1 other message(s), 1 line(s) not JSON: line 2)')
    expect(none.stderr).toContain('--output-format stream-json')
    const folder = await cli(['classify', dir])
    expect(folder.code).toBe(1)
    expect(folder.stderr).toContain(`${dir} is a folder: give the log file itself`)
    expect(folder.stdout).toBe('')
  })

  it('reads real Claude Code stream-json: init, assistant and user messages, then one result', async () => {
    // The shape `claude -p … --output-format stream-json --verbose` prints (abridged fields).
    const session = [
      { type: 'system', subtype: 'init', cwd: '/w', session_id: 'e1c0', tools: ['Bash', 'Read'], model: 'claude-sonnet-4-5', permissionMode: 'default', apiKeySource: 'none' },
      { type: 'assistant', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] }, parent_tool_use_id: null, session_id: 'e1c0' },
      { type: 'user', message: { role: 'user', content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'README.md' }] }, parent_tool_use_id: null, session_id: 'e1c0' },
      { type: 'assistant', message: { id: 'msg_2', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' }] }, parent_tool_use_id: null, session_id: 'e1c0' },
      { type: 'result', subtype: 'success', is_error: true, duration_ms: 5120, duration_api_ms: 4800, num_turns: 2, result: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', session_id: 'e1c0', total_cost_usd: 0.01, usage: { input_tokens: 10, output_tokens: 5 } },
    ].map((line) => JSON.stringify(line)).join('\n')
    const run = await cli(['classify', '--json'], { input: `${session}\n` })
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.results).toEqual([expect.objectContaining({ line: 5, errorType: 'rate_limit', errorDetail: 'overloaded' })])
    expect(out.summary).toMatchObject({ results: 1, otherMessages: 4, notJson: 0 })
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

  it('values the reporter refuses: exit 2, its reason in terms of the flags, and the usage', async () => {
    const http = await cli(args('http://example.com/cb'))
    expect(http.code).toBe(2)
    expect(http.stderr).toMatch(/the reporter refuses these values: --url .*https/)
    expect(http.stderr).toContain('usage: cyrus-telemetry send-test')
    const token = await cli(args('https://x.example/cb', 'has space'))
    expect(token.code).toBe(2)
    expect(token.stderr).toMatch(/the reporter refuses these values: --token /)
    expect(token.stderr).not.toContain('has space')
  })

  it('missing or bad options: exit 2 naming them', async () => {
    const missing = await cli(['send-test', '--url', 'https://x.example/cb'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('send-test needs --token, --team')
    const attempts = await cli([...args('https://x.example/cb'), '--attempts', '0'])
    expect(attempts.code).toBe(2)
    expect(attempts.stderr).toContain('--attempts must be a whole number from 1 to 100, got "0"')
    // Beyond the reporter's own ranges: a usage error too, never an "unexpected error".
    const many = await cli([...args('https://x.example/cb'), '--attempts', '101'])
    expect(many.code).toBe(2)
    expect(many.stderr).toContain('--attempts must be a whole number from 1 to 100, got "101"')
    const long = await cli([...args('https://x.example/cb'), '--timeout-ms', '3600001'])
    expect(long.code).toBe(2)
    expect(long.stderr).toContain('--timeout-ms must be a whole number from 1 to 3600000, got "3600001"')
    const noValue = await cli(['send-test', '--url'])
    expect(noValue.code).toBe(2)
    expect(noValue.stderr).toContain("Option '--url <value>' argument missing")
    for (const run of [missing, attempts, many, long, noValue]) expect(run.stderr).not.toContain('unexpected error')
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

  it('an empty folder: exit 0; a missing one, a file or a folder that is not a spool: exit 1 saying what to give', async () => {
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
    const notFolder = await cli(['spool', file])
    expect(notFolder.code).toBe(1)
    expect(notFolder.stderr).toContain('is not a folder')
    // The cyrus home instead of its spool: nothing in it is the spool's, and the folder is named.
    const home = mkdtempSync(join(dir, 'home-'))
    writeFileSync(join(home, 'config.json'), '{}')
    mkdirSync(join(home, 'telemetry-spool'))
    const notSpool = await cli(['spool', home])
    expect(notSpool.code).toBe(1)
    expect(notSpool.stderr).toContain(`${home} is not a spool folder: none of its 2 entries is the spool's`)
    expect(notSpool.stderr).toContain(`did you mean ${join(home, 'telemetry-spool')}?`)
  })

  it('a spoolDir that is a link is followed, as the reporter follows it; the files inside are still not', async () => {
    const { spool, ids } = await spoolOf(2)
    const link = join(mkdtempSync(join(dir, 'link-')), 'spool-link')
    symlinkSync(spool, link)
    const run = await cli(['spool', link, '--json'])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({ dir: link, resolved: spool })
    expect(out.events.map((event: { id: string }) => event.id).sort()).toEqual([...ids].sort())
    const table = await cli(['spool', link])
    expect(table.stdout).toContain(`spool ${link} (a link to ${spool}): 2 pending event(s)`)
  })

  it.runIf(process.platform !== 'win32')('says when the reporter would refuse the folder (group- or other-writable)', async () => {
    const { spool, ids } = await spoolOf(1)
    chmodSync(spool, 0o777)
    const run = await cli(['spool', spool])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(ids[0])
    expect(run.stdout).toContain('note: the reporter refuses this folder, so it spools nothing here (events stay in memory): group or others may write to it (mode 777')
    const json = JSON.parse((await cli(['spool', spool, '--json'])).stdout)
    expect(json.refusedByReporter).toMatch(/^group or others may write to it/)
    chmodSync(spool, 0o700)
    expect(JSON.parse((await cli(['spool', spool, '--json'])).stdout).refusedByReporter).toBeUndefined()
  })
})

describe('without a binary (an install that omitted its platform package)', () => {
  /** The package's `files` minus every binary, in a folder of their own. */
  function installWithoutBinary(): string {
    const copy = mkdtempSync(join(dir, 'nobinary-'))
    const pkg = JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root, encoding: 'utf8' }).stdout)
    for (const entry of ['package.json', ...pkg.files]) {
      if (entry.includes('*')) continue // the binaries
      cpSync(join(root, entry), join(copy, entry), { recursive: true })
    }
    expect(readdirSync(copy).filter((name) => name.endsWith('.node'))).toEqual([])
    return join(copy, 'bin', 'cyrus-telemetry.mjs')
  }

  it('--help and spool still work; classify and send-test fail with the loader\'s one message, exit 1', async () => {
    const bin = installWithoutBinary()
    const env = { NAPI_RS_NATIVE_LIBRARY_PATH: '' }
    const help = await cli(['--help'], { bin, env })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('usage: cyrus-telemetry <command>')
    expect((await cli(['classify', '--help'], { bin, env })).code).toBe(0)
    const empty = mkdtempSync(join(dir, 'empty-'))
    const spool = await cli(['spool', empty], { bin, env })
    expect(spool.code).toBe(0)
    expect(spool.stdout).toContain('0 pending event(s)')
    for (const args of [['classify'], ['send-test', '--url', 'https://x.example/cb', '--token', TOKEN, '--team', TEAM]]) {
      const run = await cli(args, { bin, env, input: '{"type":"result","subtype":"error_max_turns"}\n' })
      expect(run.code, run.stderr).toBe(1)
      expect(run.stderr).toMatch(/^cyrus-telemetry (classify|send-test): cyrus-telemetry: no native binary loaded for /)
      expect(run.stderr).toContain('npm run build')
      expect(run.stderr).not.toMatch(/^\s+at /m) // no stack trace
      expect(run.stderr).not.toContain('unexpected error')
    }
  })
})
