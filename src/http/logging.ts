import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import pino from 'pino'
import { INVITATION_PATH } from './invitation-paths.js'

// OAuth callbacks carry the authorization code and state in the query (RP-initiated logout an ID token), and
// invitation pages carry the invitation's id or short code in the path: all bearer secrets, never logged.
const SECRET_QUERY = /([?&](?:code|state|session_state|id_token|id_token_hint|access_token)=)[^&]*/g

/** A URL (or a message that quotes one) with its bearer secrets left out. */
function loggable(text: string): string {
  return text.replace(SECRET_QUERY, '$1…').replace(INVITATION_PATH, '$1…')
}

/** The server's logger: pino at `level`, to standard output unless a `stream` is given (tests read it). */
export function loggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level,
    // Written in the background (flushed on exit): a busy node does not wait for each line to reach the terminal or
    // file, which at info level costs more than answering /login/check (README, "Benchmarks").
    stream: stream ?? pino.destination({ dest: 1, sync: false }),
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
 * One line per request, written once it is answered: what was asked (the
 * `req` serializer above keeps secrets out of the URL), the status, the
 * milliseconds it took and, for a refusal, its code and message. Fastify's
 * default writes two lines per request, which at info level cost a busy
 * node more than `/login/check` itself (README, "Benchmarks").
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, ms: Math.round(reply.elapsedTime * 10) / 10, ...refusals.get(request) }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}
