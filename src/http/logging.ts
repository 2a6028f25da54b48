import type { FastifyRequest, onResponseHookHandler, RouteOptions } from 'fastify'
import pino from 'pino'
import { INVITATION_PATH } from './invitation-paths.js'

/** What stands in the log for a value that may be a bearer secret. */
const REDACTED = '[redacted]'

/**
 * URLs are logged through an allow-list (docs/operating.md, "Logs"): the route's
 * pattern, with the values of these path parameters (a provider's name, a
 * session or membership id, a group path) and of these query parameters;
 * every other value is `[redacted]`. Invitation ids and codes, OpenID
 * Connect interaction ids, `next` (which may hold any of them, encoded any
 * number of times), OAuth codes and states, request objects: none of them
 * is on a list.
 */
const SHOWN_PARAMS = new Set(['name', 'sid', 'membership', '*'])
const SHOWN_QUERY = new Set([
  'group',
  'who',
  'memberships',
  'cascade',
  'before',
  'limit',
  'client_id',
  'redirect_uri',
  'post_logout_redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'prompt',
  'max_age',
  'display',
  'ui_locales',
  'code_challenge_method',
  'error',
  'error_description',
])
/** Query names that are logged with their value left out; a name on neither list is left out too. */
const NAMED_QUERY = new Set([
  'next',
  'code',
  'state',
  'session_state',
  'iss',
  'nonce',
  'code_challenge',
  'request',
  'request_uri',
  'id_token_hint',
  'login_hint',
  'logout_hint',
  'access_token',
  'id_token',
  // The code a person types at /login/device: whoever reads it could sign a device in as them.
  'user_code',
])

/** A route pattern's path with its parameters' values in place, or redacted. */
type PathOf = (params: Record<string, string | undefined>) => string

const patterns = new Map<string, PathOf>()

function compilePattern(pattern: string): PathOf {
  // Odd entries are the parameters (`:name`, `*`), even ones the text between them.
  const parts = pattern.split(/(:\w+|\*)/)
  if (parts.length === 1) return () => pattern
  return params => {
    let path = ''
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      if (i % 2 === 0) path += part
      else {
        const name = part === '*' ? part : part.slice(1)
        path += SHOWN_PARAMS.has(name) ? (params[name] ?? '') : REDACTED
      }
    }
    return path
  }
}

function queryOf(query: unknown): string {
  let text = ''
  for (const name in query as Record<string, unknown>) {
    const value = (query as Record<string, unknown>)[name]
    let pair: string
    if (SHOWN_QUERY.has(name))
      pair = ([] as unknown[])
        .concat(value)
        .map(v => `${name}=${encodeURIComponent(String(v))}`)
        .join('&')
    else pair = NAMED_QUERY.has(name) ? `${name}=${REDACTED}` : REDACTED
    text += (text ? '&' : '?') + pair
  }
  return text
}

/** The URL of a request as it may be logged: its route's pattern, and only what the allow-lists show. */
function loggableUrl(request: FastifyRequest, pattern: string | undefined): string {
  // A request that matched no route: nothing says what its path holds.
  if (pattern === undefined || request.is404) return REDACTED
  let pathOf = patterns.get(pattern)
  if (!pathOf) patterns.set(pattern, (pathOf = compilePattern(pattern)))
  return pathOf(request.params as Record<string, string | undefined>) + queryOf(request.query)
}

// An error message may quote what the client sent: OAuth callbacks' codes and states, an invitation's path.
const SECRET_QUERY =
  /([?&](?:code|state|session_state|id_token|id_token_hint|access_token|next|request|user_code)=)[^&]*/g

/** A refusal's message with the bearer values it may quote left out. */
function scrubbed(text: string): string {
  if (!text.includes('=') && !text.includes('/access/')) return text
  return text.replace(SECRET_QUERY, `$1${REDACTED}`).replace(INVITATION_PATH, `$1${REDACTED}`)
}

/** How long a log line may wait in the buffer of standard output before it is written. */
const FLUSH_MS = 200

let standardOutput: pino.DestinationStream | null = null

/**
 * Standard output for log lines, one per process: written in the
 * background, a few kilobytes at a time, and at least every {@link FLUSH_MS}
 * (and on exit, by pino). A busy node does not make a write for every line,
 * which at info level cost more than answering /login/check (docs/architecture.md,
 * "Benchmarks").
 */
function bufferedStandardOutput(): pino.DestinationStream {
  if (!standardOutput) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 })
    const flush = setInterval(() => {
      try {
        destination.flush()
      } catch {
        clearInterval(flush) // closed: the process is exiting, and pino has written what was left
      }
    }, FLUSH_MS).unref()
    standardOutput = destination
  }
  return standardOutput
}

/**
 * The server's logger: pino at `level`, to standard output unless a
 * `stream` is given (tests read it); silent when `level` is false. Fastify's
 * own logger stays off: with it on, every request pays for a child logger
 * and the listeners that time it, which cost `/login/check` more than the
 * rest of Fastify's work whether or not anything is logged
 * (docs/architecture.md, "Benchmarks"). Requests log through
 * {@link requestLog}, and {@link logRequestLine} writes their lines.
 */
export function serverLogger(level: string | false, stream?: { write(line: string): void }): pino.Logger {
  if (level === false) return pino({ enabled: false })
  return pino({ level }, stream ?? bufferedStandardOutput())
}

/** Each request's logger, made when it first logs something: most requests never do. */
const requestLoggers = new WeakMap<FastifyRequest, pino.Logger>()

/** The logger of a request: the server's, with the request's `reqId` on every line. */
export function requestLog(request: FastifyRequest): pino.Logger {
  let logger = requestLoggers.get(request)
  if (!logger) {
    logger = request.server.ctx.log.child({ reqId: request.id })
    requestLoggers.set(request, logger)
  }
  return logger
}

/** Why a request was refused (4xx), told by the error handler, logged with the request's line. */
const refusals = new WeakMap<FastifyRequest, { code: string; message: string }>()

export function noteRefusal(request: FastifyRequest, refusal: { code: string; message: string }): void {
  refusals.set(request, { code: refusal.code, message: scrubbed(refusal.message) })
}

/**
 * One line per request, written once it is answered: the method, the URL
 * (through the allow-lists, {@link loggableUrl}), the status, the
 * milliseconds it took, the client's address and, for a refusal, its code
 * and message (only its code when no route matched: the message would quote
 * the path). Flat, so that pino writes it without serializing nested
 * objects. An `onResponse` hook of each route ({@link withRequestLine});
 * what no route hook sees is logged as it is answered
 * ({@link logAnsweredError}).
 */
export const logRequestLine: onResponseHookHandler = (request, reply, done) => {
  writeLine(request, reply.statusCode, reply.elapsedTime)
  done()
}

/**
 * Fastify's `onRoute` hook that gives a route {@link logRequestLine}, but
 * not forward-auth's: a reverse proxy asks it for each request it lets
 * through and logs that request itself, so an allowed check is a line at
 * debug, and its route carries the hook only at debug or lower
 * (src/auth/check.ts; docs/operating.md, "Logs"). Even a hook that writes
 * nothing has every request timed, which cost a check a tenth of its CPU.
 */
export function withRequestLine(route: RouteOptions): void {
  if (route.config?.forProxy) return
  route.onResponse = [...[route.onResponse ?? []].flat(), logRequestLine]
}

/**
 * The line of a request answered with an error where no route hook writes
 * it, as the error is answered: a request that matched no route, or a
 * refused forward-auth check while the level is above debug. Nothing
 * timed these requests, so their lines have no `ms`.
 */
export function logAnsweredError(request: FastifyRequest, status: number): void {
  const route = request.routeOptions
  // Forward-auth's route carries the hook only while debug lines are written (src/auth/check.ts).
  const hooked =
    route.url !== undefined &&
    !request.is404 &&
    (!route.config?.forProxy || request.server.ctx.log.isLevelEnabled('debug'))
  if (!hooked) writeLine(request, status, NaN)
}

function writeLine(request: FastifyRequest, status: number, ms: number): void {
  const route = request.routeOptions
  const level = status < 400 && route.config?.forProxy ? 'debug' : 'info'
  const log = request.server.ctx.log
  if (!log.isLevelEnabled(level)) return
  const url = loggableUrl(request, route.url)
  const refusal = refusals.get(request)
  const line = {
    method: request.method,
    url,
    status,
    ...(Number.isFinite(ms) ? { ms: Math.round(ms * 10) / 10 } : {}),
    ip: request.ip,
    ...(refusal && url === REDACTED ? { code: refusal.code } : refusal),
  }
  requestLog(request)[level](line, 'request completed')
}
