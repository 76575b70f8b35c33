// Inputs shaped like what cyrus hands the reporter. Each call gets fresh objects: the result is
// JSON.parse'd from a stream-json line (as the Claude SDK produces it, so strings are flat, not
// concatenations), and the session is a new object. The session carries a large `agentRunner`
// with functions, class instances, a Map and a cycle: the reporter must read only the README's
// fields, so anything that walks or serializes the session would show up in every figure.
import { EventEmitter } from 'node:events'

export const TEAM_ID = 'team-4f1c2a9e'
export const CALLBACK_TOKEN = 'cyhost_cb_8d5e2f7a0b3c4d1e9f6a7b8c5d2e0f13'

export function callbackHeaders(url) {
  return {
    'x-cyrus-callback-token': CALLBACK_TOKEN,
    'x-cyrus-callback-url': url,
    'x-cyrus-team-id': TEAM_ID,
    'content-type': 'application/json',
    authorization: 'Bearer linear-forwarding-secret',
  }
}

/** Error texts as the agent runners report them; each is padded to MESSAGE_LENGTH. */
const ERROR_TEXTS = [
  'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50,000 input tokens per minute."}}',
  'Claude AI usage limit reached|1755615600',
  "You've hit your limit · resets 3pm (Europe/Berlin)",
  'API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing."}}',
  'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CUxQ4mZ7"}',
  'Request timed out: no response from the API stream after 600000 ms (ETIMEDOUT)',
  'API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}} sent with Authorization: Bearer sk-ant-api03-Zx9aQ2lT0bS8vK4mN7pR1cY6',
  'Claude Code process exited with code 1: Error: ENOENT: no such file or directory, open /home/cyrus/.cyrus/worktrees/CYPACK-951/package.json',
]

export const MESSAGE_LENGTH = 200

function padded(text, length) {
  const filler = ' (while running tool Bash in /home/cyrus/.cyrus/worktrees/CYPACK-951, turn 12 of 50)'
  let out = text
  while (out.length < length) out += filler
  return out.slice(0, length)
}

/** Result lines: half the Claude `success` + `is_error` shape, half the `errors` shape. */
function resultLine(index) {
  const text = padded(ERROR_TEXTS[index % ERROR_TEXTS.length], MESSAGE_LENGTH)
  const common = {
    type: 'result',
    duration_ms: 81_234 + index,
    duration_api_ms: 60_112,
    num_turns: 12,
    session_id: `0b9f6c3e-5a1d-4e2b-8c7f-${String(index).padStart(12, '0')}`,
    total_cost_usd: 0.4231,
    usage: {
      input_tokens: 18_220,
      output_tokens: 3_114,
      cache_creation_input_tokens: 9_001,
      cache_read_input_tokens: 120_554,
    },
    permission_denials: [],
    uuid: `7d1e2f3a-4b5c-4d6e-8f90-${String(index).padStart(12, '0')}`,
  }
  return JSON.stringify(
    index % 2 === 0
      ? { ...common, subtype: 'success', is_error: true, result: text }
      : { ...common, subtype: 'error_during_execution', is_error: true, errors: [text] },
  )
}

const RESULT_LINES = Array.from({ length: 64 }, (_, index) => resultLine(index))

/** A fresh SDK result message (an error) for call `index`. */
export function freshResult(index) {
  return JSON.parse(RESULT_LINES[index % RESULT_LINES.length])
}

class FakeAgentRunner extends EventEmitter {
  constructor() {
    super()
    this.config = {
      model: 'claude-sonnet-4-5',
      allowedTools: Array.from({ length: 40 }, (_, index) => `mcp__tool_${index}`),
      mcpServers: Object.fromEntries(
        Array.from({ length: 10 }, (_, index) => [`server${index}`, { command: 'npx', args: ['-y', `mcp-${index}`] }]),
      ),
      onMessage: (message) => this.messages.push(message),
    }
    this.messages = Array.from({ length: 500 }, (_, index) => ({
      type: index % 2 ? 'assistant' : 'user',
      content: [{ type: 'text', text: `message ${index} `.repeat(20) }],
    }))
    this.pending = new Map(Array.from({ length: 100 }, (_, index) => [`tool-${index}`, { started: index }]))
    this.abortController = new AbortController()
    this.self = this
  }

  start() {}
  stop() {}
}

/** One large runner shared by the sessions: building it per call would only measure V8. */
const AGENT_RUNNER = new FakeAgentRunner()

/** A fresh CyrusAgentSession for call `index`. */
export function freshSession(index) {
  const session = {
    id: `session-${index}`,
    externalSessionId: `ext-${index}`,
    type: 'comment-thread',
    status: 'active',
    context: 'comment-thread',
    createdAt: Date.now() - 93_500,
    updatedAt: Date.now(),
    issueContext: { trackerId: 'linear', issueId: 'c1a5e0f2-7b3d-4e8a-9f61-2d4c8b7a6e15', issueIdentifier: 'CYPACK-951' },
    workspace: { path: '/home/cyrus/.cyrus/worktrees/CYPACK-951', isGitWorktree: true },
    agentRunner: AGENT_RUNNER,
  }
  session.metadata = { session }
  return session
}
