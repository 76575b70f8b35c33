// configure() on a live reporter applies every option it is given, or throws a TypeError naming
// the one it cannot change live; it never ignores one. Real loopback servers (plain and TLS),
// real spool folders. The module-level reporter that configure() starts after shutdown() keeps
// the options given before, so the tests that name a spoolDir come last.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { configure, flush, reportSessionError, setCallbackContext, shutdown, stats } from 'cyrus-telemetry'
import { after, startCollector } from 'cyrus-telemetry/testing'
import { respond, sleep, startReceiver, type Receiver } from './helpers/receiver'
import { testPki } from './helpers/tls'

const TOKEN = 'configure-token-5c2e'
const quiet = () => {}
const failing = { subtype: 'error_during_execution', is_error: true, errors: ['Claude Code process exited with code 1'] }
const folders: string[] = []
const closers: (() => Promise<void>)[] = []

afterEach(async () => {
  await shutdown(0)
  await Promise.all(closers.splice(0).map((close) => close()))
})
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function folder() {
  const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-configure-'))
  folders.push(dir)
  return join(dir, 'spool')
}

const report = (id: string) => reportSessionError({ id }, failing)

async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** A collector that holds every request until `release()`; counts how many are open at once. */
async function gate() {
  let open = 0
  let peak = 0
  let holding = true
  let openGate = () => {}
  const opened = new Promise<void>((resolve) => (openGate = resolve))
  const rx = await startCollector({
    answers: () => {
      open++
      peak = Math.max(peak, open)
      const answered = (holding ? opened : sleep(30)).then(() => void open--)
      return after(answered)
    },
  })
  closers.push(() => rx.close())
  return {
    url: rx.url,
    held: () => (holding ? open : 0),
    /** Answers the held requests and every later one (each after 30 ms); resets the peak. */
    release() {
      holding = false
      peak = 0
      openGate()
    },
    peak: () => peak,
  }
}

describe('configure() on a live reporter', () => {
  it('lowering maxConcurrency while requests are in flight takes effect as they end', async () => {
    const server = await gate()
    configure({ logger: quiet, maxConcurrency: 4 })
    expect(setCallbackContext({ callbackToken: TOKEN, callbackUrl: server.url, teamId: 'team-c' }).status).toBe('set')
    for (let index = 0; index < 4; index++) report(`in-flight-${index}`)
    await until(() => server.held() === 4)
    configure({ maxConcurrency: 1 })
    for (let index = 0; index < 6; index++) report(`after-${index}`)
    server.release()
    expect(await flush(10_000)).toEqual({ completed: true, pending: 0 })
    expect(stats().sent).toBe(10)
    // Once the four that were in flight have ended, one request at a time is open.
    const followers = await gate()
    followers.release()
    setCallbackContext({ callbackToken: TOKEN, callbackUrl: followers.url, teamId: 'team-c' })
    for (let index = 0; index < 6; index++) report(`later-${index}`)
    expect(await flush(10_000)).toEqual({ completed: true, pending: 0 })
    expect(followers.peak()).toBe(1)
  })

  it('extraCaCerts given after the first send is used for the next one', async () => {
    const pki = testPki()
    closers.push(async () => pki.remove())
    const ca = pki.makeCa('configure-ca')
    const rx: Receiver = await startReceiver({ script: [respond(200)], tls: pki.makeLeaf('configure-ca') })
    closers.push(() => rx.close())
    configure({ logger: quiet, maxAttempts: 1, requestTimeoutMs: 3000 })
    setCallbackContext({ callbackToken: TOKEN, callbackUrl: rx.url, teamId: 'team-c' })
    report('before-the-ca')
    await flush(5000)
    expect(stats()).toMatchObject({ sent: 0, failedNetwork: 1 })
    configure({ extraCaCerts: ca })
    report('after-the-ca')
    expect(await flush(5000)).toEqual({ completed: true, pending: 0 })
    expect(stats()).toMatchObject({ sent: 1, failedNetwork: 1 })
    expect(rx.requests.map((request) => request.body.session_id)).toEqual(['after-the-ca'])
  })

  it('a new allowedHosts drops a captured context whose host it refuses; later events are held', async () => {
    const rx: Receiver = await startReceiver({ script: [respond(200)] })
    closers.push(() => rx.close())
    configure({ logger: quiet })
    setCallbackContext({ callbackToken: TOKEN, callbackUrl: rx.url, teamId: 'team-c' })
    configure({ allowedHosts: ['*.cyrus.app'] })
    expect(report('after-the-list').outcome).toBe('held')
    await flush(1000)
    expect(rx.requests).toHaveLength(0)
    // A list that still allows the host keeps the context.
    configure({ allowedHosts: [] })
    expect(setCallbackContext({ callbackToken: TOKEN, callbackUrl: rx.url, teamId: 'team-c' }).status).toBe('set')
    configure({ allowedHosts: ['127.0.0.1'] })
    expect(report('allowed').outcome).toBe('queued')
    expect(await flush(5000)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests.map((request) => request.body.session_id).sort()).toEqual(['after-the-list', 'allowed'])
  })

  it('a new spoolDir while the spool is open is a TypeError naming spoolDir; the same folder is fine', async () => {
    const first = folder()
    configure({ logger: quiet, spoolDir: first })
    await flush(2000) // the spool is open once flush has waited for it
    expect(() => configure({ spoolDir: first })).not.toThrow()
    expect(() => configure({ spoolDir: folder() })).toThrow(TypeError)
    expect(() => configure({ spoolDir: folder() })).toThrow(/spoolDir/)
    // After shutdown(), configure() starts a fresh reporter, which may use another folder.
    await shutdown(0)
    expect(() => configure({ logger: quiet, spoolDir: folder() })).not.toThrow()
  })

  it('lower spool bounds apply to the open spool at once', async () => {
    const server = await gate()
    const dir = folder()
    configure({ logger: quiet, spoolDir: dir, maxConcurrency: 8 })
    setCallbackContext({ callbackToken: TOKEN, callbackUrl: server.url, teamId: 'team-c' })
    for (let index = 0; index < 5; index++) report(`spooled-${index}`)
    await until(() => server.held() === 5 && stats().spooled === 5)
    const events = () => readdirSync(dir).filter((name) => name.endsWith('.event.json'))
    expect(events()).toHaveLength(5)
    configure({ spoolMaxEvents: 2 })
    // The spool's own thread applies them: wait for it, then the folder holds two.
    await until(() => stats().spoolDropped === 3)
    expect(events()).toHaveLength(2)
  })

})
