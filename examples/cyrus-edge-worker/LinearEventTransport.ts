// Call site 1: the webhook route. In proxy mode the control plane forwards Linear webhooks with
// `Authorization: Bearer <CYRUS_API_KEY>` and, on hosted droplets, the three x-cyrus-callback-*
// headers that tell the reporter where to send telemetry.
//
// Replaces, in cyrus-linear-event-transport (cyrus commit cd4c45a2): the private
// `extractCallbackContext(request)` called after the Bearer check, the `_callbackContext` field
// and its `callbackContext` getter, and the `TelemetryCallbackContext` type (types.ts and its
// export from index.ts). The transport depends on the one-method type alone, not on the class.
import { EventEmitter } from 'node:events'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CallbackContextSink } from 'cyrus-telemetry'
import type { ILogger } from './cyrus-types.js'

export interface LinearEventTransportConfig {
  fastifyServer: FastifyInstance
  verificationMode: 'proxy'
  /** CYRUS_API_KEY: the Bearer token the control plane sends. */
  secret: string
}

export class LinearEventTransport extends EventEmitter {
  private telemetryReporter: CallbackContextSink | undefined

  constructor(
    private readonly config: LinearEventTransportConfig,
    private readonly logger: ILogger,
  ) {
    super()
  }

  /** Set by EdgeWorker right after it creates the transport (initializeComponents(), Linear mode only). */
  setTelemetryReporter(reporter: CallbackContextSink): void {
    this.telemetryReporter = reporter
  }

  register(): void {
    this.config.fastifyServer.post('/webhook', (request, reply) => this.handleProxyWebhook(request, reply))
  }

  private async handleProxyWebhook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.headers.authorization !== `Bearer ${this.config.secret}`) {
      await reply.code(401).send({ error: 'Invalid authorization token' })
      return
    }
    // Where cd4c45a2 called `this.extractCallbackContext(request)`: only after the Bearer check,
    // so an unauthenticated request never chooses where telemetry goes or which token it
    // carries. Every webhook is handed over (a rotated token arrives on a later one); self-hosted
    // installs get `absent`, which is silent.
    if (this.telemetryReporter) {
      const { status, reason } = this.telemetryReporter.setCallbackContext(request.headers)
      this.logger.debug(`telemetry callback context: ${status}${reason ? ` (${reason})` : ''}`)
    }
    this.emit('event', request.body)
    await reply.code(200).send({ success: true })
  }
}
