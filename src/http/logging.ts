import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import pino from 'pino'
import { INVITATION_PATH } from './invitation-paths.js'

// OAuth callbacks carry the authorization code and state in the query (RP-initiated logout an ID token, the device
// page a user code, also percent-encoded inside a `next`), and invitation pages carry the invitation's id or short
// code in the path: all bearer secrets, never logged.
const SECRET_QUERY = /([?&](?:code|state|session_state|id_token|id_token_hint|access_token|user_code)=)[^&]*/g
const ENCODED_USER_CODE = /((?:%3F|%26)user_code%3D)(?:(?!%26)[^&])*/gi

/** A URL (or a message that quotes one) with its bearer secrets left out. */
function loggable(text: string): string {
  // Only a query or an invitation path can carry one: most URLs (forward-auth's) are kept as they are, unsearched.
  if (!text.includes('=') && !text.includes('/access/')) return text
  return text.replace(SECRET_QUERY, '$1…').replace(ENCODED_USER_CODE, '$1…').replace(INVITATION_PATH, '$1…')
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

/** The server's logger: pino at `level`, to standard output unless a `stream` is given (tests read it). */
export function loggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level,
    stream: stream ?? bufferedStandardOutput(),
    // No headers are logged at all (the request is logged as method, URL and address; the reply as its status), so
    // cookies and credentials need no redaction pass on every line.
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: loggable(request.url),
        remoteAddress: request.ip,
      }),
    },
  }
}

/** Why a request was refused (4xx), told by the error handler, logged with the request's line. */
const refusals = new WeakMap<FastifyRequest, { code: string; message: string }>()

export function noteRefusal(request: FastifyRequest, refusal: { code: string; message: string }): void {
  refusals.set(request, { code: refusal.code, message: loggable(refusal.message) })
}

/**
 * One line per request, written once it is answered: the method, the URL
 * (with its secrets left out, {@link loggable}), the status, the
 * milliseconds it took, the client's address and, for a refusal, its code
 * and message. Flat, so that pino writes it without serializing nested
 * objects: Fastify's default writes two lines per request, with nested
 * `req` and `res`, which at info level cost a busy node more than
 * `/login/check` itself.
 *
 * A request a reverse proxy makes for each request it lets through
 * (forward-auth) is logged at debug when it is allowed: the proxy's own log
 * has that request already, and `login_check_total` counts them (docs/operating.md,
 * "Logs").
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const level = error ? 'error' : reply.statusCode < 400 && request.routeOptions.config?.forProxy ? 'debug' : 'info'
    // 'silent' has no value: nothing is written.
    if (pino.levels.values[level]! < (pino.levels.values[reply.log.level] ?? Infinity)) return
    const line = {
      method: request.method,
      url: loggable(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
      ...refusals.get(request),
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log[level](line, 'request completed')
  }
}
