// The original TypeScript reporter, as plain JavaScript: the design the addon replaces, kept
// faithful so that the benchmark compares against what cyrus actually ran. Per event it
// classifies by keywords on the lower-cased text, builds the nine-field payload, and starts a
// fetch that nobody awaits (errors swallowed, 10 s abort). Nothing here is optimized on purpose.

function classifyError(resultMessage) {
  if (resultMessage.subtype === 'error_max_turns') return 'max_turns'
  const text = errorText(resultMessage).toLowerCase()
  if (text.includes('rate_limit') || text.includes('rate limit')) return 'rate_limit'
  if (text.includes('billing') || text.includes('quota') || text.includes('insufficient_credits')) return 'billing'
  if (text.includes('max turn') || text.includes('turn limit') || text.includes('turns limit')) return 'max_turns'
  if (text.includes('timeout') || text.includes('timed out') || text.includes('no response')) return 'stall'
  return 'crash'
}

function errorText(resultMessage) {
  if (Array.isArray(resultMessage.errors) && resultMessage.errors.length > 0) {
    return resultMessage.errors.join('; ')
  }
  return typeof resultMessage.result === 'string' ? resultMessage.result.substring(0, 500) : ''
}

function header(headers, name) {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

export class BaselineTelemetryReporter {
  #context = null

  /** Captures the CYHOST callback headers of a forwarded webhook. */
  setCallbackContext(headers) {
    const callbackToken = header(headers, 'x-cyrus-callback-token')
    const callbackUrl = header(headers, 'x-cyrus-callback-url')
    const teamId = header(headers, 'x-cyrus-team-id')
    if (callbackToken && callbackUrl && teamId) {
      this.#context = { callbackToken, callbackUrl, teamId }
    }
  }

  /** Fire and forget: the caller never waits, and a failed POST is silently lost. */
  reportSessionError(session, resultMessage) {
    const context = this.#context
    if (!context) return
    fetch(context.callbackUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${context.callbackToken}` },
      body: JSON.stringify(buildPayload(context.teamId, session, resultMessage)),
      signal: AbortSignal.timeout(10000),
    }).catch(() => {})
  }
}

/**
 * The original nine-field payload. The peer SDKs in the benchmark (posthog-node, @sentry/node)
 * send this same payload, so the comparison is of the transports, not of what is classified.
 */
export function buildPayload(teamId, session, resultMessage) {
  return {
    team_id: teamId,
    event_type: 'agent_session_error',
    error_type: classifyError(resultMessage),
    error_message: errorText(resultMessage),
    issue_id: session.issueContext?.issueId ?? session.issueId,
    issue_identifier: session.issueContext?.issueIdentifier ?? session.issue?.identifier,
    session_id: session.id,
    duration_seconds: Math.round((Date.now() - session.createdAt) / 1000),
    timestamp: new Date().toISOString(),
  }
}
