// How many telemetry events one POST carries, for each client under test: the receiver counts
// events, not requests, so that a batching client (posthog-node) and one-event-per-POST clients
// (the addon, the baseline, @sentry/node) are compared on the same unit.
import { gunzipSync } from 'node:zlib'

const GZIP = /^content-encoding:\s*gzip\s*$/im
// posthog-node: POST /batch/ with `{ api_key, batch: [...] }`.
const POSTHOG_BATCH = /^POST \/batch\//
// @sentry/node: POST /api/<project>/envelope/, one item header per item; client reports (what
// the SDK dropped, and why) travel in envelopes of their own and are not events.
const SENTRY_ENVELOPE = /^POST \/api\/\d+\/envelope\//
const SENTRY_EVENT_ITEM = '{"type":"event"'

/** @param {string} head the request head (latin1) @param {Buffer} body the decoded body */
export function eventsInRequest(head, body) {
  if (POSTHOG_BATCH.test(head)) {
    const json = GZIP.test(head) ? gunzipSync(body) : body
    return JSON.parse(json.toString('utf8')).batch.length
  }
  if (SENTRY_ENVELOPE.test(head)) {
    return body.includes(SENTRY_EVENT_ITEM) ? 1 : 0
  }
  return 1
}
