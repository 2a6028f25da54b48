import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CookieSerializeOptions } from '@fastify/cookie'
import { servesHttps, type Config } from '../config.js'
import { requestCookie } from '../request-cookie.js'

/** Seconds a notice waits for the page after the action. */
const LIFETIME = 60
const MAX_LENGTH = 300

/**
 * The one line a page shows after a form action ("Signed out Firefox on
 * Windows."). It travels from the action to the next page in a short-lived
 * cookie signed with the form secret, so a link cannot make a page say
 * anything: only the server writes notices.
 */
function cookieName(config: Config): string {
  return `${config.cookieName}-notice`
}

function cookieOptions(config: Config): CookieSerializeOptions {
  return { path: '/login', httpOnly: true, sameSite: 'lax', secure: servesHttps(config) }
}

function signature(secret: Buffer, payload: string): string {
  return createHmac('sha256', secret).update(`notice:${payload}`).digest('base64url')
}

/** Shows `text` on the next page this browser opens under /login (within a minute). */
export function notify(request: FastifyRequest, reply: FastifyReply, text: string): void {
  const { config, formSecret, clock } = request.server.ctx
  const body = { text: text.slice(0, MAX_LENGTH), exp: clock.now() + LIFETIME }
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url')
  reply.setCookie(cookieName(config), `${payload}.${signature(formSecret, payload)}`, {
    ...cookieOptions(config),
    maxAge: LIFETIME,
  })
}

/** The pending notice, once: reading it clears it. Null when there is none, or it is stale or not ours. */
export function takeNotice(request: FastifyRequest, reply: FastifyReply): string | null {
  const { config, formSecret, clock } = request.server.ctx
  const raw = requestCookie(request, cookieName(config))
  if (raw === undefined) return null
  reply.clearCookie(cookieName(config), cookieOptions(config))
  const [payload = '', sent = ''] = raw.split('.')
  const expected = Buffer.from(signature(formSecret, payload))
  const given = Buffer.from(sent)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  try {
    const { text, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
    return typeof text === 'string' && typeof exp === 'number' && exp > clock.now() ? text : null
  } catch {
    return null
  }
}
