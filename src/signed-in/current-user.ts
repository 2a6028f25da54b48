import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import { andThen, type MaybePromise } from '../maybe-promise.js'
import { clearLeaseCookie, setLeaseCookie } from './lease-cookie.js'
import type { Resolution, SignedIn } from './signed-in.js'
import { requestCookie } from '../request-cookie.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who signed this request, once asked: read it through {@link currentUser}. */
    signedIn: MaybePromise<SignedIn | null> | undefined
  }
}

/**
 * The signed-in user of this request, or null. Resolved once per request;
 * an expired lease that could be renewed is sent back as a new cookie, an
 * unusable one is cleared. Answers without a promise when the session
 * service can tell at once (SessionService.resolve): the common case of
 * forward-auth.
 */
export function currentUser(request: FastifyRequest, reply: FastifyReply): MaybePromise<SignedIn | null> {
  let answer = request.signedIn
  if (answer === undefined) {
    const { config, sessions } = request.server.ctx
    answer = andThen(sessions.resolve(requestCookie(request, config.cookieName)), settle, reply, config)
    request.signedIn = answer
  }
  return answer
}

function settle(resolution: Resolution, reply: FastifyReply, config: Config): SignedIn | null {
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
