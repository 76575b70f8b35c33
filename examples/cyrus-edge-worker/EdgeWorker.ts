// Call site 3: start-up and shutdown. The edge worker owns one TelemetryReporter, created with its
// logger, hands it to the transport and the session manager (the shape of the original
// `setTelemetryReporter`), and awaits `reporter.shutdown()` when it stops, including on SIGTERM.
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
  /** Folder for the durable spool (events survive a restart), e.g. ~/.cyrus/telemetry-spool. */
  spoolDir?: string
}

export class EdgeWorker {
  readonly reporter: TelemetryReporter
  readonly sessionManager: AgentSessionManager
  private readonly server: FastifyInstance
  private readonly transport: LinearEventTransport
  private readonly logger: ILogger
  private stopping: Promise<void> | undefined
  private readonly onSigterm = () => {
    this.logger.info('SIGTERM received: stopping the edge worker')
    void this.stop().finally(() => process.exit(0))
  }

  constructor(private readonly config: EdgeWorkerConfig) {
    const { spoolDir } = config
    const logger = config.logger ?? new ConsoleLogger('EdgeWorker')
    this.logger = logger
    this.reporter = new TelemetryReporter({ logger, ...(spoolDir === undefined ? {} : { spoolDir }) })
    this.server = fastify({ logger: false })
    this.transport = new LinearEventTransport(
      { fastifyServer: this.server, verificationMode: 'proxy', secret: config.webhookSecret },
      logger,
    )
    this.transport.setTelemetryReporter(this.reporter)
    this.sessionManager = new AgentSessionManager(logger)
    this.sessionManager.setTelemetryReporter(this.reporter)
  }

  /** Starts listening; resolves to the webhook URL. */
  async start(): Promise<string> {
    this.transport.register()
    await this.server.listen({ host: this.config.host ?? '127.0.0.1', port: this.config.port })
    process.once('SIGTERM', this.onSigterm)
    const { address, port } = this.server.server.address() as AddressInfo
    return `http://${address}:${port}/linear-webhook`
  }

  /** Stops taking webhooks, then gives pending telemetry its bounded time (2 s). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      process.off('SIGTERM', this.onSigterm)
      await this.server.close()
      const { completed, pending } = await this.reporter.shutdown()
      if (!completed) this.logger.warn(`telemetry: ${pending} event(s) not delivered before shutdown`)
    })()
    return this.stopping
  }
}

export interface RunningEdgeWorker {
  /** The webhook endpoint, `http://<host>:<port>/linear-webhook`. */
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
