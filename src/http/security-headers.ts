import helmet from 'helmet'
import type { FastifyInstance } from 'fastify'
import { servesHttps } from '../config.js'
import { carriesInvitation } from './invitation-paths.js'

/**
 * Security headers on every answer (docs/security.md, "Security"): a strict
 * Content-Security-Policy (scripts and styles only from this server's
 * static files, never inline; no framing anywhere), `X-Frame-Options:
 * DENY` for older browsers, `nosniff`, and a referrer policy that keeps
 * URLs on this site, and off every request made from an invitation page
 * (its URL is the invitation). Forms may lead anywhere on the site, as
 * `next` may. Called on the root instance, so that it covers every route
 * but forward-auth's, whose answers only a proxy reads.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  const { config } = app.ctx
  const siteHosts = [config.site, `*.${config.site}`, ...config.allowedRedirectHosts].map(host => `${host}:*`)
  // Built once: the policy is the same for every answer (it is on every /login/check, the hottest path).
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'", ...siteHosts],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: servesHttps(config) ? { maxAge: 180 * 86400 } : false,
    // Apps on the site fetch the JWKS and images from here; nothing is embedded cross-origin.
    crossOriginResourcePolicy: false,
    crossOriginEmbedderPolicy: false,
  })
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config?.forProxy) return done()
    // Fastify's own headers win over those set on the raw response, whenever the answer is sent.
    if (carriesInvitation(request.url)) reply.header('referrer-policy', 'no-referrer')
    setHeaders(request.raw, reply.raw, error => done(error as Error | undefined))
  })
}
