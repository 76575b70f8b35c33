// Call site 3: start-up and shutdown. The edge worker owns one TelemetryReporter, created with its
// logger in the constructor (where cd4c45a2 wrote `new TelemetryReporter(null)`), hands it to the
// session manager there and to the transport where the transport is created (cyrus:
// `initializeComponents()`, which `start()` calls, in its Linear-mode branch), and awaits
// `reporter.shutdown()` when it stops, including on SIGTERM.
//
// Replaces, in cyrus-edge-worker (cyrus commit cd4c45a2): src/TelemetryReporter.ts and its
// exports from src/index.ts (`TelemetryReporter`, `TelemetryErrorEvent`, `TelemetryErrorType`: a
// public API change), and the context copied from `linearEventTransport.callbackContext` in the
// `event` and `message` listeners.
import type { AddressInfo } from 'node:net'
import { fastify, type FastifyInstance } from 'fastify'
import { TelemetryReporter } from 'cyrus-telemetry'
import { AgentSessionManager } from './AgentSessionManager.js'
import { ConsoleLogger } from './ConsoleLogger.js'
import type { ILogger } from './cyrus-types.js'
import { LinearEventTransport } from './LinearEventTransport.js'

export interface EdgeWorkerConfig {
  /** 0 picks a free port. */
  port: number
  /** CYRUS_API_KEY: the Bearer token forwarded webhooks carry. */
  webhookSecret: string
  /** Default: a ConsoleLogger at info level. */
  logger?: ILogger
  /** Default 127.0.0.1. */
  host?: string
  /**
   * The durable spool (events survive a restart), for real runs only: the CLI's WorkerService
   * sets `join(cyrusHome, 'telemetry-spool')`. Tests leave it unset: they build workers on fake
   * home folders, and a spool there would create real folders on the machine running them.
   */
  telemetrySpoolDir?: string
}

export class EdgeWorker {
  readonly reporter: TelemetryReporter
  readonly sessionManager: AgentSessionManager
  private readonly server: FastifyInstance
  private linearEventTransport: LinearEventTransport | null = null
  private readonly logger: ILogger
  private stopping: Promise<void> | undefined
  private readonly onSigterm = () => {
    this.logger.info('SIGTERM received: stopping the edge worker')
    void this.stop().finally(() => process.exit(0))
  }

  constructor(private readonly config: EdgeWorkerConfig) {
    const { telemetrySpoolDir } = config
    const logger = config.logger ?? new ConsoleLogger('EdgeWorker')
    this.logger = logger
    this.server = fastify({ logger: false })
    this.sessionManager = new AgentSessionManager(logger)
    this.reporter = new TelemetryReporter({ logger, ...(telemetrySpoolDir === undefined ? {} : { spoolDir: telemetrySpoolDir }) })
    this.sessionManager.setTelemetryReporter(this.reporter)
  }

  /** Starts listening; resolves to the webhook URL. */
  async start(): Promise<string> {
    // As cyrus: the routes are registered before the server listens.
    await this.initializeComponents()
    await this.server.listen({ host: this.config.host ?? '127.0.0.1', port: this.config.port })
    process.once('SIGTERM', this.onSigterm)
    const { address, port } = this.server.server.address() as AddressInfo
    return `http://${address}:${port}/webhook`
  }

  /** cyrus's private initializeComponents(), reduced to its Linear-mode branch. */
  private async initializeComponents(): Promise<void> {
    // Linear mode (cyrus: the `else` of `if (this.config.platform === "cli")`), proxy verification.
    this.linearEventTransport = new LinearEventTransport(
      { fastifyServer: this.server, verificationMode: 'proxy', secret: this.config.webhookSecret },
      this.logger,
    )
    this.linearEventTransport.setTelemetryReporter(this.reporter)
    // The listeners no longer copy a callback context: the transport hands it over itself.
    this.linearEventTransport.on('event', () => this.logger.debug('webhook received'))
    this.linearEventTransport.register()
  }

  /** Stops taking webhooks, then gives pending telemetry its bounded time (2 s). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      process.off('SIGTERM', this.onSigterm)
      // cyrus's stop() stops the agent runners, then clears the transport; the reporter's
      // shutdown comes after both.
      this.linearEventTransport = null
      await this.server.close()
      const { completed, pending } = await this.reporter.shutdown()
      if (!completed) this.logger.warn(`telemetry: ${pending} event(s) not delivered before shutdown`)
    })()
    return this.stopping
  }
}

export interface RunningEdgeWorker {
  /** The webhook endpoint, `http://<host>:<port>/webhook`. */
  url: string
  stop(): Promise<void>
  sessionManager: AgentSessionManager
  reporter: TelemetryReporter
}

export async function startEdgeWorker(config: EdgeWorkerConfig): Promise<RunningEdgeWorker> {
  const worker = new EdgeWorker(config)
  const url = await worker.start()
  return { url, stop: () => worker.stop(), sessionManager: worker.sessionManager, reporter: worker.reporter }
}
