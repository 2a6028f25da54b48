import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { Profile, User } from '../storage/users.js'
import { setLeaseCookie } from '../signed-in/lease-cookie.js'
import { currentUser } from '../signed-in/current-user.js'

/** Per-route options that rate-limit a sign-in endpoint by client IP. */
export function signInRateLimit(config: Config) {
  return { rateLimit: { max: config.rateLimit, timeWindow: '1 minute' } }
}

/**
 * Ends a successful sign-in with any provider: the account is created or
 * refreshed from the profile, a new session replaces whatever session this
 * browser had (never upgrading it), and the browser goes to `next`, which
 * the caller has already validated.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  profile: Profile,
  next: string,
): Promise<FastifyReply> {
  const { users, sessions, clock, config } = request.server.ctx
  const previous = await currentUser(request, reply)
  const user: User = await users.upsertFromProfile(profile, clock.now())
  if (previous) await sessions.revoke(previous.sid, 'replaced')
  const { token, sid } = await sessions.start({
    user,
    provider: profile.provider,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? '',
  })
  setLeaseCookie(reply, config, token)
  request.server.ctx.metrics.signIns.inc({ provider: profile.provider, outcome: 'success' })
  request.log.info({ user: user.id, provider: profile.provider, sid }, 'signed in')
  return reply.redirect(next, 303)
}
