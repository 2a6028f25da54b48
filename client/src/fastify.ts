import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { serializeCookie } from './cookies.js'
import type { LoginCore } from './core.js'
import type { GroupExpression } from './protocol.js'
import type { LoginUser } from './types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by `login.required()` (never null there) and `login.optional()` (null when signed out). */
    user: LoginUser | null
  }
}

/** The request a group function sees: signed in, with string route params and query. */
export type FastifyGroupRequest = FastifyRequest<{
  Params: Record<string, string>
  Querystring: Record<string, string | undefined>
}> & { user: LoginUser }

/** Options of `login.required()` / `login.optional()`. */
export interface FastifyGuardOptions {
  /**
   * A group the user must be a member of: an expression (`'!chat/dm/blocked & chat/dm'` or its JSON
   * form), or a function of the request that builds one (null = no requirement for this request).
   */
  group?: GroupExpression | ((request: FastifyGroupRequest) => GroupExpression | null | undefined)
}

/** A Fastify `preHandler` hook that sets `request.user` or answers the request itself. */
export type FastifyLoginHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

/**
 * A Fastify plugin that decorates `request.user` (null until a guard sets
 * it), logs through `app.log` (when the app has a logger and the client was
 * not given one), and
 * closes the client's channel when the app closes. Not encapsulated: the
 * decoration applies to the app it is registered in.
 */
export function fastifyPlugin(core: LoginCore): (app: FastifyInstance) => Promise<void> {
  const plugin = async (app: FastifyInstance) => {
    if (!app.hasRequestDecorator('user')) app.decorateRequest('user', null)
    // A Fastify app without a logger has a no-op one: then the console is the better place to say the server is down.
    if (typeof (app.log as { level?: unknown }).level === 'string') core.useLogger(app.log)
    app.addHook('onClose', async () => core.close())
  }
  // What fastify-plugin does: no encapsulation, and a name in Fastify's errors.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'modular-login',
  })
}

/**
 * A `preHandler` for a route (`{ preHandler: login.required() }`) or, added
 * with `addHook('preHandler', …)` inside a plugin, for every route under its
 * prefix. With `required`, signed-out GET/HEAD requests are redirected to
 * the sign-in page and others get 401; otherwise they pass with
 * `request.user = null`. Non-members get 403 either way.
 */
export function fastifyGuard(core: LoginCore, required: boolean, options: FastifyGuardOptions = {}): FastifyLoginHook {
  const { group } = options
  return async function loginGuard(request, reply) {
    const result = await core.authenticate({
      cookie: request.headers.cookie,
      ip: request.ip,
      group:
        typeof group === 'function'
          ? user => {
              request.user = user
              return group(request as FastifyGroupRequest)
            }
          : group,
    })
    for (const cookie of result.cookies) reply.header('set-cookie', serializeCookie(cookie))
    if (result.status === 'ok') {
      request.user = result.user
      return undefined
    }
    request.user = null
    if (!required && (result.status === 'unauthenticated' || (result.status === 'unavailable' && group === undefined)))
      return undefined
    const denial = core.denial(result, {
      method: request.method,
      url: `${request.protocol}://${request.host}${request.url}`,
    })!
    return reply.code(denial.statusCode).headers(denial.headers).send(denial.body)
  }
}
