// The suite's loopback receiver is the package's own test collector (cyrus-telemetry/testing):
// the names the suites use, over it. Nothing is mocked: the addon's HTTP client talks to a
// node:http server on 127.0.0.1.
import {
  startCollector,
  type Answer,
  type Collector,
  type CollectorOptions,
  type RecordedRequest,
} from 'cyrus-telemetry/testing'

export { hang, redirect, refusedPort, reset, respond, stallBody } from 'cyrus-telemetry/testing'
export type { RecordedRequest }

/** How the receiver answers one request. */
export type Behaviour = Answer

/** A list played in order (its last entry repeats once exhausted), or a function of the 0-based index. */
export type Script = Behaviour[] | ((index: number) => Behaviour)

export type Receiver = Collector

export interface ReceiverOptions extends Omit<CollectorOptions, 'answers'> {
  script?: Script | undefined
}

export function startReceiver({ script, ...options }: ReceiverOptions = {}): Promise<Receiver> {
  const answers = typeof script === 'function' ? (request: RecordedRequest) => script(request.index) : script
  return startCollector({ ...options, ...(answers === undefined || answers.length === 0 ? {} : { answers }) })
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
