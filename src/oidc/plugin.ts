import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Provider } from 'oidc-provider'
import { currentUser } from '../signed-in/current-user.js'
import { signInRateLimit } from '../auth/sign-in.js'
import type { AppContext } from '../context.js'
import { errors } from '../errors.js'
import { isFormPost } from '../http/form-or-json.js'
import { bodyOf, fields } from '../http/schemas.js'
import { AttemptCounterStore } from '../storage/attempt-counters.js'
import { OidcStore } from '../storage/oidc.js'
import { OidcAccounts } from './accounts.js'
import { DeviceSignIn } from './device.js'
import { deviceRoutes } from './device-page.js'
import { SessionEndings } from './endings.js'
import { rememberForwarded } from './forwarded.js'
import { interactionHandler } from './interaction.js'
import { issuerOf } from './issuer.js'
import { createProvider, INTERACTION_PATH, ROUTES, type ProviderDeps } from './provider.js'
import { signInOfSessions } from './sign-in-of.js'
import { joinSite } from './site-hooks.js'

/**
 * oidc-provider's endpoints this server answers, below `/login`; `session`: it needs the browser's login session;
 * `limited`: rate-limited per client address like the starts of sign-ins (each may store an interaction).
 */
const FORWARDED: { method: HTTPMethods[]; url: string; session: boolean; limited?: boolean }[] = [
  { method: ['GET', 'OPTIONS'], url: '/.well-known/openid-configuration', session: false },
  { method: ['GET', 'OPTIONS'], url: ROUTES.jwks, session: false },
  { method: ['GET'], url: ROUTES.authorization, session: true, limited: true },
  { method: ['GET'], url: `${ROUTES.authorization}/:uid`, session: true },
  { method: ['POST', 'OPTIONS'], url: ROUTES.token, session: false },
  { method: ['GET', 'POST', 'OPTIONS'], url: ROUTES.userinfo, session: false },
  { method: ['POST', 'OPTIONS'], url: ROUTES.revocation, session: false },
  { method: ['POST'], url: ROUTES.introspection, session: false },
  { method: ['POST', 'OPTIONS'], url: ROUTES.device_authorization, session: false },
  // GET only: a cross-site POST carries no SameSite=Lax lease cookie, so it could not end the session.
  { method: ['GET'], url: ROUTES.end_session, session: true },
  { method: ['POST'], url: `${ROUTES.end_session}/confirm`, session: true },
  { method: ['GET'], url: `${ROUTES.end_session}/success`, session: false },
]

interface Built {
  signature: string
  provider: Provider
  callback: (request: IncomingMessage, response: ServerResponse) => Promise<void>
}

/**
 * The OpenID Provider (docs/openid-provider.md, "OpenID Provider"): oidc-provider mounted
 * under `/login`, one instance per generation of signing keys (rebuilt when
 * `keys rotate` changes them; it keeps nothing of its own, everything is in
 * the database), the interaction step, the device sign-in page, and the
 * ending of what sessions issued. Register with the prefix `/login`.
 */
export async function oidcPlugin(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const { apps } = ctx
  const store = new OidcStore(ctx.db)
  const signInOf = signInOfSessions(ctx.sessions)
  const accounts = new OidcAccounts(ctx)
  const counters = new AttemptCounterStore(ctx.db)
  const deps: ProviderDeps = { config: ctx.config, log: ctx.log, store, apps, accounts, signInOf }
  const current = providerRing(ctx, deps)
  // Built now, so that a configuration oidc-provider refuses stops the start.
  current()
  const provider = () => current().provider
  const endings = new SessionEndings(ctx, store, provider, counters)
  endings.start()
  // Before the database closes: logout tokens being sent finish first.
  app.addHook('preClose', () => endings.stop())

  const forward = forwarder(ctx, current)
  await app.register(async scope => {
    // oidc-provider reads request bodies itself.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    // No Fastify schemas here: oidc-provider checks every parameter itself and must answer
    // in OAuth's error format (`{error, error_description}` or a redirect to the client).
    for (const route of FORWARDED) {
      scope.route({
        method: route.method,
        url: route.url,
        // Clients authenticate with their credentials, PKCE or oidc-provider's own form token, not with the lease cookie.
        config: { csrfExempt: true, ...(route.limited ? signInRateLimit(ctx.config) : {}) },
        handler: (request, reply) => forward(request, reply, route.session),
      })
    }
  })
  // OpenID Connect Core §3.1.2.1: the authorization endpoint takes POST too. A POST from another site carries no
  // SameSite=Lax lease cookie, and oidc-provider would want its own cookie SameSite=None for it: the request goes on as
  // the same GET instead, a navigation that does carry the cookie. It changes nothing by itself.
  app.post<{ Body: Record<string, string | string[]> | undefined }>(
    ROUTES.authorization,
    {
      config: { csrfExempt: true },
      schema: { body: bodyOf(fields({}), fields({})) },
    },
    async (request, reply) => {
      if (!isFormPost(request)) throw new errors.OidcRequest('an authorization request by POST is a form')
      const query = new URLSearchParams()
      for (const [name, value] of Object.entries(request.body ?? {}))
        for (const one of ([] as string[]).concat(value)) query.append(name, one)
      return reply.redirect(`/login${ROUTES.authorization}?${query.toString()}`, 303)
    },
  )
  app.get(
    `${INTERACTION_PATH}/:uid`,
    {
      config: { html: true },
      schema: { params: { type: 'object', properties: { uid: { type: 'string', pattern: '^[\\w-]{1,64}$' } } } },
    },
    interactionHandler(provider, apps, signInOf),
  )
  deviceRoutes(app, new DeviceSignIn(provider, accounts, counters, ctx, signInOf), apps)
}

/** The provider of the current signing keys, built again when they change. */
function providerRing(ctx: AppContext, deps: ProviderDeps): () => Built {
  let built: Built | null = null
  return () => {
    const jwks = ctx.keys.providerJwks(ctx.clock.now(), ctx.config.leaseSeconds)
    const signature = jwks.map(key => key.kid).join()
    if (built?.signature !== signature) {
      const provider = createProvider(deps, jwks)
      joinSite(provider, ctx)
      built = { signature, provider, callback: provider.callback() as Built['callback'] }
    }
    return built
  }
}

/** Hands a request to oidc-provider, with what it must know of the site. */
function forwarder(ctx: AppContext, current: () => Built) {
  const publicUrl = new URL(ctx.config.publicUrl)
  const issuerPath = new URL(issuerOf(ctx.config)).pathname
  return async (request: FastifyRequest, reply: FastifyReply, session: boolean): Promise<void> => {
    const { response_mode: responseMode } = request.query as { response_mode?: unknown }
    // Answers go in the query only: the form_post mode would need an inline script.
    if (responseMode !== undefined && responseMode !== 'query') {
      throw new errors.OidcRequest('response_mode must be query (or absent)')
    }
    const { callback } = current()
    rememberForwarded(request.raw, { signedIn: session ? await currentUser(request, reply) : null, ip: request.ip })
    const raw = request.raw
    // The issuer is the public URL whatever Host the request came in on (the provider trusts these, set here only).
    raw.headers['x-forwarded-host'] = publicUrl.host
    raw.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1)
    raw.headers['x-forwarded-for'] = request.ip
    const below = raw.url!.slice('/login'.length)
    Object.assign(raw, { originalUrl: `${issuerPath}${below}`, url: below })
    // What Fastify has set so far (a renewed lease cookie) goes out with oidc-provider's answer.
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) reply.raw.setHeader(name, value)
    reply.hijack()
    await callback(raw, reply.raw)
  }
}
