// HTTPS delivery to a loopback TLS receiver whose certificate is signed by a throw-away CA made
// with the openssl CLI at test time: trusted through `extraCaCerts`, refused without it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { TelemetryReporter, type TelemetryOptions } from 'cyrus-telemetry'
import { respond, startReceiver, type Receiver } from './helpers/receiver'
import { testPki } from './helpers/tls'

const TOKEN = 'tls-token-4b1d9e'
const pki = testPki()

let caPem: string
let otherCaPem: string
let leaf: { key: string; cert: string }
let rx: Receiver
const reporters: TelemetryReporter[] = []

beforeAll(async () => {
  caPem = pki.makeCa('test-ca')
  otherCaPem = pki.makeCa('unrelated-ca')
  leaf = pki.makeLeaf('test-ca')
})

afterEach(async () => {
  await Promise.all(reporters.splice(0).map((reporter) => reporter.shutdown(0)))
  await rx?.close()
})

afterAll(() => pki.remove())

async function deliverOver(host: string, options: TelemetryOptions) {
  rx = await startReceiver({ script: [respond(200)], tls: leaf })
  const reporter = new TelemetryReporter({ backoffBaseMs: 50, requestTimeoutMs: 2000, maxAttempts: 2, logger: () => {}, ...options })
  reporters.push(reporter)
  const url = `https://${host}:${rx.port}/cb`
  expect(reporter.setCallbackContext({ callbackToken: TOKEN, callbackUrl: url, teamId: 'team-tls' }).status).toBe('set')
  const outcome = reporter.reportSessionError({ id: 'tls-session' }, { subtype: 'error_during_execution', is_error: true })
  expect(outcome.outcome).toBe('queued')
  const flushed = await reporter.flush(5000)
  return { reporter, flushed, outcome }
}

describe('HTTPS delivery', () => {
  it.each(['localhost', '127.0.0.1'])('a CA given in extraCaCerts is trusted (https://%s)', async (host) => {
    const { reporter, flushed, outcome } = await deliverOver(host, { extraCaCerts: caPem })
    expect(flushed).toEqual({ completed: true, pending: 0 })
    expect(reporter.stats()).toMatchObject({ sent: 1, failed: 0, retried: 0 })
    expect(rx.requests).toHaveLength(1)
    expect(rx.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(rx.requests[0].body.event_id).toBe(outcome.eventId)
  })

  it('without extraCaCerts the private CA is not trusted: failedNetwork, nothing received', async () => {
    const { reporter, flushed } = await deliverOver('127.0.0.1', {})
    expect(flushed).toEqual({ completed: true, pending: 0 })
    expect(reporter.stats()).toMatchObject({ sent: 0, failed: 1, failedNetwork: 1 })
    expect(rx.requests).toHaveLength(0)
  })

  it('trusting an unrelated CA does not trust this one', async () => {
    const { reporter } = await deliverOver('127.0.0.1', { extraCaCerts: otherCaPem })
    expect(reporter.stats()).toMatchObject({ sent: 0, failedNetwork: 1 })
    expect(rx.requests).toHaveLength(0)
  })

  it('extraCaCerts that is not PEM is a TypeError naming the option', () => {
    expect(() => new TelemetryReporter({ extraCaCerts: 'not a certificate' })).toThrow(TypeError)
    expect(() => new TelemetryReporter({ extraCaCerts: 'not a certificate' })).toThrow(/extraCaCerts/)
  })
})
