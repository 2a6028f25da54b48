import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { requireUser } from '../signed-in/current-user.js'
import type { SignedIn } from '../signed-in/signed-in.js'
import { errors, isLoginError } from '../errors.js'
import { deviceName } from '../http/device-name.js'
import { bodyFields, isFormPost } from '../http/form-or-json.js'
import { wantsHtml } from '../http/html.js'
import { fields, formOrJson, text } from '../http/schemas.js'
import { renderPage } from '../http/views.js'
import type { AppService } from '../apps/apps.js'
import type { DeviceOutcome, DeviceSignIn, PendingDevice } from './device.js'
import { requestLog } from '../http/logging.js'

const TITLE = 'Sign in a device'
const DECISIONS = new Set(['allow', 'deny'])

/** Whether to answer with the page rather than JSON: a browser's navigation or form post. */
function asPage(request: FastifyRequest): boolean {
  return isFormPost(request) || wantsHtml(request)
}

/**
 * `/login/device` (docs/openid-provider.md, "Device sign-in"): where a
 * signed-in person types the code a TV or command-line tool shows, or
 * lands from its QR code (`verification_uri_complete`, `?user_code=`),
 * sees which app asks and allows or declines. Signed out, the sign-in
 * page comes first and returns here with the code. The page's JSON twin
 * answers the same path: `GET ?user_code=` describes the pending sign-in,
 * `POST {user_code, decision: allow|deny}` decides it.
 */
export function deviceRoutes(app: FastifyInstance, devices: DeviceSignIn, apps: AppService): void {
  const enter = (request: FastifyRequest, reply: FastifyReply, extra: { error?: string; typed?: string } = {}) =>
    renderPage(request, reply, 'device', { title: TITLE, step: 'enter', ...extra }, extra.error ? 400 : 200)

  /** The pending sign-in `typed` names; on the page, a wrong code shows the form again, saying why. */
  const find = async (
    request: FastifyRequest,
    reply: FastifyReply,
    typed: string,
  ): Promise<PendingDevice | FastifyReply> => {
    try {
      return await devices.find(typed, request.ip)
    } catch (error) {
      if (asPage(request) && isLoginError(error) && error.code === 'LOGIN_ERR_DEVICE_CODE')
        return enter(request, reply, { error: error.message, typed: typed.slice(0, 32) })
      throw error
    }
  }

  const show = async (request: FastifyRequest, reply: FastifyReply, typed: string | undefined) => {
    if (typed === undefined || typed.trim() === '') {
      if (asPage(request)) return enter(request, reply)
      throw new errors.BadRequest('user_code is required')
    }
    const pending = await find(request, reply, typed)
    if (!('userCode' in pending)) return pending
    const { userCode, client, device, expires } = pending
    if (!asPage(request)) return { user_code: userCode, app: client.clientName ?? client.clientId, device, expires }
    return renderPage(request, reply, 'device', {
      title: TITLE,
      step: 'confirm',
      app: client.clientName ?? client.clientId,
      userCode,
      deviceName: device.userAgent === null ? null : deviceName(device.userAgent),
      deviceIp: device.ip,
      expires,
    })
  }

  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    pending: PendingDevice,
    outcome: DeviceOutcome,
  ) => {
    const name = pending.client.clientName ?? pending.client.clientId
    requestLog(request).info(
      { user: signedIn.user.id, client: pending.client.clientId, outcome },
      'device sign-in decided',
    )
    const requirement = (await apps.client(pending.client.clientId))?.oidc?.require ?? ''
    const refusal = outcome === 'refused' ? new errors.Forbidden(`not a member of ${requirement}`) : null
    if (!asPage(request)) {
      if (refusal) throw refusal
      return { approved: outcome === 'approved', app: name }
    }
    return renderPage(
      request,
      reply,
      'device',
      { title: TITLE, step: outcome, app: name, requirement, code: refusal?.code },
      refusal ? 403 : 200,
    )
  }

  app.get<{ Querystring: { user_code?: string } }>(
    '/device',
    { schema: { querystring: fields({ user_code: text(64) }) } },
    async (request, reply) => {
      await requireUser(request, reply)
      return show(request, reply, request.query.user_code)
    },
  )

  app.post(
    '/device',
    { schema: { body: formOrJson({ user_code: text(64), decision: text(8) }) } },
    async (request, reply) => {
      const signedIn = await requireUser(request, reply)
      const { user_code: typed, decision } = bodyFields(request)
      if (typed !== undefined && typeof typed !== 'string') throw new errors.BadRequest('user_code must be a string')
      if (decision === undefined) return show(request, reply, typed)
      if (typeof decision !== 'string' || !DECISIONS.has(decision))
        throw new errors.BadRequest('decision must be allow or deny')
      if (typed === undefined) throw new errors.BadRequest('user_code is required')
      const pending = await find(request, reply, typed)
      if (!('userCode' in pending)) return pending
      return answer(request, reply, signedIn, pending, await devices.decide(pending, signedIn, decision === 'allow'))
    },
  )
}
