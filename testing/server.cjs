'use strict'
// What both collectors share: listening on 127.0.0.1, tracking sockets so that close() ends hung
// exchanges and idle keep-alive connections, and promises that wait for a count.

const HOST = '127.0.0.1'

function listen(server, backlog = 511) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host: HOST, backlog }, () => {
      server.off('error', reject)
      resolve(server.address())
    })
  })
}

/** Tracks every raw TCP socket (also under TLS); `closeAll` destroys them and closes the server. */
function trackSockets(server) {
  const sockets = new Set()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // A client giving up on a hung answer resets its socket; that is expected here.
    socket.on('error', () => {})
  })
  server.on('clientError', (_error, socket) => socket.destroy())
  return {
    get size() {
      return sockets.size
    },
    closeAll(target) {
      const closed = new Promise((resolve) => target.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      return closed
    },
  }
}

/**
 * Promises resolved when a condition holds. `check()` is called after every change; each waiter
 * rejects with its message after `timeoutMs`, or at `close()`.
 */
function waiters() {
  const pending = new Set()
  let closed = false
  return {
    check() {
      for (const waiter of pending) waiter.test()
    },
    /**
     * Resolves with `value()` once `current()` reaches `count` `noun`s; the message of its
     * timeout says how far it got (`describe()`).
     */
    count(noun, count, current, timeoutMs, value, describe) {
      return this.until(() => current() >= count, timeoutMs, value, () => `expected ${count} ${noun}(s) within ${timeoutMs} ms, got ${describe()}`)
    },
    until(condition, timeoutMs, value, message) {
      return new Promise((resolve, reject) => {
        if (closed) return reject(new Error(`the collector is closed: ${message()}`))
        const waiter = {
          test() {
            if (!condition()) return
            finish()
            resolve(value())
          },
          fail(reason) {
            finish()
            reject(new Error(reason))
          },
        }
        const timer = setTimeout(() => waiter.fail(message()), timeoutMs)
        const finish = () => {
          clearTimeout(timer)
          pending.delete(waiter)
        }
        pending.add(waiter)
        waiter.test()
      })
    },
    async close(closeServer) {
      closed = true
      for (const waiter of pending) waiter.fail('the collector was closed while a wait was pending')
      await closeServer()
    },
  }
}

module.exports = { HOST, listen, trackSockets, waiters }
