import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { createContext } from './context.js'
import { errors } from './errors.js'
import { authRoutes } from './auth/routes.js'
import { testProvider } from './auth/providers/test.js'
import { oauthRoutes } from './auth/oauth.js'
import { guardUnsafeRoutes } from './http/csrf.js'
import { errorHandler, notFoundHandler } from './http/error-handler.js'
import './http/augment.js'
import { realtimePlugin, type RealtimeOptions } from './realtime/plugin.js'
import { accessRoutes } from './groups/routes.js' // access groups (issue #4)
import { oidcPlugin } from './oidc/plugin.js'

export interface BuildOptions {
  /** Time source for every rule (tests pass a ManualClock). */
  clock?: Clock
  /** Fastify logger options; defaults to pino at the configured level. */
  logger?: FastifyServerOptions['logger']
  /** Timing of the realtime channel (tests shorten it). */
  realtime?: RealtimeOptions
}

// OAuth callbacks carry the authorization code and state in the query (and RP-initiated logout an ID token): never log them.
const SECRET_QUERY = /([?&](?:code|state|session_state|id_token|id_token_hint|access_token)=)[^&]*/g

function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
    serializers: {
      req: request => ({
        method: request.method,
        url: request.url.replace(SECRET_QUERY, '$1…'),
        remoteAddress: request.ip,
      }),
    },
  }
}

/** Assembles the login server: shared services, then each area as a plugin. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Malformed URLs and over-long parameters are refused by the router itself: answer them like any other error.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
  })
  const ctx = await createContext(config, options.clock ?? systemClock, app.log)
  app.decorate('ctx', ctx)
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
  await app.register(cookie)
  await app.register(formbody)
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new errors.RateLimited(context.after),
  })
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.addHook('onRoute', guardUnsafeRoutes)

  await app.register(authRoutes, { prefix: '/login' })
  await app.register(testProvider, { prefix: '/login/test' })
  await app.register(oauthRoutes, { prefix: '/login' }) // OAuth/OpenID providers and account linking (issue #3)
  await app.register(accessRoutes, { prefix: '/login/access' }) // access groups (issue #4)
  await app.register(realtimePlugin, { prefix: '/login', ...options.realtime }) // realtime channel /login/ws (issue #5)
  await app.register(oidcPlugin, { prefix: '/login' }) // the OpenID Provider

  // In debug mode nothing else serves the site root that sign-in returns to by default.
  if (config.debug) app.get('/', async (_request, reply) => reply.redirect('/login/view/sessions'))
}
