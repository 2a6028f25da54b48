import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import { assertSameSite } from '../http/csrf.js'
import { wantsHtml } from '../http/html.js'
import { fields, formOrJson, nextQuery, param, readByItsOwner, text } from '../http/schemas.js'
import { deviceName } from '../http/device-name.js'
import { notify } from '../http/notice.js'
import { answer, isFormPost } from '../http/form-or-json.js'
import { listingRoutes } from '../http/listing-routes.js'
import { nextOf, type NextQuery } from '../http/next-query.js'
import { signInOptions } from '../http/sign-in-options.js'
import { renderPage } from '../http/views.js'
import { currentUser, requireUser } from '../signed-in/current-user.js'
import { clearLeaseCookie } from '../signed-in/lease-cookie.js'
import { addressAppsSee } from './addresses.js'
import { requestLog } from '../http/logging.js'

function sessionView(
  session: { sid: string; provider: string; ip: string; userAgent: string; created: number; refreshed: number },
  currentSid: string,
) {
  return {
    sid: session.sid,
    method: session.provider,
    ip: session.ip,
    user_agent: session.userAgent,
    created: session.created,
    refreshed: session.refreshed,
    current: session.sid === currentSid,
  }
}

/** Names compared as people type them: spacing, case and Unicode forms do not matter. */
function sameName(typed: unknown, name: string): boolean {
  const plain = (text: string) => text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase()
  return typeof typed === 'string' && plain(typed) === plain(name)
}

/** Identity and sessions: the sign-in page, the user, their sessions, sign-out, deletion, the lease keys. */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app

  // `prompt=login`: an app asked the person to prove who they are again (OpenID Connect's prompt=login or
  // max_age), so the page is shown to a signed-in person too (docs/openid-provider.md, "What a user sees").
  app.get<NextQuery & { Querystring: { prompt?: string } }>(
    '/',
    { schema: { querystring: fields({ next: readByItsOwner, prompt: text(16) }) } },
    async (request, reply) => {
      const next = nextOf(request)
      const again = request.query.prompt === 'login'
      if (!again && (await currentUser(request, reply))) return reply.redirect(next)
      const providers = signInOptions(request, next)
      const passkeySignUp = ctx.passkeys.signUp.allowed === 'open'
      if (!wantsHtml(request) && request.headers.accept?.includes('application/json'))
        return { providers, passkeys: { sign_in: true, sign_up: passkeySignUp } }
      return renderPage(request, reply, 'login', {
        title: again ? 'Sign in again' : 'Sign in',
        providers,
        next,
        again,
        passkeySignUp,
        passkeyScripts: true,
      })
    },
  )

  app.get('/me', async (request, reply) => (await requireUser(request, reply)).user)

  listingRoutes(app, {
    path: '/sessions',
    load: async ({ user, sid }) => (await ctx.sessions.list(user.id)).map(s => sessionView(s, sid)),
    page: {
      template: 'sessions',
      title: 'Your sessions',
      data: async (sessions, { user }) => {
        const providers = ctx.providers.list()
        const labelOf = (id: string) => (id === 'passkey' ? 'Passkey' : (providers.find(p => p.id === id)?.label ?? id))
        const identities = (await ctx.users.identities(user.id)).map(i => ({ ...i, label: labelOf(i.provider) }))
        const passkeys = await ctx.passkeys.passkeys.list(user.id)
        const contact = await ctx.users.contact(user.id)
        return {
          handle: contact?.handle ?? null,
          addresses: contact?.addresses ?? [],
          appsSee: contact ? addressAppsSee(contact) : null,
          // This device first, then the most recently active.
          sessions: sessions
            .map(s => ({ ...s, device: deviceName(s.user_agent), methodLabel: labelOf(s.method) }))
            .sort((a, b) => Number(b.current) - Number(a.current) || b.refreshed - a.refreshed),
          identities,
          passkeys,
          // Each method can go while another remains (docs/passkeys.md, "The last way in").
          removable: identities.length + passkeys.length > 1,
          providers,
          passkeyScripts: true,
        }
      },
    },
  })

  const csrfOnly = formOrJson({})
  app.post<{ Params: { sid: string } }>(
    '/deauthorize/:sid',
    { schema: { params: param('sid', 64), body: csrfOnly } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const session = await ctx.sessions.owned(user.id, request.params.sid)
      if (!session || session.revoked !== null) throw new errors.NotFound('No such active session of yours')
      await ctx.sessions.revoke(session.sid, 'session_list')
      return answer(request, reply, { revoked: session.sid }, () => ({
        to: '/login/view/sessions',
        notice: `Signed out ${deviceName(session.userAgent)}.`,
      }))
    },
  )

  app.post('/deauthorize-others', { schema: { body: csrfOnly } }, async (request, reply) => {
    const { user, sid } = await requireUser(request, reply)
    const others = (await ctx.sessions.list(user.id)).filter(s => s.sid !== sid)
    for (const session of others) await ctx.sessions.revoke(session.sid, 'session_list')
    return answer(request, reply, { revoked: others.map(s => s.sid) }, () => {
      const count = others.length === 1 ? 'one other session' : `${others.length} other sessions`
      return {
        to: '/login/view/sessions',
        notice: others.length === 0 ? 'There were no other sessions.' : `Signed out ${count}.`,
      }
    })
  })

  const logout = async (request: FastifyRequest<NextQuery>, reply: FastifyReply) => {
    const next = nextOf(request, '/login')
    const signedIn = await currentUser(request, reply)
    // GET is kept for links from the site's apps. Unless the browser says one of them sent it (older browsers,
    // links on other sites, typed addresses say nothing or something else), it asks first (docs/security.md, "Sign-out by link").
    const fetchSite = request.headers['sec-fetch-site']
    if (signedIn && request.method === 'GET' && fetchSite !== 'same-origin' && fetchSite !== 'same-site') {
      const action = `/login/logout?next=${encodeURIComponent(next)}`
      return renderPage(request, reply, 'logout', { title: 'Sign out?', action, stay: next })
    }
    assertSameSite(request)
    if (signedIn) await ctx.sessions.revoke(signedIn.sid, 'logout')
    clearLeaseCookie(reply, ctx.config)
    if (request.method === 'POST' && !isFormPost(request)) return { signedOut: Boolean(signedIn) }
    // Only this server's pages show notices; an app's page would leave it waiting for a later one.
    if (signedIn && next.startsWith('/login')) notify(request, reply, 'You are signed out.')
    return reply.redirect(next, 303)
  }
  app.get('/logout', { config: { html: true }, schema: { querystring: nextQuery } }, logout)
  app.post('/logout', { schema: { querystring: nextQuery, body: csrfOnly } }, logout)

  app.get('/view/delete', async (request, reply) => {
    await requireUser(request, reply)
    return renderPage(request, reply, 'delete', { title: 'Delete your account' })
  })

  app.post<{ Body: { confirm_name?: unknown } | undefined }>(
    '/delete',
    { schema: { body: formOrJson({ confirm_name: text(256) }) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      // The page asks for the account's name first, so that one stray tap deletes nothing.
      if (isFormPost(request) && !sameName(request.body?.confirm_name, user.name)) {
        const error = `Type your name, ${user.name}, to confirm; nothing was deleted.`
        return renderPage(request, reply, 'delete', { title: 'Delete your account', error }, 400)
      }
      await ctx.accounts.delete(user.id)
      clearLeaseCookie(reply, ctx.config)
      requestLog(request).info({ user: user.id }, 'account deleted')
      return answer(request, reply, { deleted: user.id }, () => ({ to: '/login', notice: 'Your account was deleted.' }))
    },
  )

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return ctx.keys.jwks(ctx.clock.now(), ctx.config.leaseSeconds)
  })
}
