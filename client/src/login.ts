import type { FastifyInstance } from 'fastify'
import { LoginCore } from './core.js'
import { fastifyGuard, fastifyPlugin, type FastifyGuardOptions, type FastifyLoginHook } from './fastify.js'
import type { GroupCalls } from './groups.js'
import { nodeMiddleware, type LoginMiddleware, type MiddlewareOptions } from './node.js'
import type { LoginClientOptions } from './types.js'

/** What the client answers straight from its core (documented there). */
type CoreCalls = Pick<LoginCore, 'authenticate' | 'ready' | 'close'> &
  Pick<GroupCalls, 'isMember' | 'ensure' | 'grant' | 'remove'>

/** What {@link createLoginClient} answers: one client, the core's calls, and an adapter per kind of server. */
export type LoginClient = CoreCalls & {
  /** The framework-free core, for anything the adapters do not cover (`denial`, `setCookieHeaders`, ...). */
  readonly core: LoginCore
  /** Fastify plugin: `await app.register(login.fastify)` decorates `request.user` and closes the client with the app. */
  readonly fastify: (app: FastifyInstance) => Promise<void>
  /** Fastify `preHandler` that requires sign-in (and membership of `group`, if given). */
  required(options?: FastifyGuardOptions): FastifyLoginHook
  /** Fastify `preHandler` that sets `request.user` when signed in and lets everyone else through with null. */
  optional(options?: FastifyGuardOptions): FastifyLoginHook
  /** Middleware for `node:http`, Express or Connect, with the same rules. */
  middleware(options?: MiddlewareOptions): LoginMiddleware
}

/**
 * Creates the client of a login server for one application.
 *
 * ```ts
 * const login = createLoginClient({ server: 'http://localhost:8000', app: { id, secret } })
 * await app.register(login.fastify)
 * app.get('/me', { preHandler: login.required() }, req => req.user)
 * ```
 *
 * It connects at once to `<server>/login/ws` and keeps reconnecting in the
 * background; requests are served from local verification meanwhile.
 */
export function createLoginClient(options: LoginClientOptions): LoginClient {
  const core = new LoginCore(options)
  const { groups } = core
  const calls: CoreCalls = {
    authenticate: core.authenticate.bind(core),
    ready: core.ready.bind(core),
    close: core.close.bind(core),
    isMember: groups.isMember.bind(groups),
    ensure: groups.ensure.bind(groups),
    grant: groups.grant.bind(groups),
    remove: groups.remove.bind(groups),
  }
  return {
    ...calls,
    core,
    fastify: fastifyPlugin(core),
    required: guard => fastifyGuard(core, true, guard),
    optional: guard => fastifyGuard(core, false, guard),
    middleware: middleware => nodeMiddleware(core, middleware),
  }
}
