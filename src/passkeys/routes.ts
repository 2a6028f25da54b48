import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import { requireUser } from '../signed-in/current-user.js'
import { bindBrowser, boundBrowser } from '../auth/flow-cookie.js'
import { FLOW_SECONDS } from '../auth/oauth-flows.js'
import { validateNext } from '../redirects.js'
import { beginSession, signInRateLimit } from '../auth/sign-in.js'
import { typedName } from '../field-checks.js'
import { passkeyName } from '../http/device-name.js'
import { answer } from '../http/form-or-json.js'
import { DEFAULT_LANDING } from '../http/invitation-paths.js'
import { notify } from '../http/notice.js'
import { fields, formOrJson, param, text } from '../http/schemas.js'
import { renderPage } from '../http/views.js'
import type { Passkey } from '../storage/passkeys.js'
import { CHALLENGE_SECONDS } from './challenges.js'
import { requestLog } from '../http/logging.js'

type Id = { Params: { id: string } }
type Answer<R> = { Body: { response: R } }
type NextBody = { Body: { next?: unknown } | undefined }
type SignUpBody = { Body: { name?: unknown; invitation?: unknown; next?: unknown } }

/** What a browser sends back from `navigator.credentials.create` or `.get`, as @simplewebauthn/browser encodes it. */
const credentialAnswer = {
  type: 'object',
  required: ['response'],
  properties: {
    response: {
      type: 'object',
      required: ['id', 'rawId', 'type', 'response'],
      properties: {
        id: text(1400),
        rawId: text(1400),
        type: text(32),
        authenticatorAttachment: text(32),
        clientExtensionResults: { type: 'object' },
        response: {
          type: 'object',
          required: ['clientDataJSON'],
          properties: {
            clientDataJSON: text(),
            attestationObject: text(16_384),
            authenticatorData: text(),
            signature: text(),
            userHandle: text(200),
            transports: { type: 'array', maxItems: 10, items: text(32) },
          },
        },
      },
    },
  },
} as const
const answerBody = { body: credentialAnswer }
const nextBody = { body: fields({ next: text(2048) }) }
const signUpBody = { body: fields({ name: text(1000), invitation: text(64), next: text(2048) }) }
const idParams = param('id', 64)

/** A passkey as its owner sees it (the JSON of the sessions page's list). */
function passkeyJson(passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    created: passkey.created,
    last_used: passkey.lastUsed,
    backup_eligible: passkey.backupEligible,
    backed_up: passkey.backedUp,
    transports: passkey.transports,
  }
}

/**
 * Passkeys over HTTP (docs/passkeys.md, "Endpoints"), under `/login`. Each ceremony
 * is two JSON posts from the page's script (static/passkeys.js): options
 * with a challenge, bound to this browser's flow cookie, then the
 * browser's answer. The ceremonies are rate limited like sign-in starts.
 *
 *   POST /passkeys/sign-in/options, /passkeys/sign-in     sign in (`next` in the body)
 *   POST /passkeys/add/options, /passkeys/add             add a passkey to the signed-in account
 *   POST /passkeys/sign-up/options, /passkeys/sign-up     create an account (`name`, `invitation`)
 *   GET  /passkeys, /passkeys/<id>, /view/passkeys/<id>   the account's passkeys
 *   POST /passkeys/<id>/rename, /passkeys/<id>/remove     (never the account's last way to sign in)
 */
export async function passkeyRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const { passkeys, signUp, methods } = ctx.passkeys
  const limited = { config: signInRateLimit(ctx.config) }
  const redirectPolicy = { site: ctx.config.site, allowedHosts: ctx.config.allowedRedirectHosts }
  const nextIn = (raw: unknown) => validateNext(typeof raw === 'string' ? raw : undefined, redirectPolicy, '/')
  // The same cookie binds the browser's OAuth flows: it never lives shorter than one of them.
  const bind = (request: FastifyRequest, reply: FastifyReply) =>
    bindBrowser(request, reply, ctx.config, Math.max(CHALLENGE_SECONDS, FLOW_SECONDS))

  // ---- signing in

  app.post<NextBody>('/passkeys/sign-in/options', { ...limited, schema: nextBody }, async (request, reply) => {
    return passkeys.signInOptions(bind(request, reply), nextIn(request.body?.next))
  })

  app.post<Answer<AuthenticationResponseJSON>>(
    '/passkeys/sign-in',
    { ...limited, schema: answerBody },
    async (request, reply) => {
      const signed = await ctx.metrics.signInFlow(
        'passkey',
        passkeys.signIn(boundBrowser(request, ctx.config), request.body.response),
      )
      await beginSession(request, reply, signed.user, { provider: 'passkey', amr: signed.amr })
      // Checked again: the policy may have changed while the person was choosing their passkey.
      return { user: signed.user, redirect: nextIn(signed.next) }
    },
  )

  // ---- adding one to the signed-in account

  app.post('/passkeys/add/options', { ...limited, schema: { body: fields({}) } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return passkeys.addOptions(user, bind(request, reply))
  })

  app.post<Answer<RegistrationResponseJSON>>(
    '/passkeys/add',
    { ...limited, schema: answerBody },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const passkey = await passkeys.add(
        user.id,
        boundBrowser(request, ctx.config),
        request.body.response,
        passkeyName(request.headers['user-agent'] ?? ''),
      )
      requestLog(request).info({ user: user.id, passkey: passkey.id }, 'passkey added')
      notify(request, reply, `Added ${passkey.name}: it signs in to this account.`)
      return { passkey: passkeyJson(passkey), redirect: '/login/view/sessions' }
    },
  )

  // ---- creating an account with one

  app.post<SignUpBody>('/passkeys/sign-up/options', { ...limited, schema: signUpBody }, async (request, reply) => {
    const { name, invitation, next } = request.body ?? {}
    return signUp.options(bind(request, reply), {
      name: typedName(name, 'name'),
      invitation: typeof invitation === 'string' && invitation !== '' ? invitation : null,
      next: nextIn(next),
    })
  })

  app.post<Answer<RegistrationResponseJSON>>(
    '/passkeys/sign-up',
    { ...limited, schema: answerBody },
    async (request, reply) => {
      const made = await signUp.complete(
        boundBrowser(request, ctx.config),
        request.body.response,
        passkeyName(request.headers['user-agent'] ?? ''),
      )
      requestLog(request).info(
        { user: made.user.id, invited: made.acceptance !== null },
        'account created with a passkey',
      )
      await beginSession(request, reply, made.user, { provider: 'passkey', amr: made.amr })
      const { acceptance } = made
      if (acceptance === null) return { user: made.user, memberships: [], redirect: made.next }
      const paths = acceptance.memberships.map(m => m.path)
      // An app's own page says what the access is for; the default landing says what happened.
      if (acceptance.redirect === null)
        notify(request, reply, `Welcome, ${made.user.name}: you joined ${paths.join(', ')}.`)
      return {
        user: made.user,
        memberships: acceptance.memberships.map(m => ({ membership: m.id, path: m.path })),
        redirect: acceptance.redirect ?? DEFAULT_LANDING,
      }
    },
  )

  // ---- the account's passkeys

  app.get('/passkeys', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return (await passkeys.list(user.id)).map(passkeyJson)
  })

  app.get<Id>('/passkeys/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return passkeyJson(await passkeys.get(user.id, request.params.id))
  })

  app.get<Id>('/view/passkeys/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const passkey = await passkeys.get(user.id, request.params.id)
    return renderPage(request, reply, 'passkey', {
      title: passkey.name,
      passkey,
      // The page says at once why the last way in cannot go, rather than after a press.
      last: (await methods.count(user.id)) <= 1,
    })
  })

  app.post<Id & { Body: { name?: unknown } | undefined }>(
    '/passkeys/:id/rename',
    { schema: { params: idParams, body: formOrJson({ name: text(1000) }) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const passkey = await passkeys.rename(user.id, request.params.id, typedName(request.body?.name, 'name'))
      return answer(request, reply, passkeyJson(passkey), () => ({
        to: '/login/view/sessions',
        notice: `Renamed the passkey to ${passkey.name}.`,
      }))
    },
  )

  app.post<Id>(
    '/passkeys/:id/remove',
    { schema: { params: idParams, body: formOrJson({}) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const passkey = await passkeys.remove(user.id, request.params.id)
      requestLog(request).info({ user: user.id, passkey: passkey.id }, 'passkey removed')
      return answer(request, reply, { removed: passkey.id }, () => ({
        to: '/login/view/sessions',
        notice: `Removed ${passkey.name}. It may still be listed on your device, where you can delete it too.`,
      }))
    },
  )
}
