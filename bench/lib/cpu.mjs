// CPU time of the JS (main) thread alone. process.cpuUsage() sums every thread of the process
// (the addon's delivery thread, V8's GC helpers, libuv's pool), so the main thread is read from
// the scheduler: se.sum_exec_runtime in /proc/self/task/<pid>/sched is the main thread's
// on-CPU time with nanosecond resolution (the tick-based utime in .../stat is only 10 ms).
import { readFileSync } from 'node:fs'

const SCHED = `/proc/self/task/${process.pid}/sched`

/**
 * The main thread's CPU time (ms) and how often the scheduler took the CPU away from it while
 * it wanted to run (involuntary switches: time-slicing with other runnable threads); NaN where
 * the kernel does not expose them.
 */
function mainThreadSched() {
  let text = ''
  try {
    text = readFileSync(SCHED, 'utf8')
  } catch {
    // Not Linux, or /proc hidden: the fields below read as NaN and the table says n/a.
  }
  const field = (name) => Number(new RegExp(`${name}\\s*:\\s*([\\d.]+)`).exec(text)?.[1] ?? NaN)
  return { cpuMs: field('se\\.sum_exec_runtime'), preempted: field('nr_involuntary_switches') }
}

/** Whole-process CPU time (all threads, user + system) in ms. */
function processCpuMs() {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Snapshot of the three clocks a burst figure compares. */
export function cpuSnapshot() {
  const main = mainThreadSched()
  return {
    mainMs: main.cpuMs,
    mainPreempted: main.preempted,
    processMs: processCpuMs(),
    elu: performance.eventLoopUtilization(),
  }
}

/** Differences since `before`: main thread CPU and preemptions, process CPU, loop busy (wall) time. */
export function cpuSince(before) {
  const now = cpuSnapshot()
  return {
    mainMs: now.mainMs - before.mainMs,
    mainPreempted: now.mainPreempted - before.mainPreempted,
    processMs: now.processMs - before.processMs,
    loopBusyMs: performance.eventLoopUtilization(now.elu, before.elu).active,
  }
}
