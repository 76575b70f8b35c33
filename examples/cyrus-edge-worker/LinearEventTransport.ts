// Call site 1: the webhook route. In proxy mode the control plane forwards Linear webhooks with
// `Authorization: Bearer <CYRUS_API_KEY>` and, on hosted droplets, the three x-cyrus-callback-*
// headers that tell the reporter where to send telemetry.
import { EventEmitter } from 'node:events'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TelemetryReporter } from 'cyrus-telemetry'
import type { ILogger } from './cyrus-types.js'

export interface LinearEventTransportConfig {
  fastifyServer: FastifyInstance
  verificationMode: 'proxy'
  /** CYRUS_API_KEY: the Bearer token the control plane sends. */
  secret: string
}

export class LinearEventTransport extends EventEmitter {
  private telemetryReporter: TelemetryReporter | undefined

  constructor(
    private readonly config: LinearEventTransportConfig,
    private readonly logger: ILogger,
  ) {
    super()
  }

  setTelemetryReporter(reporter: TelemetryReporter): void {
    this.telemetryReporter = reporter
  }

  register(): void {
    this.config.fastifyServer.post('/linear-webhook', (request, reply) => this.handleProxyWebhook(request, reply))
  }

  private async handleProxyWebhook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.headers.authorization !== `Bearer ${this.config.secret}`) {
      await reply.code(401).send({ error: 'Invalid authorization token' })
      return
    }
    // Only after the Bearer check: an unauthenticated request must never choose where telemetry
    // goes or which token it carries. Self-hosted installs get `absent`, which is silent.
    if (this.telemetryReporter) {
      const { status, reason } = this.telemetryReporter.setCallbackContext(request.headers)
      this.logger.debug(`telemetry callback context: ${status}${reason ? ` (${reason})` : ''}`)
    }
    this.emit('event', request.body)
    await reply.code(200).send({ success: true })
  }
}
