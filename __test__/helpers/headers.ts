// Builders for the callback headers CYHOST adds to forwarded webhooks (README, "Behaviour"), shared by the
// context tests. Values are distinctive so a leaked token is easy to spot in any output.

export const TOKEN_HEADER = 'x-cyrus-callback-token'
export const URL_HEADER = 'x-cyrus-callback-url'
export const TEAM_HEADER = 'x-cyrus-team-id'

export const TOKEN = 'cyt_live_7Qd2kP9xW4mZ8rT1vB6nY3sH5jL0aE'
export const ROTATED_TOKEN = 'cyt_live_R0tat3dN3wT0k3nV4lu3zzQ8'
export const TEAM = 'team-7f3a9c'
export const OTHER_TEAM = 'team-0b1d2e'
export const CALLBACK_URL = 'https://cyhost.example/telemetry/callback'

export interface CallbackValues {
  token: string
  url: string
  team: string
}

/** The three callback headers, lower-case as Node delivers them; defaults for what is not given. */
export function callbackHeaders(values: Partial<CallbackValues> = {}): Record<string, string> {
  return {
    [TOKEN_HEADER]: values.token ?? TOKEN,
    [URL_HEADER]: values.url ?? CALLBACK_URL,
    [TEAM_HEADER]: values.team ?? TEAM,
  }
}

/** The explicit form `setCallbackContext` also accepts. */
export function explicitContext(values: Partial<CallbackValues> = {}) {
  return {
    callbackToken: values.token ?? TOKEN,
    callbackUrl: values.url ?? CALLBACK_URL,
    teamId: values.team ?? TEAM,
  }
}

/** A copy of `headers` without the named keys. */
export function without<T extends Record<string, unknown>>(headers: T, ...names: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name))) as Partial<T>
}

/** The headers of a webhook as Linear (or a self-hosted proxy) sends it: no callback headers. */
export const LINEAR_WEBHOOK_HEADERS: Record<string, string> = {
  host: 'cyrus.internal:3456',
  'content-type': 'application/json; charset=utf-8',
  'content-length': '812',
  'user-agent': 'Linear-Webhook',
  'linear-delivery': '3c2f4b8e-5a1d-4e8b-9c7f-2d6e1a0b9f34',
  'linear-event': 'AgentSessionEvent',
  'linear-signature': '6f1c0b7a9e2d4c8b1a3f5e7d9c0b2a4f6e8d0c1b3a5f7e9d1c3b5a7f9e1d3c5b',
  'accept-encoding': 'gzip',
}
