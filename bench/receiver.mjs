// The callback endpoint, in its own process so that its work never counts against the reporter
// being measured. Started by lib/receiver.mjs with an IPC channel.
//   node receiver.mjs fast   answers every POST with 200 at once (keep-alive)
//   node receiver.mjs hang   reads every POST and never answers
// It speaks just enough HTTP/1.1 over node:net (request head, Content-Length body, keep-alive,
// pipelining) to cost a few µs per request: node:http spends ~30-50 µs per request, which
// would make the receiver, not the reporter, the limit of the throughput figure on two cores.
// A request counts once its body has fully arrived.
// The parent asks `{ id, waitFor: n }` and is answered `{ id, count, atMs, cpuMs }` when n
// requests have arrived (atMs: timeOrigin + now(), comparable across processes; cpuMs: the
// receiver's own CPU time, to see whether it is the bottleneck); `{ id, count: true }` answers
// at once.
import { createServer } from 'node:net'

const mode = process.argv[2]
if (mode !== 'fast' && mode !== 'hang') throw new Error(`unknown receiver mode ${mode}`)

const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')
const HEAD_END = Buffer.from('\r\n\r\n')
const CONTENT_LENGTH = /^content-length:\s*(\d+)\s*$/im

let count = 0
const waiters = []
const now = () => performance.timeOrigin + performance.now()
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const state = () => ({ count, atMs: now(), cpuMs: cpuMs() })

function answerWaiters() {
  for (let index = waiters.length - 1; index >= 0; index--) {
    if (count >= waiters[index].waitFor) {
      process.send({ id: waiters[index].id, ...state() })
      waiters.splice(index, 1)
    }
  }
}

/** Consumes complete requests from the front of `buffer`; returns the unconsumed rest. */
function consumeRequests(socket, buffer) {
  let replies = 0
  for (;;) {
    const headEnd = buffer.indexOf(HEAD_END)
    if (headEnd < 0) break
    const head = buffer.toString('latin1', 0, headEnd)
    const length = CONTENT_LENGTH.exec(head)
    if (!length && /^transfer-encoding:/im.test(head)) {
      // Both clients under test send Content-Length; anything else must not pass unnoticed.
      process.stderr.write('receiver: chunked request bodies are not supported\n')
      socket.destroy()
      return Buffer.alloc(0)
    }
    const end = headEnd + HEAD_END.length + (length ? Number(length[1]) : 0)
    if (buffer.length < end) break
    buffer = buffer.subarray(end)
    count++
    replies++
  }
  if (replies > 0) {
    if (waiters.length > 0) answerWaiters()
    if (mode === 'fast') socket.write(replies === 1 ? OK : Buffer.concat(Array(replies).fill(OK)))
  }
  return buffer
}

const server = createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    pending = consumeRequests(socket, pending.length === 0 ? chunk : Buffer.concat([pending, chunk]))
  })
  // A client that gives up on a hanging answer resets its socket; that is expected here.
  socket.on('error', () => {})
})

process.on('message', (message) => {
  if (message.count === true) process.send({ id: message.id, ...state() })
  else {
    waiters.push(message)
    answerWaiters()
  }
})
// The parent going away (even killed) must not leave a receiver behind.
process.on('disconnect', () => process.exit(0))

// A deep accept backlog: the baseline opens one connection per event in a burst.
server.listen({ port: 0, host: '127.0.0.1', backlog: 65_535 }, () => process.send({ port: server.address().port }))
