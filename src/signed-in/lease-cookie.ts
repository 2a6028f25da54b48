import type { FastifyReply } from 'fastify'
import type { CookieSerializeOptions } from '@fastify/cookie'
import { servesHttps, type Config } from '../config.js'

// Browsers keep cookies at most 400 days; the lease inside expires long
// before, and the server re-issues it while the session lives.
const COOKIE_DAYS = 180

/**
 * Where the lease cookie lives: the whole site (every app on the parent
 * domain, any port or path), HttpOnly, SameSite=Lax, Secure under https.
 * `localhost` gets a host-only cookie, which browsers share across ports.
 */
export function leaseCookieOptions(config: Config): CookieSerializeOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: servesHttps(config),
    ...(config.site === 'localhost' ? {} : { domain: config.site }),
  }
}

/** Seconds the browser keeps the lease cookie (the realtime channel tells apps, so that they set the same cookie). */
export function leaseCookieMaxAge(config: Config): number {
  return config.maxAgeSeconds ?? COOKIE_DAYS * 86400
}

export function setLeaseCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(config.cookieName, token, { ...leaseCookieOptions(config), maxAge: leaseCookieMaxAge(config) })
}

export function clearLeaseCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(config.cookieName, leaseCookieOptions(config))
}
