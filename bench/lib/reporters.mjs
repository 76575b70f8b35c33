// The implementations behind one shape, so each figure runs the same code for all of them: the
// addon, the original TypeScript reporter (baseline) and two telemetry SDKs (lib/peers.mjs).
import { BaselineTelemetryReporter } from '../baseline/reporter.mjs'
import { loadAddon } from './addon.mjs'
import { callbackHeaders } from './fixtures.mjs'
import { createPeer, cyrusLogger, PEERS } from './peers.mjs'

export const IMPLEMENTATIONS = ['addon', 'baseline', ...PEERS]

/**
 * No reporter at all: the same harness with the report call left out. Its figures are the floor
 * that the machine and the harness alone produce (on a shared 2-core VM the event loop sees
 * delays of a few ms with nothing to do), against which the addon's figures are read.
 */
export const CONTROL = 'control'

/**
 * A reporter with its callback context set to `url`. `options` go to the addon's constructor
 * (the others have none); the addon gets a cyrus-shaped logger at INFO unless `options.logger`
 * says otherwise, as the edge worker would run it. `report` returns the addon's outcome, or
 * undefined for the others.
 */
export async function createReporter(impl, url, options = {}) {
  if (impl === CONTROL) return { report: () => undefined }
  if (PEERS.includes(impl)) return createPeer(impl, url)
  if (impl === 'baseline') {
    const reporter = new BaselineTelemetryReporter()
    reporter.setCallbackContext(callbackHeaders(url))
    return { reporter, report: (session, result) => reporter.reportSessionError(session, result) }
  }
  if (impl !== 'addon') throw new Error(`unknown implementation ${impl}`)
  const addon = loadAddon()
  const reporter = new addon.TelemetryReporter({ logger: cyrusLogger(), ...options })
  const { status, reason } = reporter.setCallbackContext(callbackHeaders(url))
  if (status !== 'set') throw new Error(`callback context ${status}: ${reason}`)
  return { reporter, addon, report: (session, result) => reporter.reportSessionError(session, result) }
}

/** Counts outcomes, so a figure can show that its events really were queued. */
export function outcomeCounter() {
  const counts = {}
  return {
    add(outcome) {
      const key = outcome?.outcome ?? 'fired'
      counts[key] = (counts[key] ?? 0) + 1
    },
    counts,
  }
}
