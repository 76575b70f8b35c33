// Records what a reporter logs through its `(level, message)` logger option. The addon calls the
// logger asynchronously on the JS thread, so tests wait for a line before asserting on the rest.

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
}

export interface LogRecorder {
  lines: LogLine[]
  logger: (level: LogLine['level'], message: string) => void
  /** Resolves once `predicate(lines)` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (lines: LogLine[]) => boolean, timeoutMs?: number): Promise<void>
  /** Lets every log call already queued by the addon reach the logger. */
  settle(): Promise<void>
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 10))

export function recordLogs(): LogRecorder {
  const lines: LogLine[] = []
  return {
    lines,
    logger: (level, message) => {
      lines.push({ level, message })
    },
    async waitFor(predicate, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(lines)) {
        if (Date.now() > deadline) {
          throw new Error(`log lines never matched; got ${JSON.stringify(lines)}`)
        }
        await macrotask()
      }
    },
    async settle() {
      // The addon queues log calls synchronously from the JS thread; two loop turns deliver them.
      await macrotask()
      await macrotask()
    },
  }
}
