// Local copies of the cyrus and Claude Agent SDK types the three call sites use, with their real
// shapes (cyrus-core `CyrusAgentSession` and `ILogger`, `SDKResultMessage` of
// @anthropic-ai/claude-agent-sdk). The type-check proves the addon's index.d.ts accepts these
// exact shapes without casts, as it must accept the originals.

export enum LogLevel {
  DEBUG = 0,
  INFO = 1,
  WARN = 2,
  ERROR = 3,
  SILENT = 4,
}

export interface ILogger {
  debug(message: string, ...args: unknown[]): void
  info(message: string, ...args: unknown[]): void
  warn(message: string, ...args: unknown[]): void
  error(message: string, ...args: unknown[]): void
}

export interface IssueContext {
  /** The issue tracker identifier (e.g. "linear", "github"). */
  trackerId: string
  issueId: string
  /** e.g. "CYPACK-123" */
  issueIdentifier: string
}

export interface IssueMinimal {
  id: string
  identifier: string
  title: string
  description?: string
  branchName: string
}

export interface AgentSessionInfo {
  sessionId: string | null
  startedAt: Date
  isRunning: boolean
}

/** The live runner a session holds (a subset of cyrus-core `IAgentRunner`). */
export interface IAgentRunner {
  readonly supportsStreamingInput: boolean
  start(prompt: string): Promise<AgentSessionInfo>
  stop(): void
  isRunning(): boolean
}

export enum AgentSessionStatus {
  Active = 'active',
  AwaitingInput = 'awaitingInput',
  Complete = 'complete',
  Error = 'error',
  Pending = 'pending',
}

export interface CyrusAgentSession {
  id: string
  externalSessionId?: string
  status: AgentSessionStatus
  createdAt: number
  updatedAt: number
  issueContext?: IssueContext
  /** @deprecated Use issueContext.issueId instead */
  issueId?: string
  issue?: IssueMinimal
  workspace: { path: string; isGitWorktree: boolean }
  claudeSessionId?: string
  agentRunner?: IAgentRunner
  metadata?: { model?: string; totalCostUsd?: number; usage?: unknown }
}

export type NonNullableUsage = {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

export type ModelUsage = {
  inputTokens: number
  outputTokens: number
  cacheReadInputTokens: number
  cacheCreationInputTokens: number
  webSearchRequests: number
  costUSD: number
  contextWindow: number
  maxOutputTokens: number
}

export type SDKPermissionDenial = {
  tool_name: string
  tool_use_id: string
  tool_input: Record<string, unknown>
}

export type SDKResultSuccess = {
  type: 'result'
  subtype: 'success'
  duration_ms: number
  duration_api_ms: number
  is_error: boolean
  num_turns: number
  result: string
  stop_reason: string | null
  total_cost_usd: number
  usage: NonNullableUsage
  modelUsage: Record<string, ModelUsage>
  permission_denials: SDKPermissionDenial[]
  structured_output?: unknown
  uuid: string
  session_id: string
}

export type SDKResultError = {
  type: 'result'
  subtype: 'error_during_execution' | 'error_max_turns' | 'error_max_budget_usd' | 'error_max_structured_output_retries'
  duration_ms: number
  duration_api_ms: number
  is_error: boolean
  num_turns: number
  stop_reason: string | null
  total_cost_usd: number
  usage: NonNullableUsage
  modelUsage: Record<string, ModelUsage>
  permission_denials: SDKPermissionDenial[]
  errors: string[]
  uuid: string
  session_id: string
}

export type SDKResultMessage = SDKResultSuccess | SDKResultError
