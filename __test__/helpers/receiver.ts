// A real loopback HTTP receiver whose answer to each request is scripted, for delivery tests.
// Nothing is mocked: the addon's HTTP client talks to a node:http server on 127.0.0.1.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'

/** How the receiver answers one request. */
export type Behaviour =
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string }
  /** Reads the request, then never answers (the socket stays open until close()). */
  | { kind: 'hang' }
  /** Sends the status line and headers, then never sends the body nor ends the response. */
  | { kind: 'stallBody'; status: number }
  /** Reads the request, then destroys the socket without answering. */
  | { kind: 'reset' }
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307 | 308; location: string }

export const respond = (status: number, headers?: Record<string, string>, body?: string): Behaviour => ({
  kind: 'respond',
  status,
  headers,
  body,
})
export const hang = (): Behaviour => ({ kind: 'hang' })
export const stallBody = (status = 200): Behaviour => ({ kind: 'stallBody', status })
export const reset = (): Behaviour => ({ kind: 'reset' })
export const redirect = (status: 301 | 302 | 303 | 307 | 308, location: string): Behaviour => ({
  kind: 'redirect',
  status,
  location,
})

/**
 * A script: a list played in order (its last entry repeats once exhausted), or a function of
 * the request's 0-based index.
 */
export type Script = Behaviour[] | ((index: number) => Behaviour)

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** The raw body text, byte for byte as received (as UTF-8). */
  rawBody: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: any
  /** `performance.now()` when the request head arrived. */
  at: number
}

export interface Receiver {
  /** `http://127.0.0.1:<port>/cb` (or https:// for a TLS receiver). */
  url: string
  port: number
  requests: RecordedRequest[]
  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>
  /** Closes the server and destroys every open socket, so hanging answers never block. */
  close(): Promise<void>
}

export interface ReceiverOptions {
  script?: Script
  /** TLS key and certificate (PEM): the receiver then speaks HTTPS. */
  tls?: { key: string; cert: string }
}

function behaviourFor(script: Script, index: number): Behaviour {
  if (typeof script === 'function') return script(index)
  if (script.length === 0) return respond(200)
  return script[Math.min(index, script.length - 1)]
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function play(behaviour: Behaviour, res: ServerResponse, socket: Socket): void {
  switch (behaviour.kind) {
    case 'respond':
      res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers })
      res.end(behaviour.body ?? '{}')
      return
    case 'hang':
      return
    case 'stallBody':
      // flushHeaders sends the head now; the body never follows.
      res.writeHead(behaviour.status, { 'content-type': 'application/json', 'content-length': '1000' })
      res.flushHeaders()
      return
    case 'reset':
      socket.destroy()
      return
    case 'redirect':
      res.writeHead(behaviour.status, { location: behaviour.location })
      res.end()
      return
  }
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const script: Script = options.script ?? [respond(200)]
  // Indexed by arrival order; a slot is filled once its body has been read.
  const slots: (RecordedRequest | undefined)[] = []
  let arrivals = 0
  const sockets = new Set<Socket>()
  const waiters = new Set<() => boolean>()

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const at = performance.now()
    const index = arrivals++
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      slots[index] = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawBody,
        body: parseJson(rawBody),
        at,
      }
      for (const wake of waiters) wake()
      play(behaviourFor(script, index), res, req.socket)
    })
  }

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createServer(handler)
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  // The raw TCP socket, also under TLS: destroying it ends any hung exchange.
  server.on('connection', track)
  // A client hanging up on a hung response must not crash the test process.
  server.on('clientError', (_error, socket) => socket.destroy())

  const host = '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as AddressInfo).port
  const scheme = options.tls ? 'https' : 'http'

  const complete = () => slots.filter((request): request is RecordedRequest => request !== undefined)

  return {
    url: `${scheme}://${host}:${port}/cb`,
    port,
    get requests() {
      return complete()
    },
    waitForRequests(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const done = complete()
          if (done.length < count) return false
          clearTimeout(timer)
          waiters.delete(check)
          resolve(done)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`expected ${count} request(s) within ${timeoutMs} ms, got ${complete().length}`))
        }, timeoutMs)
        if (!check()) waiters.add(check)
      })
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A loopback port nothing listens on: bound, then released. */
export async function refusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
