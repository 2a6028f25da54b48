import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, RouteOptions, preHandlerHookHandler } from 'fastify'
import { errors } from '../errors.js'
import { currentUser } from '../signed-in/current-user.js'
import { isOnSite } from '../redirects.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
// What a browser may send to another origin without a CORS preflight (which this server never grants).
const SIMPLE_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'])

/** The token a signed-in user's HTML forms carry: bound to their session, useless to anyone else. */
export function csrfToken(request: FastifyRequest, sid: string): string {
  return createHmac('sha256', request.server.ctx.formSecret).update(`form:${sid}`).digest('base64url')
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Refuses a request that a browser sent on behalf of another site. The
 * browser's own signals decide (Sec-Fetch-Site, then Origin); a request
 * with neither comes from a non-browser client, which carries no ambient
 * cookie to abuse.
 */
export function assertSameSite(request: FastifyRequest): void {
  const fetchSite = request.headers['sec-fetch-site']
  if (fetchSite === 'cross-site') throw new errors.Csrf('the request came from another site')
  if (fetchSite === 'same-origin' || fetchSite === 'none') return
  // `same-site` is the browser's registrable domain, which can be wider than
  // LOGIN_SITE (a sibling subdomain someone else runs): the Origin decides.
  const origin = request.headers.origin
  if (typeof origin !== 'string') return
  const { site, allowedRedirectHosts } = request.server.ctx.config
  let host: string
  try {
    host = new URL(origin).hostname
  } catch {
    throw new errors.Csrf(`unreadable Origin ${JSON.stringify(origin.slice(0, 100))}`)
  }
  const ownHost = (request.hostname ?? '').split(':')[0]
  if (host !== ownHost && !isOnSite(host, { site, allowedHosts: allowedRedirectHosts })) {
    throw new errors.Csrf(`origin ${origin.slice(0, 100)} is not on this site`)
  }
}

/**
 * `onRoute` hook: puts {@link csrfGuard} first in the preHandlers of every
 * route that accepts a state-changing method, so that GET routes (the hot
 * `/login/check` among them) pay nothing for it.
 */
export function guardUnsafeRoutes(route: RouteOptions): void {
  const methods = ([] as string[]).concat(route.method)
  if (methods.every(method => SAFE_METHODS.has(method))) return
  route.preHandler = [csrfGuard, ...([] as preHandlerHookHandler[]).concat(route.preHandler ?? [])]
}

/**
 * Whether a browser sent this request from a page of another origin: a
 * sibling subdomain of the site, another port. The browser says so
 * (Sec-Fetch-Site), or its Origin names another origin than this server's.
 * A request with neither header comes from a non-browser client.
 */
function fromAnotherOrigin(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site']
  if (fetchSite === 'same-origin' || fetchSite === 'none') return false
  if (fetchSite !== undefined) return true
  const origin = request.headers.origin
  if (typeof origin !== 'string') return false
  const own = new URL(request.server.ctx.config.publicUrl).origin
  return origin !== own && origin !== `${request.protocol}://${request.host}`
}

/**
 * preHandler guard for state-changing requests (docs/security.md, "Security"):
 * same-site origin always. Then, for a signed-in user, a request in a
 * shape that any page could make (no body, a form, `text/plain`) must
 * carry the session's form token when it is a form post or comes from
 * another origin. JSON and other types cannot be sent by another origin
 * without a CORS preflight, which this server never grants.
 */
export async function csrfGuard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.routeOptions.config?.csrfExempt) return
  assertSameSite(request)
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (!SIMPLE_TYPES.has(type)) return
  if (type === '' && !fromAnotherOrigin(request)) return
  const signedIn = await currentUser(request, reply)
  if (!signedIn) return
  const sent = (request.body as Record<string, unknown> | undefined)?._csrf
  if (typeof sent !== 'string' || !sameToken(sent, csrfToken(request, signedIn.sid))) {
    throw new errors.Csrf('the form token is missing or stale; reload the page and try again')
  }
}
