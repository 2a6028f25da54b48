import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import { assertSameSite } from '../http/csrf.js'
import { formOrJson, nextQuery, oneOrMore, param, text } from '../http/schemas.js'
import { OAuthFlowStore } from '../storage/oauth-flows.js'
import { currentUser, requireUser } from '../signed-in/current-user.js'
import { IdentityLinks } from './linking.js'
import { OAuthFlows, type CallbackQuery } from './oauth-flows.js'
import { configureProviders } from './providers/configure.js'
import type { OAuthProvider } from './providers/oauth-provider.js'
import { presets } from './providers/presets.js'
import { answer } from '../http/form-or-json.js'
import { nextOf, type NextQuery } from '../http/next-query.js'
import { notify } from '../http/notice.js'
import { completeSignIn, signInRateLimit } from './sign-in.js'
import { requestLog } from '../http/logging.js'

type Callback = { Querystring: CallbackQuery }
type Named = { Params: { name: string } }

/**
 * Sign-in with OAuth providers (the presets and generic OpenID Connect),
 * under `/login`:
 *
 *   GET /<provider>, /oidc/<name>                    start a sign-in (?next=)
 *   GET /<provider>/continue, /oidc/<name>/continue  the provider's callback
 *   GET /link/<provider>, /link/oidc/<name>          link another provider to the signed-in account
 *   POST /unlink                                     remove one (`provider`, `id`), never the last
 *   GET /identities                                  the account's identities and what can be linked
 *
 * A provider without credentials is not offered and its paths answer
 * LOGIN_ERR_UNKNOWN_PROVIDER.
 */
export async function oauthRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const providers = await configureProviders(app)
  for (const provider of providers.values()) {
    ctx.providers.add({
      id: provider.id,
      label: provider.label,
      path: `/login/${provider.path}`,
      linkPath: `/login/link/${provider.path}`,
    })
  }
  const flows = new OAuthFlows(new OAuthFlowStore(ctx.db), ctx.clock, ctx.config)
  const links = new IdentityLinks(ctx.db, ctx.users, ctx.clock, ctx.passkeys.methods)
  const limited = { config: signInRateLimit(ctx.config) }
  const starting = { ...limited, schema: { querystring: nextQuery } }
  // A repeated callback parameter is the flow's to refuse (LOGIN_ERR_OAUTH_STATE), so both shapes pass here.
  const returning = { ...limited, schema: { querystring: { type: 'object', additionalProperties: oneOrMore() } } }
  const named = { params: param('name', 64) }

  const find = (path: string): OAuthProvider => {
    const provider = providers.get(path)
    if (!provider) throw new errors.UnknownProvider(path.replace('/', ':'))
    return provider
  }

  const signIn = async (path: string, request: FastifyRequest<NextQuery>, reply: FastifyReply) => {
    const provider = find(path)
    const next = nextOf(request)
    return reply.redirect(await flows.begin(request, reply, provider, { next, linkUser: null }))
  }

  const link = async (path: string, request: FastifyRequest<NextQuery>, reply: FastifyReply) => {
    const provider = find(path)
    // A GET that starts linking: another site must not be able to send a signed-in user into it.
    assertSameSite(request)
    const next = nextOf(request, '/login/view/sessions')
    const { user } = await requireUser(request, reply)
    return reply.redirect(await flows.begin(request, reply, provider, { next, linkUser: user.id }))
  }

  const callback = async (path: string, request: FastifyRequest<Callback>, reply: FastifyReply) => {
    const provider = find(path)
    const { profile, next, linkUser } = await ctx.metrics.signInFlow(provider.id, flows.finish(request, provider))
    const identity = { provider: provider.id, ...profile }
    if (linkUser === null) return completeSignIn(request, reply, identity, next)
    const signedIn = await currentUser(request, reply)
    if (signedIn?.user.id !== linkUser)
      throw new errors.Forbidden('You are no longer signed in to the account this link was started from')
    await links.link(linkUser, identity)
    requestLog(request).info({ user: linkUser, provider: provider.id }, 'identity linked')
    // Only this server's pages show notices (see src/http/notice.ts).
    if (next.startsWith('/login')) notify(request, reply, `Linked ${provider.label}: it signs in to this account too.`)
    return reply.redirect(next, 303)
  }

  for (const { id } of presets) {
    app.get<NextQuery>(`/${id}`, starting, (request, reply) => signIn(id, request, reply))
    app.get<Callback>(`/${id}/continue`, returning, (request, reply) => callback(id, request, reply))
    app.get<NextQuery>(`/link/${id}`, starting, (request, reply) => link(id, request, reply))
  }
  app.get<NextQuery & Named>(
    '/oidc/:name',
    { ...starting, schema: { ...starting.schema, ...named } },
    (request, reply) => signIn(`oidc/${request.params.name}`, request, reply),
  )
  app.get<Callback & Named>(
    '/oidc/:name/continue',
    { ...returning, schema: { ...returning.schema, ...named } },
    (request, reply) => callback(`oidc/${request.params.name}`, request, reply),
  )
  app.get<NextQuery & Named>(
    '/link/oidc/:name',
    { ...starting, schema: { ...starting.schema, ...named } },
    (request, reply) => link(`oidc/${request.params.name}`, request, reply),
  )

  app.get('/identities', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return {
      identities: (await ctx.users.identities(user.id)).map(i => ({
        provider: i.provider,
        provider_user_id: i.providerUserId,
        created: i.created,
      })),
      linkable: ctx.providers
        .list()
        .filter(p => p.linkPath)
        .map(p => ({ id: p.id, label: p.label, url: p.linkPath })),
    }
  })

  const unlinkBody = formOrJson({ provider: text(64), id: text(256) })
  app.post<{ Body: { provider?: unknown; id?: unknown } | undefined }>(
    '/unlink',
    { schema: { body: unlinkBody } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const { provider, id } = request.body ?? {}
      if (typeof provider !== 'string' || !provider || typeof id !== 'string' || !id) {
        throw new errors.BadRequest('provider and id must name one of your sign-in methods')
      }
      await links.unlink(user.id, provider, id)
      requestLog(request).info({ user: user.id, provider }, 'identity unlinked')
      return answer(request, reply, { unlinked: { provider, provider_user_id: id } }, () => ({
        to: '/login/view/sessions',
        notice: `Unlinked ${ctx.providers.list().find(p => p.id === provider)?.label ?? provider}.`,
      }))
    },
  )
}
