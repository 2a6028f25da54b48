import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

/**
 * A request's logger that becomes pino's child (with the request id) only
 * when something is logged through it. pino makes a child by serialising
 * its bindings, which cost every `/login/check` more than the rest of
 * Fastify's logging while nearly all of them log nothing (docs/operating.md,
 * "Logs"); the level is read from the parent until then.
 */
class RequestLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | null = null

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private made(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options)
    return this.real
  }

  get level(): string {
    return this.real?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.made().level = level
  }

  fatal(...args: unknown[]): void {
    call(this.made(), 'fatal', args)
  }

  error(...args: unknown[]): void {
    call(this.made(), 'error', args)
  }

  warn(...args: unknown[]): void {
    call(this.made(), 'warn', args)
  }

  info(...args: unknown[]): void {
    call(this.made(), 'info', args)
  }

  debug(...args: unknown[]): void {
    call(this.made(), 'debug', args)
  }

  trace(...args: unknown[]): void {
    call(this.made(), 'trace', args)
  }

  silent(...args: unknown[]): void {
    call(this.made(), 'silent', args)
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.made().child(bindings, options)
  }
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Methods on the prototype, not closures per request: the child's method, called on it with the arguments given. */
function call(logger: FastifyBaseLogger, level: Level, args: unknown[]): void {
  ;(logger[level] as (...args: unknown[]) => void).apply(logger, args)
}

/** Fastify's `childLoggerFactory`: each request's logger is a {@link RequestLogger}. */
export const requestLoggers: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  new RequestLogger(logger, bindings, options)
