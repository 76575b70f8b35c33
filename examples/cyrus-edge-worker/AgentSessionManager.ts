// Call site 2: session completion. Every completed session goes to the reporter, which decides
// what is an error: cyrus marks a session failed only when `subtype !== "success"`, and that
// misses the `is_error: true` results (usage limits, API errors) Claude Code reports as success.
//
// Replaces, in cyrus-edge-worker's AgentSessionManager (cyrus commit cd4c45a2): the
// `if (status === AgentSessionStatus.Error) this.reportSessionError(…)` call and the private
// `reportSessionError`, `classifyErrorType` and `extractErrorMessage` methods. The
// `setTelemetryReporter` method stays, now typed with the addon's class.
import type { TelemetryReporter } from 'cyrus-telemetry'
import {
  type CyrusAgentSession,
  type IAgentRunner,
  type ILogger,
  type IssueContext,
  type SDKResultMessage,
  AgentSessionStatus,
} from './cyrus-types.js'

export class AgentSessionManager {
  private readonly sessions = new Map<string, CyrusAgentSession>()
  /** Sessions explicitly stopped by the user. */
  private readonly stopRequestedSessions = new Set<string>()
  private telemetryReporter: TelemetryReporter | undefined

  constructor(private readonly logger: ILogger) {}

  setTelemetryReporter(reporter: TelemetryReporter): void {
    this.telemetryReporter = reporter
  }

  createSession(id: string, agentRunner: IAgentRunner, issueContext?: IssueContext): CyrusAgentSession {
    const now = Date.now()
    const session: CyrusAgentSession = {
      id,
      status: AgentSessionStatus.Active,
      createdAt: now,
      updatedAt: now,
      workspace: { path: `/tmp/cyrus-workspaces/${id}`, isGitWorktree: true },
      agentRunner,
      ...(issueContext ? { issueContext } : {}),
    }
    this.sessions.set(id, session)
    return session
  }

  getSession(id: string): CyrusAgentSession | undefined {
    return this.sessions.get(id)
  }

  requestSessionStop(id: string): void {
    this.stopRequestedSessions.add(id)
  }

  async completeSession(sessionId: string, resultMessage: SDKResultMessage): Promise<void> {
    const session = this.sessions.get(sessionId)
    if (!session) {
      this.logger.error(`No session found: ${sessionId}`)
      return
    }
    const wasStopRequested = this.stopRequestedSessions.delete(sessionId)
    const status = wasStopRequested
      ? AgentSessionStatus.Error
      : resultMessage.subtype === 'success'
        ? AgentSessionStatus.Complete
        : AgentSessionStatus.Error

    // Synchronous, never throws, never waits on the network: no try/catch, no await.
    const telemetry = this.telemetryReporter?.reportSessionError(session, resultMessage, {
      stopRequested: wasStopRequested,
    })
    if (telemetry) this.logger.debug(`telemetry for session ${sessionId}: ${telemetry.outcome}`)

    await this.updateSessionStatus(session, status, resultMessage.total_cost_usd)
    if (wasStopRequested) {
      this.logger.info(`Session ${sessionId} was stopped by user`)
      return
    }
    this.logger.info(`Session ${sessionId} completed (subtype: ${resultMessage.subtype})`)
  }

  private async updateSessionStatus(session: CyrusAgentSession, status: AgentSessionStatus, totalCostUsd: number): Promise<void> {
    session.status = status
    session.updatedAt = Date.now()
    session.metadata = { ...session.metadata, totalCostUsd }
  }
}
