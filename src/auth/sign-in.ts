import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { Profile, User } from '../storage/users.js'
import { setLeaseCookie } from '../signed-in/lease-cookie.js'
import { currentUser } from '../signed-in/current-user.js'

/** Per-route options that rate-limit a sign-in endpoint by client IP. */
export function signInRateLimit(config: Config) {
  return { rateLimit: { max: config.rateLimit, timeWindow: '1 minute' } }
}

/** How a person signed in: a provider's id or `passkey`, and what OpenID Connect's `amr` says of it. */
export interface SignInMethod {
  provider: string
  amr?: readonly string[]
}

/**
 * Starts the session of a person who just proved who they are, by any
 * method: a new session replaces whatever session this browser had (never
 * upgrading it), and its lease becomes the browser's cookie.
 */
export async function beginSession(
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
  method: SignInMethod,
): Promise<void> {
  const { sessions, config, metrics } = request.server.ctx
  const previous = await currentUser(request, reply)
  if (previous) await sessions.revoke(previous.sid, 'replaced')
  const { token, sid } = await sessions.start({
    user,
    ...method,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? '',
  })
  setLeaseCookie(reply, config, token)
  metrics.signIns.inc({ provider: method.provider, outcome: 'success' })
  request.log.info({ user: user.id, provider: method.provider, sid }, 'signed in')
}

/**
 * Ends a successful sign-in with any provider: the account is created or
 * refreshed from the profile, its session begins, and the browser goes to
 * `next`, which the caller has already validated.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  profile: Profile,
  next: string,
): Promise<FastifyReply> {
  const { users, clock } = request.server.ctx
  const user: User = await users.upsertFromProfile(profile, clock.now())
  await beginSession(request, reply, user, { provider: profile.provider })
  return reply.redirect(next, 303)
}
