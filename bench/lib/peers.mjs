// The two telemetry SDKs the addon is compared with, each sending the original nine-field
// payload (baseline/reporter.mjs's buildPayload) to the same receiver, each with its defaults
// except where a default would drop events of the figure (noted at the setting).
import { buildPayload } from '../baseline/reporter.mjs'
import { TEAM_ID } from './fixtures.mjs'

export const PEERS = ['posthog', 'sentry']

/** A peer client pointed at the receiver's origin; `report` sends one event. */
export async function createPeer(impl, url) {
  const origin = new URL(url).origin
  if (impl === 'posthog') {
    const { PostHog } = await import('posthog-node')
    // Defaults: batches of up to 100 events, gzip, a flush every 20 events or 10 s.
    const client = new PostHog('phc_cyrus_telemetry_bench', { host: origin })
    return {
      report(session, result) {
        const properties = buildPayload(TEAM_ID, session, result)
        client.capture({ distinctId: TEAM_ID, event: properties.event_type, properties })
      },
      stop: () => client.shutdown(),
    }
  }
  if (impl === 'sentry') {
    const Sentry = await import('@sentry/node')
    Sentry.init({
      dsn: `${origin.replace('://', '://bench@')}/1`,
      // The default transport buffer holds 64 requests and drops the rest ("queue_overflow"):
      // a burst of thousands of events needs more for every event to be delivered.
      transportOptions: { bufferSize: 100_000 },
    })
    return {
      report(session, result) {
        const payload = buildPayload(TEAM_ID, session, result)
        Sentry.captureEvent({ message: payload.error_message, level: 'error', tags: { error_type: payload.error_type }, extra: payload })
      },
      stop: () => Sentry.close(2000),
    }
  }
  throw new Error(`unknown peer ${impl}`)
}

/** cyrus's LogLevel (packages/core): what `ILogger.getLevel()` returns. */
export const LogLevel = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, SILENT: 4 }

/**
 * A logger shaped like cyrus's ILogger at its default level (INFO), writing nowhere: the cost the
 * figures see is the reporter calling into it, not a terminal. `lines` counts what reached it.
 */
export function cyrusLogger(level = LogLevel.INFO) {
  const logger = { lines: 0 }
  for (const [name, value] of [['debug', LogLevel.DEBUG], ['info', LogLevel.INFO], ['warn', LogLevel.WARN], ['error', LogLevel.ERROR]]) {
    logger[name] = (message) => {
      if (value >= level && typeof message === 'string') logger.lines++
    }
  }
  logger.getLevel = () => level
  logger.setLevel = (next) => {
    level = next
  }
  logger.withContext = () => logger
  return logger
}
