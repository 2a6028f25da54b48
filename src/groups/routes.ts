import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { currentUser, requireUser } from '../auth/current.js'
import { errors } from '../errors.js'
import { bodyOf, fields, formFields, formOrJson, idsBody, param, text, yesNo } from '../http/schemas.js'
import { renderPage } from '../http/views.js'
import { flag, idList, MAX_COUNT, optionalInteger } from './fields.js'
import { invitationRequestFromForm } from './invitation-form.js'
import { parseInvitationRequest } from './invitation-request.js'
import { cancellableJson, eventJson, invitableJson, membershipJson, removableJson } from './json.js'
import { qrPng } from './qr.js'

type InviteParams = { Params: { invite: string } }

const inviteParams = param('invite', 64)
const wildcard = param('*', 600)
// The invite view's form: one row of fields per group (`g<row>`, `g<row>.<field>`); the JSON body is read by its parser.
const invitationBody = bodyOf(
  {
    ...formFields({ invitees: text(20), redirect: text(2048), confirm: yesNo }),
    patternProperties: { '^g\\d{1,3}(\\.[a-z_]{1,32})?$': text(256) },
  },
  { type: 'object' },
)
type WildcardParams = { Params: { '*': string } }

/** Where accepting sends a user whose invitation named no redirect. */
const DEFAULT_LANDING = '/login/access/view/groups'

/**
 * Whether the visitor came to this page by themselves: typed or scanned
 * (no initiator) or from one of this server's own pages. Only then does an
 * invitation accept itself on opening; a link followed from another site,
 * which could join a signed-in visitor to a group without a click, always
 * shows the button (README, "Security").
 */
function arrivedDirectly(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site']
  return fetchSite === 'none' || fetchSite === 'same-origin'
}

/** Browser form posts go back to a page; API calls get JSON. */
function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
}

function body(request: FastifyRequest): Record<string, unknown> {
  const value = request.body
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/**
 * Ids to act on: a bare JSON array, or `{<key>: [...]}` (a form sends one
 * checkbox value as a string, several as an array).
 */
function idsOf(request: FastifyRequest, key: string): string[] {
  if (Array.isArray(request.body)) return idList(request.body, key)
  const value = body(request)[key]
  return idList(typeof value === 'string' ? [value] : value, key)
}

/**
 * Access groups over HTTP (SPEC §3), registered under `/login/access`:
 * JSON endpoints, and `/view/` pages that mirror them.
 */
export async function accessRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const { groups, config } = ctx
  const acceptUrl = (short: string) => `${config.publicUrl}/login/access/accept/${short}`
  const qrAcceptUrl = (short: string) => `${config.publicUrl}/login/access/qr/accept/${short}`

  // ---- the caller's memberships

  app.get('/groups', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return (await groups.membership.current(user.id)).map(membershipJson)
  })

  app.get('/view/groups', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return renderPage(request, reply, 'access-groups', {
      title: 'Your groups',
      memberships: (await groups.membership.current(user.id)).map(membershipJson),
    })
  })

  app.post<{ Params: { membership: string } }>(
    '/leave/:membership',
    { schema: { params: param('membership', 100), body: formOrJson({}) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      await groups.removal.leave(user.id, request.params.membership)
      if (isFormPost(request)) return reply.redirect('/login/access/view/groups', 303)
      return { left: request.params.membership }
    },
  )

  // ---- inviting

  app.get('/invite', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return (await groups.invitations.invitable(user.id)).map(invitableJson)
  })

  app.get<WildcardParams>('/invite/*', { schema: { params: wildcard } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return (await groups.invitations.invitable(user.id, request.params['*'])).map(invitableJson)
  })

  app.get<{ Querystring: { group?: string } }>(
    '/view/invite',
    { schema: { querystring: fields({ group: text(600) }) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const { group } = request.query
      const invitable = (
        await (group ? groups.invitations.invitable(user.id, group) : groups.invitations.invitable(user.id))
      ).map(invitableJson)
      return renderPage(request, reply, 'access-invite', { title: 'Invite people', invitable, group: group ?? '' })
    },
  )

  app.post('/allow', { schema: { body: invitationBody } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const form = isFormPost(request)
    const invitation = form
      ? invitationRequestFromForm(body(request), ctx.clock.now())
      : parseInvitationRequest(request.body)
    const link = await groups.invitations.create(user.id, invitation)
    // The form lands on the preview, which is what the inviter sees at the accept link.
    if (form) return reply.redirect(`/login/access/accept/${link.short}`, 303)
    return { long: link.long, short: link.short, url: acceptUrl(link.short) }
  })

  // ---- accepting

  const acceptPage = async (request: FastifyRequest<InviteParams>, reply: FastifyReply, qr: boolean) => {
    const signedIn = await currentUser(request, reply)
    // Sends the visitor through /login?next=<this page> and back (error handler).
    if (!signedIn) throw new errors.Unauthenticated()
    const link = await groups.invitations.describe(request.params.invite, signedIn.user.id)
    if (link.viewerIsInviter) {
      return renderPage(request, reply, 'access-preview', {
        title: 'Your invitation',
        link,
        url: acceptUrl(link.short),
        qrUrl: qrAcceptUrl(link.short),
        qrImage: `/login/access/qr/img/${link.short}`,
      })
    }
    if (link.closed !== null)
      throw new errors.InvitationGone(`This invitation can no longer be accepted: ${link.closed}`)
    return renderPage(request, reply, 'access-accept', {
      title: 'Join a group',
      link,
      qr,
      auto: !link.invitations[0]!.confirm && !link.viewerAccepted && arrivedDirectly(request),
      redirect: link.invitations[0]!.redirect ?? DEFAULT_LANDING,
    })
  }

  app.get<InviteParams>(
    '/accept/:invite',
    { config: { html: true }, schema: { params: inviteParams } },
    (request, reply) => acceptPage(request, reply, false),
  )
  app.get<InviteParams>(
    '/qr/accept/:invite',
    { config: { html: true }, schema: { params: inviteParams } },
    (request, reply) => acceptPage(request, reply, true),
  )

  app.post<InviteParams>(
    '/add/:invite',
    { schema: { params: inviteParams, body: formOrJson({ handoff: yesNo }) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const accepted = await ctx.metrics.invitationAcceptance(() => groups.invitations.accept(user.id, request.params.invite))
      const redirect = accepted.redirect ?? DEFAULT_LANDING
      if (!isFormPost(request)) return { memberships: accepted.memberships.map(membershipJson), redirect }
      if (flag(body(request).handoff, 'handoff')) {
        return renderPage(request, reply, 'access-handoff', {
          title: 'You are in',
          redirect,
          handoff: `${config.publicUrl}/login/access/qr`,
        })
      }
      return reply.redirect(redirect, 303)
    },
  )

  // ---- QR codes

  app.get<InviteParams>('/qr/img/:invite', { schema: { params: inviteParams } }, async (request, reply) => {
    const { short } = await groups.invitations.describe(request.params.invite, null)
    const png = await qrPng(qrAcceptUrl(short))
    return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png)
  })

  app.get('/qr', { config: { html: true } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return reply.redirect((await groups.invitations.latestRedirect(user.id)) ?? DEFAULT_LANDING, 303)
  })

  // ---- removing members

  app.get('/remove', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return (await groups.removal.removable(user.id)).map(removableJson)
  })

  app.get('/view/remove', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return renderPage(request, reply, 'access-remove', {
      title: 'Remove members',
      removable: (await groups.removal.removable(user.id)).map(removableJson),
    })
  })

  app.post('/revoke', { schema: { body: idsBody('memberships', { cascade: yesNo }) } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const ids = idsOf(request, 'memberships')
    const removed = await groups.removal.revoke(user.id, ids, flag(body(request).cascade, 'cascade'))
    if (isFormPost(request)) return reply.redirect('/login/access/view/remove', 303)
    return { removed }
  })

  // ---- cancelling invitations

  app.get('/renege', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return (await groups.removal.cancellable(user.id)).map(cancellableJson)
  })

  app.get('/view/renege', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return renderPage(request, reply, 'access-renege', {
      title: 'Cancel invitations',
      cancellable: (await groups.removal.cancellable(user.id)).map(cancellableJson),
    })
  })

  app.post('/cancel', { schema: { body: idsBody('invitations') } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const cancelled = await groups.removal.cancel(user.id, idsOf(request, 'invitations'))
    if (isFormPost(request)) return reply.redirect('/login/access/view/renege', 303)
    return { cancelled }
  })

  // ---- audit log

  const page = fields({ before: text(20), limit: text(20) })
  app.get<WildcardParams & { Querystring: { before?: string; limit?: string } }>(
    '/log/*',
    { schema: { params: wildcard, querystring: page } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const before = optionalInteger(request.query.before, 'before', 1, Number.MAX_SAFE_INTEGER) ?? undefined
      const limit = optionalInteger(request.query.limit, 'limit', 1, MAX_COUNT) ?? undefined
      return (await groups.events.read(user.id, request.params['*'], { before, limit })).map(eventJson)
    },
  )
}
