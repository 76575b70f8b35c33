// The cyrus wiring example, run for real: its Fastify webhook route on 127.0.0.1 receives
// forwarded webhooks over HTTP, its session manager completes sessions with SDK-shaped results,
// and the addon delivers to a loopback receiver standing in for the control plane.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startEdgeWorker, type RunningEdgeWorker } from '../examples/cyrus-edge-worker/EdgeWorker'
import type {
  IAgentRunner,
  ILogger,
  SDKResultError,
  SDKResultMessage,
  SDKResultSuccess,
} from '../examples/cyrus-edge-worker/cyrus-types'
import { callbackHeaders, LINEAR_WEBHOOK_HEADERS, TEAM, TOKEN } from './helpers/headers'
import { recordLogs, type LogLine, type LogRecorder } from './helpers/log-recorder'
import { hang, startReceiver, type Receiver } from './helpers/receiver'

const WEBHOOK_SECRET = 'cyrus-api-key-for-tests'

/** The worker's ILogger (a class in cyrus), recording into a log recorder. */
class RecordingLogger implements ILogger {
  constructor(private readonly recorder: LogRecorder) {}
  debug(message: string) {
    this.recorder.logger('debug', message)
  }
  info(message: string) {
    this.recorder.logger('info', message)
  }
  warn(message: string) {
    this.recorder.logger('warn', message)
  }
  error(message: string) {
    this.recorder.logger('error', message)
  }
}

/** A runner whose serialization throws: the addon must never touch the live object. */
const liveRunner = (): IAgentRunner & { toJSON(): never } => ({
  supportsStreamingInput: true,
  start: async () => ({ sessionId: null, startedAt: new Date(), isRunning: true }),
  stop() {},
  isRunning: () => true,
  toJSON() {
    throw new Error('the agent runner was serialized')
  },
})

const sdkFields = {
  type: 'result' as const,
  duration_ms: 42_000,
  duration_api_ms: 30_000,
  num_turns: 7,
  stop_reason: null,
  total_cost_usd: 0.12,
  usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  modelUsage: {},
  permission_denials: [],
  uuid: '00000000-0000-4000-8000-000000000001',
  session_id: 'sdk-session',
}
const executionError: SDKResultError = {
  ...sdkFields,
  subtype: 'error_during_execution',
  is_error: true,
  errors: ['SDK query error: Error: Claude Code process exited with code 1'],
}
// Claude Code reports usage limits as a "success" with is_error: true; cyrus marks it Complete.
const usageLimit: SDKResultSuccess = {
  ...sdkFields,
  subtype: 'success',
  is_error: true,
  result: 'Claude AI usage limit reached|1762952400',
}
const success: SDKResultSuccess = { ...sdkFields, subtype: 'success', is_error: false, result: 'Done: opened the PR.' }

async function postWebhook(worker: RunningEdgeWorker, headers: Record<string, string>, secret = WEBHOOK_SECRET) {
  const { 'linear-event': event, 'linear-delivery': delivery } = LINEAR_WEBHOOK_HEADERS
  const response = await fetch(worker.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'linear-event': event,
      'linear-delivery': delivery,
      authorization: `Bearer ${secret}`,
      ...headers,
    },
    body: JSON.stringify({ type: 'AgentSessionEvent', action: 'created' }),
  })
  return response.status
}

async function completeSession(worker: RunningEdgeWorker, id: string, result: SDKResultMessage, options: { stop?: boolean } = {}) {
  worker.sessionManager.createSession(id, liveRunner(), {
    trackerId: 'linear',
    issueId: `issue-${id}`,
    issueIdentifier: 'CYPACK-951',
  })
  if (options.stop) worker.sessionManager.requestSessionStop(id)
  await worker.sessionManager.completeSession(id, result)
}

describe('cyrus edge worker example', () => {
  let receiver: Receiver
  let worker: RunningEdgeWorker | undefined
  let logs: LogRecorder
  const messages = (...levels: LogLine['level'][]) =>
    logs.lines.filter((line) => levels.includes(line.level)).map((line) => line.message)

  async function start(options: { telemetrySpoolDir?: string; hang?: boolean } = {}) {
    // Strict: the stand-in for the control plane refuses a wrong token or team, or an event off
    // the wire format, as the real endpoint would.
    receiver = await startReceiver({ token: TOKEN, teamId: TEAM, strict: true, ...(options.hang ? { script: [hang()] } : {}) })
    logs = recordLogs()
    const { telemetrySpoolDir } = options
    worker = await startEdgeWorker({
      port: 0,
      webhookSecret: WEBHOOK_SECRET,
      logger: new RecordingLogger(logs),
      ...(telemetrySpoolDir === undefined ? {} : { telemetrySpoolDir }),
    })
    return worker
  }

  afterEach(async () => {
    await worker?.stop()
    worker = undefined
    await receiver?.close()
  })

  it('reports a failing session to the callback URL a forwarded webhook carried', async () => {
    const running = await start()
    expect(await postWebhook(running, callbackHeaders({ url: receiver.url }))).toBe(200)
    expect(messages('debug')).toContain('telemetry callback context: set')

    await completeSession(running, 'session-failed', executionError)
    await completeSession(running, 'session-usage-limit', usageLimit)
    await completeSession(running, 'session-succeeded', success)
    await completeSession(running, 'session-stopped', executionError, { stop: true })
    await running.stop()

    // stop() awaited the reporter's shutdown: everything is delivered by now.
    const requests = receiver.requests
    expect(requests.map((request) => request.body.session_id).sort()).toEqual(['session-failed', 'session-usage-limit'])
    const failed = requests.find((request) => request.body.session_id === 'session-failed')!
    expect(failed.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(failed.headers['idempotency-key']).toBe(failed.body.event_id)
    expect(failed.body).toMatchObject({
      team_id: TEAM,
      event_type: 'agent_session_error',
      issue_id: 'issue-session-failed',
      issue_identifier: 'CYPACK-951',
      error_message: 'SDK query error: Error: Claude Code process exited with code 1',
    })
    receiver.assertValid()
    expect(receiver.events).toHaveLength(2)
    expect(running.reporter.stats()).toMatchObject({ sent: 2, skippedNotAnError: 1, skippedUserStop: 1, failed: 0 })
    expect(messages('debug')).toEqual(
      expect.arrayContaining([
        'telemetry for session session-failed: queued',
        'telemetry for session session-succeeded: not_an_error',
        'telemetry for session session-stopped: user_stop',
      ]),
    )
    expect(running.sessionManager.getSession('session-usage-limit')?.status).toBe('complete')
  })

  it('sends nothing for a webhook without callback headers (self-hosted)', async () => {
    const running = await start()
    expect(await postWebhook(running, {})).toBe(200)
    expect(messages('debug')).toContain('telemetry callback context: absent')

    await completeSession(running, 'session-failed', executionError)
    await running.stop()

    expect(receiver.requests).toHaveLength(0)
    // Kept for a context that never came, then abandoned at shutdown; nothing above debug.
    expect(running.reporter.stats()).toMatchObject({ held: 1, sent: 0, failed: 0 })
    await logs.settle()
    expect(messages('warn', 'error')).toEqual([])
  })

  it('ignores callback headers on a webhook that fails the Bearer check', async () => {
    const running = await start()
    expect(await postWebhook(running, callbackHeaders({ url: receiver.url }), 'wrong-secret')).toBe(401)

    await completeSession(running, 'session-failed', executionError)
    await running.stop()

    expect(receiver.requests).toHaveLength(0)
    expect(running.reporter.stats()).toMatchObject({ held: 1, sent: 0 })
  })

  it('with telemetrySpoolDir (real runs), an event not delivered by stop() stays in that folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-example-'))
    try {
      const spool = join(home, 'telemetry-spool')
      const running = await start({ telemetrySpoolDir: spool, hang: true })
      expect(await postWebhook(running, callbackHeaders({ url: receiver.url }))).toBe(200)
      await completeSession(running, 'session-failed', executionError)
      await receiver.waitForRequests(1)
      await running.stop() // the endpoint never answers: shutdown abandons the event, the spool keeps it
      expect(readdirSync(spool).filter((name) => name.endsWith('.event.json'))).toHaveLength(1)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('stop() is idempotent and removes its SIGTERM handler', async () => {
    const before = process.listenerCount('SIGTERM')
    const running = await start()
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    await Promise.all([running.stop(), running.stop()])
    expect(process.listenerCount('SIGTERM')).toBe(before)
    expect(running.reporter.reportSessionError({ id: 'late' }, executionError).outcome).toBe('disabled')
  })
})
