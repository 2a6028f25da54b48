import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { createContext } from './context.js'
import { errors } from './errors.js'
import { authRoutes } from './auth/routes.js'
import { forwardAuth } from './auth/check.js'
import { profileRoutes } from './auth/profile-routes.js'
import { testProvider } from './auth/providers/test.js'
import { oauthRoutes } from './auth/oauth.js'
import { guardUnsafeRoutes } from './http/csrf.js'
import { addSecurityHeaders } from './http/security-headers.js'
import { serverLogger, withRequestLine } from './http/logging.js'
import { errorHandler, notFoundHandler } from './http/error-handler.js'
import { staticAssets } from './http/assets.js'
import { trustedProxies } from './http/trusted-proxies.js'
import { socketTimeouts } from './http/socket-timeouts.js'
import './http/augment.js'
import { realtimePlugin, type RealtimeOptions } from './realtime/plugin.js'
import { instrument } from './metrics/plugin.js'
import { healthRoutes } from './metrics/health.js'
import { accessRoutes } from './groups/routes.js'
import { oidcPlugin } from './oidc/plugin.js'
import { passkeyRoutes } from './passkeys/routes.js'

export interface BuildOptions {
  /** Time source for every rule (tests pass a ManualClock). */
  clock?: Clock
  /** false: log nothing; else pino at the configured level (src/http/logging.ts). */
  logger?: false
  /** Where the default logger writes (standard output unless given; tests read what is logged). */
  logStream?: { write(line: string): void }
  /** Called with every route as it is registered (the security tests send each one hostile input). */
  onRoute?: (route: RouteOptions) => void
  /** Timing of the realtime channel (tests shorten it). */
  realtime?: RealtimeOptions
}

/** Assembles the login server: shared services, then each area as a plugin. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const timeouts = socketTimeouts(config)
  const app = Fastify({
    // Off: the server logs through its own pino logger (serverLogger, requestLog), which costs a request nothing
    // until it logs.
    logger: false,
    trustProxy: trustedProxies(config.trustProxy),
    // Slow clients (one header line every few seconds) must not hold sockets forever: Fastify's default is no limit.
    requestTimeout: timeouts.requestTimeout,
    connectionTimeout: timeouts.requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    http: {
      headersTimeout: timeouts.headersTimeout,
      connectionsCheckingInterval: timeouts.connectionsCheckingInterval,
    },
    bodyLimit: 64 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Route schemas check shapes without converting them: a JSON number is no id (src/http/schemas.ts).
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
    // Malformed URLs and over-long parameters are refused by the router itself: answer them like any other error.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
  })
  const log = serverLogger(options.logger ?? config.logLevel, options.logStream)
  const ctx = await createContext(config, options.clock ?? systemClock, log)
  app.decorate('ctx', ctx)
  // A property of every request rather than a WeakMap entry, which costs more to set than the lookup it remembers.
  app.decorateRequest('signedIn', undefined)
  app.addHook('onClose', async () => ctx.close())
  try {
    await registerAreas(app, config, options)
  } catch (error) {
    // A plugin refused to start (bad credentials.json, unreachable issuer): release the database and timers.
    await ctx.close()
    throw error
  }
  return app
}

/** Each area as a plugin, in the order their hooks and routes depend on. */
async function registerAreas(app: FastifyInstance, config: Config, options: BuildOptions): Promise<void> {
  // Cookies are read one by one where needed (src/request-cookie.ts), not all parsed for every request.
  await app.register(cookie, { hook: false })
  await app.register(formbody)
  addSecurityHeaders(app)
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new errors.RateLimited(context.after),
  })
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.addHook('onRoute', guardUnsafeRoutes)
  app.addHook('onRoute', withRequestLine)
  if (options.onRoute) app.addHook('onRoute', options.onRoute)
  instrument(app) // request durations and the /metrics endpoint

  await app.register(healthRoutes, { prefix: '/login' })
  await app.register(staticAssets) // stylesheet, icon and page scripts under /login/static/
  await app.register(authRoutes, { prefix: '/login' })
  await app.register(forwardAuth, { prefix: '/login' }) // /login/check, for reverse proxies
  await app.register(profileRoutes, { prefix: '/login' }) // handle and address apps see
  await app.register(testProvider, { prefix: '/login/test' })
  await app.register(oauthRoutes, { prefix: '/login' })
  await app.register(passkeyRoutes, { prefix: '/login' })
  await app.register(accessRoutes, { prefix: '/login/access' })
  await app.register(realtimePlugin, { prefix: '/login', ...options.realtime })
  await app.register(oidcPlugin, { prefix: '/login' }) // the OpenID Provider

  // In debug mode nothing else serves the site root that sign-in returns to by default.
  if (config.debug) app.get('/', async (_request, reply) => reply.redirect('/login/view/sessions'))
}
