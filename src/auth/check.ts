import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import { fields, readByItsOwner } from '../http/schemas.js'
import { andThen, type MaybePromise } from '../maybe-promise.js'
import { currentUser } from '../signed-in/current-user.js'
import type { SignedIn } from '../signed-in/signed-in.js'
import { originalUrl, signInUrl } from './original-url.js'

/** Decides whether a user holds a group expression (text form). */
export interface AccessChecker {
  holds(userId: string, expression: string): MaybePromise<boolean>
}

interface CheckRoute {
  Querystring: { group?: string }
}
type CheckRequest = FastifyRequest<CheckRoute>
type CheckReply = FastifyReply<CheckRoute>

// Forward-auth answers only by status (nginx treats anything but 2xx/401/403 as an error): never a page or
// redirect. A 401 names where to sign in, so that the proxy can send the browser there
// (docs/forward-auth.md, "Forward-auth").
const RESULTS: Record<number, string> = {
  200: 'ok',
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
}

/**
 * `GET /login/check`: whether the request a reverse proxy stands for may
 * pass, and as whom. Called once for every request a proxy lets through
 * (docs/architecture.md, "Benchmarks"), so each step hands the next what it
 * knows now rather than a promise: most checks are answered without waiting.
 */
export async function forwardAuth(app: FastifyInstance): Promise<void> {
  const { ctx } = app

  const countCheck = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    ctx.metrics.countCheck(RESULTS[reply.statusCode] ?? 'error')
    done()
  }

  /** The answer once the user is known: sent at once, or a promise while a group is looked up. */
  const answer = (signedIn: SignedIn | null, request: CheckRequest, reply: CheckReply): MaybePromise<void> => {
    if (!signedIn) {
      const { url, refused } = signInUrl(ctx.config, originalUrl(request.headers, ctx.config))
      if (refused) request.log.info({ reason: refused }, 'forward-auth: the original URL cannot be a next')
      reply.header('x-login-redirect', url)
      throw new errors.Unauthenticated()
    }
    const { group } = request.query
    if (group === undefined) return allow(signedIn, reply)
    return andThen(ctx.access.holds(signedIn.user.id, group), allowMember, signedIn, reply)
  }

  app.get<CheckRoute>(
    '/check',
    {
      config: { html: false, forProxy: true },
      onResponse: countCheck,
      schema: { querystring: fields({ group: readByItsOwner }) },
    },
    // Not async: an async handler would make a promise of every answer.
    (request, reply) => andThen(currentUser(request, reply), answer, request, reply),
  )
}

function allowMember(holds: boolean, signedIn: SignedIn, reply: CheckReply): void {
  if (!holds) throw new errors.Forbidden(`Not a member of ${reply.request.query.group}`)
  allow(signedIn, reply)
}

function allow(signedIn: SignedIn, reply: FastifyReply): void {
  // Header values must be Latin-1; names are any Unicode, so they travel percent-encoded.
  reply.header('x-login-user', signedIn.user.id).header('x-login-name', encodeURIComponent(signedIn.user.name))
  reply.code(200).send()
}
