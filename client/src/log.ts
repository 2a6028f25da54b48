/**
 * Where the client library reports its connection state. Pino-compatible
 * (`app.log` of a Fastify app fits as it is); `false` silences it.
 */
export interface LoginLogger {
  debug?(data: object, message: string): void
  info(data: object, message: string): void
  warn(data: object, message: string): void
  error(data: object, message: string): void
}

function line(data: object, message: string): string {
  const detail = Object.keys(data).length ? ` ${JSON.stringify(data)}` : ''
  return `modular-login-client: ${message}${detail}`
}

/** Writes warnings and errors to stderr and the rest to stdout, one line each. */
export const consoleLogger: LoginLogger = {
  info: (data, message) => console.log(line(data, message)),
  warn: (data, message) => console.warn(line(data, message)),
  error: (data, message) => console.error(line(data, message)),
}

/** Says nothing (`logger: false`). */
export const silentLogger: LoginLogger = { info() {}, warn() {}, error() {} }

/**
 * The logger the library writes to: the one the app gave (`false`: none),
 * else the console until a framework offers its own (the Fastify plugin
 * offers `app.log`).
 */
export class LoggerSwitch implements LoginLogger {
  private target: LoginLogger

  constructor(private readonly chosen: LoginLogger | false | undefined) {
    this.target = chosen === false ? silentLogger : (chosen ?? consoleLogger)
  }

  /** Writes to `log` from now on, unless the app chose a logger itself. */
  offer(log: LoginLogger): void {
    if (this.chosen === undefined) this.target = log
  }

  debug(data: object, message: string): void {
    this.target.debug?.(data, message)
  }
  info(data: object, message: string): void {
    this.target.info(data, message)
  }
  warn(data: object, message: string): void {
    this.target.warn(data, message)
  }
  error(data: object, message: string): void {
    this.target.error(data, message)
  }
}
