import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { currentUser, requireUser } from '../signed-in/current-user.js'
import { errors, isLoginError } from '../errors.js'
import { answer, bodyFields, idsOf, isFormPost } from '../http/form-or-json.js'
import { DEFAULT_LANDING } from '../http/invitation-paths.js'
import { listingRoutes } from '../http/listing-routes.js'
import { notify } from '../http/notice.js'
import { bodyOf, fields, formFields, formOrJson, idArray, idsBody, param, text, yesNo } from '../http/schemas.js'
import { signInOptions } from '../http/sign-in-options.js'
import { renderPage } from '../http/views.js'
import { eventText } from './event-text.js'
import { flag, MAX_COUNT, optionalInteger } from '../field-checks.js'
import { invitationRequestFromForm } from './invitation-form.js'
import { parseInvitationRequest } from './invitation-request.js'
import { inviteFormMessage } from './invite-form-message.js'
import { cancellableJson, eventJson, invitableJson, membershipJson, openedJson, removableJson } from './json-shapes.js'
import { qrPng } from './qr.js'

type InviteParams = { Params: { invite: string } }
type WildcardParams = { Params: { '*': string } }

const inviteParams = param('invite', 64)
const membershipParams = param('membership', 100)
const wildcard = param('*', 600)
const logPage = fields({ before: text(20), limit: text(20) })
// The invite view's form: one row of fields per group (`g<row>`, `g<row>.<field>`); the JSON body is read by its parser.
const invitationBody = bodyOf(
  {
    ...formFields({ invitees: text(20), redirect: text(2048), confirm: yesNo }),
    patternProperties: { '^g\\d{1,3}(\\.[a-z_]{1,32})?$': text(256) },
  },
  { type: 'object' },
)

/** Entries per page of the audit log view. */
const LOG_PAGE = 100

/** `/login/access/view/log/<path>`, each segment encoded. */
function logUrl(path: string): string {
  return `/login/access/view/log/${path.split('/').map(encodeURIComponent).join('/')}`
}

/** What a notice names: one or two things by name ("a and b"), more by count ("3 members"). */
function listed(items: readonly string[], many: string): string {
  if (items.length > 0 && items.length <= 2) return items.join(' and ')
  return `${items.length} ${many}`
}

/**
 * Whether the visitor came to this page by themselves: typed or scanned
 * (no initiator) or from one of this server's own pages. Only then does an
 * invitation accept itself on opening; a link followed from another site,
 * which could join a signed-in visitor to a group without a click, always
 * shows the button (docs/security.md, "Security").
 */
function arrivedDirectly(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site']
  return fetchSite === 'none' || fetchSite === 'same-origin'
}

/**
 * Access groups over HTTP (docs/access-groups.md, "Access groups"), registered under `/login/access`:
 * JSON endpoints, and `/view/` pages that mirror them.
 */
export async function accessRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const { groups, config } = ctx
  const acceptUrl = (code: string) => `${config.publicUrl}/login/access/accept/${code}`
  const qrAcceptUrl = (code: string) => `${config.publicUrl}/login/access/qr/accept/${code}`

  // ---- the caller's memberships

  listingRoutes(app, {
    path: '/groups',
    // With the hosts and paths each group opens under the access rules, so that whoever invites knows what they hand on.
    load: async ({ user }) =>
      (await groups.membership.current(user.id)).map(m => ({
        ...membershipJson(m),
        opens: ctx.rules.opening(m.path).map(openedJson),
      })),
    page: {
      template: 'access-groups',
      title: 'Your groups',
      // The audit log of a group is for those who may remove anyone in it.
      data: async (memberships, { user }) => ({
        memberships: await Promise.all(
          memberships.map(async m => ({
            ...m,
            logUrl: ((await groups.membership.powerOver(user.id, m.path)) ?? 0) >= 2 ? logUrl(m.path) : null,
          })),
        ),
      }),
    },
  })

  app.get<{ Params: { membership: string } }>(
    '/view/leave/:membership',
    { schema: { params: membershipParams } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const membership = (await groups.membership.current(user.id)).find(m => m.id === request.params.membership)
      if (!membership) throw new errors.NotFound('No such current membership of yours')
      return renderPage(request, reply, 'confirm-leave', {
        title: `Leave ${membership.path}?`,
        membership: membershipJson(membership),
      })
    },
  )

  app.post<{ Params: { membership: string } }>(
    '/leave/:membership',
    { schema: { params: membershipParams, body: formOrJson({}) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const path = (await groups.membership.current(user.id)).find(m => m.id === request.params.membership)?.path
      await groups.removal.leave(user.id, request.params.membership)
      return answer(request, reply, { left: request.params.membership }, () => ({
        to: '/login/access/view/groups',
        notice: path ? `You left ${path}.` : 'You left the group.',
      }))
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
        await (group ? await groups.invitations.invitable(user.id, group) : await groups.invitations.invitable(user.id))
      ).map(invitableJson)
      return renderPage(request, reply, 'access-invite', { title: 'Invite people', invitable, group: group ?? '' })
    },
  )

  /**
   * The invite form again, with what was typed and, above it, why no link
   * was made: the refusal in the form's words (groups by path, labels,
   * readable times).
   */
  const inviteAgain = async (
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    error: Error,
    status: number,
  ) => {
    const values = Object.fromEntries(
      Object.entries(bodyFields(request)).map(([key, value]) => [
        key,
        String(Array.isArray(value) ? value.at(-1) : value),
      ]),
    )
    const invitable = (await groups.invitations.invitable(userId)).map(invitableJson)
    const rows = Object.keys(values)
      .filter(key => /^g\d{1,3}$/.test(key) && values[key] === 'on')
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
      .map(key => values[`${key}.accessing`] ?? '')
    const memberships = new Map(invitable.map(g => [g.membership, g.path]))
    return renderPage(
      request,
      reply,
      'access-invite',
      {
        title: 'Invite people',
        invitable,
        group: '',
        values,
        error: inviteFormMessage(error.message, rows, memberships),
      },
      status,
    )
  }

  app.post('/allow', { schema: { body: invitationBody } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const form = isFormPost(request)
    if (!form) {
      const link = await groups.invitations.create(user.id, parseInvitationRequest(request.body))
      return { long: link.id, short: link.code, url: acceptUrl(link.code) }
    }
    try {
      const link = await groups.invitations.create(
        user.id,
        invitationRequestFromForm(bodyFields(request), ctx.clock.now()),
      )
      // The form lands on the preview, which is what the inviter sees at the accept link.
      notify(request, reply, 'Your invitation link is ready.')
      return reply.redirect(`/login/access/accept/${link.code}`, 303)
    } catch (error) {
      const status = isLoginError(error) ? (error.statusCode ?? 500) : 500
      if (status >= 500) throw error
      return inviteAgain(request, reply, user.id, error as Error, status)
    }
  })

  // ---- accepting

  const acceptPage = async (request: FastifyRequest<InviteParams>, reply: FastifyReply, qr: boolean) => {
    const signedIn = await currentUser(request, reply)
    if (!signedIn) {
      // Who invites to what, and the sign-in buttons, which come back here.
      const link = await groups.invitations.describe(request.params.invite, null)
      if (link.closed !== null)
        throw new errors.InvitationGone(`This invitation can no longer be accepted: ${link.closed}`)
      return renderPage(request, reply, 'access-invited', {
        title: 'You are invited',
        link,
        providers: signInOptions(request, request.url),
        next: request.url,
        passkeySignUp: ctx.passkeys.signUp.allowed !== 'off',
        passkeyScripts: true,
      })
    }
    const link = await groups.invitations.describe(request.params.invite, signedIn.user.id)
    if (link.viewerIsInviter) {
      return renderPage(request, reply, 'access-preview', {
        title: 'Your invitation',
        link,
        url: acceptUrl(link.code),
        qrUrl: qrAcceptUrl(link.code),
        qrImage: `/login/access/qr/img/${link.code}`,
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
      const accepted = await ctx.metrics.invitationAcceptance(() =>
        groups.invitations.accept(user.id, request.params.invite),
      )
      const redirect = accepted.redirect ?? DEFAULT_LANDING
      if (!isFormPost(request)) return { memberships: accepted.memberships.map(membershipJson), redirect }
      const paths = accepted.memberships.map(m => m.path)
      if (flag(bodyFields(request).handoff, 'handoff')) {
        return renderPage(request, reply, 'access-handoff', {
          title: 'You joined',
          paths,
          redirect,
          redirectLabel: accepted.redirect === null ? 'See your groups' : 'Continue here',
          handoff: `${config.publicUrl}/login/access/qr`,
        })
      }
      // An app's own page says what the access is for; the default landing says what happened.
      if (accepted.redirect === null) notify(request, reply, `You joined ${paths.join(', ')}.`)
      return reply.redirect(redirect, 303)
    },
  )

  // ---- QR codes

  app.get<InviteParams>('/qr/img/:invite', { schema: { params: inviteParams } }, async (request, reply) => {
    const { code } = await groups.invitations.describe(request.params.invite, null)
    const png = await qrPng(qrAcceptUrl(code))
    return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png)
  })

  app.get('/qr', { config: { html: true } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    return reply.redirect((await groups.invitations.latestRedirect(user.id)) ?? DEFAULT_LANDING, 303)
  })

  // ---- removing members

  listingRoutes(app, {
    path: '/remove',
    load: async ({ user }) => (await groups.removal.removable(user.id)).map(removableJson),
    page: { template: 'access-remove', title: 'Remove members', data: removable => ({ removable }) },
  })

  app.get<{ Querystring: { memberships?: string | string[]; cascade?: string } }>(
    '/view/remove/confirm',
    { schema: { querystring: fields({ memberships: idArray(), cascade: text(10) }) } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const { memberships, cascade } = request.query
      const ids = new Set(typeof memberships === 'string' ? [memberships] : (memberships ?? []))
      const members = (await groups.removal.removable(user.id)).filter(m => ids.has(m.id)).map(removableJson)
      if (members.length === 0) {
        notify(request, reply, 'Tick the members to remove first.')
        return reply.redirect('/login/access/view/remove', 303)
      }
      return renderPage(request, reply, 'confirm-remove', {
        title: members.length === 1 ? `Remove ${members[0]!.name}?` : `Remove ${members.length} members?`,
        members,
        cascade: flag(cascade, 'cascade'),
      })
    },
  )

  app.post('/revoke', { schema: { body: idsBody('memberships', { cascade: yesNo }) } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const ids = idsOf(request, 'memberships')
    const form = isFormPost(request)
    const named = form ? (await groups.removal.removable(user.id)).filter(m => ids.includes(m.id)) : []
    const removed = await groups.removal.revoke(user.id, ids, flag(bodyFields(request).cascade, 'cascade'))
    return answer(request, reply, { removed }, () => {
      const who = listed(
        named.map(m => `${m.userName} from ${m.path}`),
        'members',
      )
      const more = removed.length - named.length
      return {
        to: '/login/access/view/remove',
        notice: `Removed ${who}${more > 0 ? ` and ${more} admitted below them` : ''}.`,
      }
    })
  })

  // ---- cancelling invitations

  listingRoutes(app, {
    path: '/renege',
    load: async ({ user }) => (await groups.removal.cancellable(user.id)).map(cancellableJson),
    page: { template: 'access-renege', title: 'Cancel invitations', data: cancellable => ({ cancellable }) },
  })

  app.post('/cancel', { schema: { body: idsBody('invitations') } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const ids = idsOf(request, 'invitations')
    const form = isFormPost(request)
    const named = form ? (await groups.removal.cancellable(user.id)).filter(i => ids.includes(i.id)) : []
    const cancelled = await groups.removal.cancel(user.id, ids)
    return answer(request, reply, { cancelled }, () => ({
      to: '/login/access/view/renege',
      notice: `Cancelled ${listed(
        named.map(i => `the invitation to ${i.path}`),
        'invitations',
      )}.`,
    }))
  })

  // ---- audit log

  app.get<WildcardParams & { Querystring: { before?: string; limit?: string } }>(
    '/log/*',
    { schema: { params: wildcard, querystring: logPage } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const before = optionalInteger(request.query.before, 'before', 1, Number.MAX_SAFE_INTEGER) ?? undefined
      const limit = optionalInteger(request.query.limit, 'limit', 1, MAX_COUNT) ?? undefined
      return (await groups.events.read(user.id, request.params['*'], { before, limit })).map(eventJson)
    },
  )

  app.get<WildcardParams & { Querystring: { before?: string } }>(
    '/view/log/*',
    { schema: { params: wildcard, querystring: logPage } },
    async (request, reply) => {
      const { user } = await requireUser(request, reply)
      const ref = request.params['*']
      const before = optionalInteger(request.query.before, 'before', 1, Number.MAX_SAFE_INTEGER) ?? undefined
      const events = await groups.events.read(user.id, ref, { before, limit: LOG_PAGE })
      const group = (await groups.tree.require(ref)).path
      const last = events.at(-1)
      return renderPage(request, reply, 'access-log', {
        title: `Audit log of ${group}`,
        group,
        before,
        events: events.map(e => ({ ...eventJson(e), text: eventText(e) })),
        older: events.length === LOG_PAGE && last ? `${logUrl(group)}?before=${last.id}` : null,
      })
    },
  )
}
