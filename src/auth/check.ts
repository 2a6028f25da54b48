import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import type { Judgement } from '../groups/membership.js'
import { logRequestLine, requestLog } from '../http/logging.js'
import { fields, readByItsOwner } from '../http/schemas.js'
import { andThen, type MaybePromise } from '../maybe-promise.js'
import type { CompiledRule } from '../rules/matcher.js'
import { requestHost, requestPath } from '../rules/request-path.js'
import { currentUser } from '../signed-in/current-user.js'
import type { SignedIn } from '../signed-in/signed-in.js'
import { originalHost, originalMethod, originalUri, originalUrl, signInUrl } from './original-url.js'

interface CheckRoute {
  Querystring: { group?: string }
}
type CheckRequest = FastifyRequest<CheckRoute>
type CheckReply = FastifyReply<CheckRoute>

// Forward-auth answers only by status (nginx treats anything but 2xx/401/403 as an error): never a page or
// redirect. A 401 names where to sign in, so that the proxy can send the browser there
// (docs/forward-auth.md, "What `/login/check` answers").
const RESULTS: Record<number, string> = {
  200: 'ok',
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
}

/**
 * `GET /login/check`: whether the request a reverse proxy stands for may
 * pass, and as whom: by `?group=` when the proxy fixes one, else by the
 * first access rule that matches the original host, method and path, else
 * by the site's default (docs/forward-auth.md, "Access rules"). Called
 * once for every request a proxy lets through (docs/architecture.md,
 * "Benchmarks"), so each step hands the next what it knows now rather than
 * a promise: most checks are answered without waiting.
 */
export async function forwardAuth(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const denyByDefault = ctx.config.defaultRule === 'deny'

  // Counted only where a metrics endpoint reads the counts, and each answer logged by a hook only at debug (an allowed
  // check is a debug line; above debug, refusals are logged as they are answered, src/http/logging.ts): an
  // `onResponse` hook costs every check something.
  const countCheck = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    ctx.metrics.countCheck(RESULTS[reply.statusCode] ?? 'error')
    done()
  }
  const onResponse = [
    ...(ctx.log.isLevelEnabled('debug') ? [logRequestLine] : []),
    ...(ctx.config.metricsPort === null ? [] : [countCheck]),
  ]

  /** Refuses a signed-out visitor, naming where to sign in. */
  const signedOut = (request: CheckRequest, reply: CheckReply): never => {
    const { url, refused } = signInUrl(ctx.config, originalUrl(request.headers, ctx.config))
    if (refused) requestLog(request).info({ reason: refused }, 'forward-auth: the original URL cannot be a next')
    reply.header('x-login-redirect', url)
    throw new errors.Unauthenticated()
  }

  /** `?group=`: signed in and a member, whatever the rules say. */
  const answerGroup = (signedIn: SignedIn | null, request: CheckRequest, reply: CheckReply): MaybePromise<void> => {
    if (!signedIn) return signedOut(request, reply)
    return andThen(ctx.access.holds(signedIn.user.id, request.query.group!), allowMember, signedIn, reply)
  }

  /** A rule that asks who the visitor is (`allow`), or the default `signed-in` (no rule). */
  const answerRule = (signedIn: SignedIn | null, rule: CompiledRule | undefined, reply: CheckReply) => {
    if (!signedIn) return signedOut(reply.request, reply)
    if (rule === undefined || rule.expression === null) return allow(signedIn, reply)
    if (rule.rule.requirePasskey && !signedIn.passkey)
      throw new errors.Forbidden('This needs a session begun with a passkey')
    return andThen(
      ctx.access.judge(signedIn.user.id, rule.rule.expression!, rule.expression),
      allowJudged,
      signedIn,
      reply,
    )
  }

  app.get<CheckRoute>(
    '/check',
    {
      config: { html: false, forProxy: true },
      ...(onResponse.length > 0 ? { onResponse } : {}),
      schema: { querystring: fields({ group: readByItsOwner }) },
    },
    // Not async: an async handler would make a promise of every answer.
    (request, reply) => {
      if (request.query.group !== undefined) return andThen(currentUser(request, reply), answerGroup, request, reply)
      const { headers } = request
      const rule = ctx.rules.matcher.match(
        requestHost(originalHost(headers)),
        originalMethod(headers, request.method),
        requestPath(originalUri(headers)),
      )
      const outcome = rule === undefined ? (denyByDefault ? 'deny' : 'allow') : rule.rule.outcome
      if (outcome === 'public') return void reply.code(200).send()
      if (outcome === 'deny') throw new errors.Forbidden('No access rule lets this request through')
      return andThen(currentUser(request, reply), answerRule, rule, reply)
    },
  )
}

function allowMember(holds: boolean, signedIn: SignedIn, reply: CheckReply): void {
  if (!holds) throw new errors.Forbidden(`Not a member of ${reply.request.query.group}`)
  allow(signedIn, reply)
}

function allowJudged(judgement: Judgement, signedIn: SignedIn, reply: CheckReply): void {
  if (!judgement.member) throw new errors.Forbidden('Not a member of the groups this access rule asks for')
  reply.header('x-login-groups', judgement.held.join(','))
  allow(signedIn, reply)
}

function allow(signedIn: SignedIn, reply: FastifyReply): void {
  // Header values must be Latin-1; names are any Unicode, so they travel percent-encoded.
  reply.header('x-login-user', signedIn.user.id).header('x-login-name', encodeURIComponent(signedIn.user.name))
  reply.code(200).send()
}
