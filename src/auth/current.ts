import type { FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import { clearLeaseCookie, setLeaseCookie } from './cookie.js'
import type { SignedIn } from './sessions.js'

const resolved = new WeakMap<FastifyRequest, Promise<SignedIn | null>>()

/**
 * The signed-in user of this request, or null. Resolved once per request;
 * an expired lease that could be renewed is sent back as a new cookie, an
 * unusable one is cleared.
 */
export function currentUser(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | null> {
  let pending = resolved.get(request)
  if (!pending) {
    pending = resolve(request, reply)
    resolved.set(request, pending)
  }
  return pending
}

async function resolve(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | null> {
  const { config, sessions } = request.server.ctx
  const resolution = await sessions.resolve(request.cookies[config.cookieName])
  if (resolution.status === 'signed-out') {
    if (resolution.clearCookie) clearLeaseCookie(reply, config)
    return null
  }
  if (resolution.signedIn.renewed) setLeaseCookie(reply, config, resolution.signedIn.renewed)
  return resolution.signedIn
}

/** The signed-in user, or `LOGIN_ERR_UNAUTHENTICATED` (which page requests turn into a redirect to /login). */
export async function requireUser(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn> {
  const signedIn = await currentUser(request, reply)
  if (!signedIn) throw new errors.Unauthenticated()
  return signedIn
}
