import type { GroupExpression } from '../realtime/protocol.js'
import {
  LoginCore,
  type AuthenticateInput,
  type AuthResult,
  type EnsuredNamespace,
  type GrantedMembership,
  type GrantLimits,
  type LoginClientOptions,
} from './core.js'
import { fastifyGuard, fastifyPlugin, type FastifyGuardOptions, type FastifyLoginHook } from './fastify.js'
import { nodeMiddleware, type LoginMiddleware, type MiddlewareOptions } from './node.js'
import type { FastifyInstance } from 'fastify'

/** What {@link createLoginClient} answers: one client, with an adapter per kind of server. */
export interface LoginClient {
  /** The framework-free core, for anything the adapters do not cover. */
  readonly core: LoginCore
  /** Fastify plugin: `await app.register(login.fastify)` decorates `request.user` and closes the client with the app. */
  readonly fastify: (app: FastifyInstance) => Promise<void>
  /** Fastify `preHandler` that requires sign-in (and membership of `group`, if given). */
  required(options?: FastifyGuardOptions): FastifyLoginHook
  /** Fastify `preHandler` that sets `request.user` when signed in and lets everyone else through with null. */
  optional(options?: FastifyGuardOptions): FastifyLoginHook
  /** Middleware for `node:http`, Express or Connect, with the same rules. */
  middleware(options?: MiddlewareOptions): LoginMiddleware
  /**
   * For any other framework (the predecessor's "interface"): pass the raw
   * `Cookie` header, the client IP and the group; set `result.cookies` on the
   * response; use {@link LoginCore.denial} for the answer when it is not `ok`.
   */
  authenticate(input: AuthenticateInput): Promise<AuthResult>
  /** Whether a user (by id) holds a group expression (cached like the guards' answers; the predecessor's `access_query`). */
  isMember(user: string, group: GroupExpression): Promise<boolean>
  /** Creates a namespace with an owner `<provider>:<provider user id>`; idempotent (the predecessor's `ensure_access`). */
  ensure(path: string, owner: string): Promise<EnsuredNamespace>
  /** Grants a user membership of a group directly (the predecessor's `add_access`). */
  grant(user: string, path: string, limits?: GrantLimits): Promise<GrantedMembership>
  /** Ends a membership, with `cascade` those admitted below it too (the predecessor's `remove_access`). */
  remove(membership: string, options?: { cascade?: boolean }): Promise<string[]>
  /** Resolves once connected to the login server with the keys loaded; rejects if the app's credentials are refused. */
  ready(): Promise<void>
  /** Closes the channel to the login server. */
  close(): void
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
  return {
    core,
    fastify: fastifyPlugin(core),
    required: guard => fastifyGuard(core, true, guard),
    optional: guard => fastifyGuard(core, false, guard),
    middleware: middleware => nodeMiddleware(core, middleware),
    authenticate: input => core.authenticate(input),
    isMember: (user, group) => core.isMember(user, group),
    ensure: (path, owner) => core.ensure(path, owner),
    grant: (user, path, limits) => core.grant(user, path, limits),
    remove: (membership, options) => core.remove(membership, options),
    ready: () => core.ready(),
    close: () => core.close(),
  }
}
