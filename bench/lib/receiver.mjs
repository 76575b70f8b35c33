// Starts bench/receiver.mjs in a separate process and talks to it over IPC.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const RECEIVER = fileURLToPath(new URL('../receiver.mjs', import.meta.url))

/** @param {'fast' | 'hang'} mode */
export async function startReceiver(mode) {
  const child = fork(RECEIVER, [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)))
    child.once('message', (message) => resolve(message.port))
  })
  let nextId = 0
  const pending = new Map()
  child.on('message', (message) => {
    pending.get(message.id)?.(message)
    pending.delete(message.id)
  })
  const ask = (request) =>
    new Promise((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      child.send({ ...request, id })
    })
  // The IPC channel would keep the caller alive; it is only referenced while a question waits.
  child.channel.unref()
  const referenced = async (request) => {
    child.channel.ref()
    try {
      return await ask(request)
    } finally {
      if (pending.size === 0) child.channel.unref()
    }
  }
  return {
    url: `http://127.0.0.1:${port}/cb`,
    /** Requests received so far. */
    count: () => referenced({ count: true }),
    /**
     * Resolves with `{ count, atMs }` once `n` requests arrived, or with the count so far
     * (`timedOut: true`) after `timeoutMs`.
     */
    async waitFor(n, timeoutMs) {
      let timer
      const late = new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs, null)
      })
      const reached = await Promise.race([referenced({ waitFor: n }), late])
      clearTimeout(timer)
      return reached ?? { ...(await referenced({ count: true })), timedOut: true }
    },
    close() {
      child.kill()
    },
  }
}
