import { type ILogger, LogLevel } from './cyrus-types.js'

/** The edge worker's logger: cyrus's `ILogger` shape, printed with a component prefix. */
export class ConsoleLogger implements ILogger {
  constructor(
    private readonly component: string,
    private readonly level: LogLevel = LogLevel.INFO,
  ) {}

  debug(message: string, ...args: unknown[]): void {
    if (this.level <= LogLevel.DEBUG) console.debug(`[${this.component}] ${message}`, ...args)
  }

  info(message: string, ...args: unknown[]): void {
    if (this.level <= LogLevel.INFO) console.info(`[${this.component}] ${message}`, ...args)
  }

  warn(message: string, ...args: unknown[]): void {
    if (this.level <= LogLevel.WARN) console.warn(`[${this.component}] ${message}`, ...args)
  }

  error(message: string, ...args: unknown[]): void {
    if (this.level <= LogLevel.ERROR) console.error(`[${this.component}] ${message}`, ...args)
  }
}
