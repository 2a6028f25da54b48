import { createHash, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { servesHttps, type Config } from '../config.js'
import { requestCookie } from '../request-cookie.js'

const VALUE = /^[A-Za-z0-9_-]{43}$/

/**
 * The cookie that ties an OAuth flow to the browser that started it, so
 * that a callback URL carried to another browser (login CSRF) finds no
 * flow. One random value per browser, shared by all its pending flows (two
 * tabs may sign in at once); the server keeps only its hash. Under https it
 * is a `__Host-` cookie, which no sibling subdomain can plant.
 */
function cookieName(config: Config): string {
  return servesHttps(config) ? `__Host-${config.cookieName}-flow` : `${config.cookieName}-flow`
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** This browser's binding, set (or kept, with a fresh lifetime) for `seconds`. */
export function bindBrowser(request: FastifyRequest, reply: FastifyReply, config: Config, seconds: number): string {
  const name = cookieName(config)
  const existing = requestCookie(request, name)
  const value = existing && VALUE.test(existing) ? existing : randomBytes(32).toString('base64url')
  // SameSite=Lax still sends it on the provider's top-level redirect back to the callback.
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: servesHttps(config),
    maxAge: seconds,
  })
  return digest(value)
}

/** The binding of the browser making this request, or null when it has none. */
export function boundBrowser(request: FastifyRequest, config: Config): string | null {
  const value = requestCookie(request, cookieName(config))
  return value && VALUE.test(value) ? digest(value) : null
}
