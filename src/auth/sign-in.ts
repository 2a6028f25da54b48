import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { Profile, User } from '../storage/users.js'
import { setLeaseCookie } from './cookie.js'
import { currentUser } from './current.js'

/** Per-route options that rate-limit a sign-in endpoint by client IP. */
export function signInRateLimit(config: Config) {
  return { rateLimit: { max: config.rateLimit, timeWindow: '1 minute' } }
}

/**
 * Ends a successful sign-in with any provider: the account is created or
 * refreshed from the profile (and given a handle when it has none), and the
 * browser goes to `next`, which the caller has already validated. The
 * session this browser had stays when the same person signed in again
 * (which is how they prove who they are again when an app asks, with
 * OpenID Connect's `prompt=login` or `max_age`); anyone else's is replaced,
 * never upgraded.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  profile: Profile,
  next: string,
): Promise<FastifyReply> {
  const { users, sessions, handles, clock, config } = request.server.ctx
  const previous = await currentUser(request, reply)
  const user: User = await users.upsertFromProfile(profile, clock.now())
  await handles.ensure(user.id, profile.login ?? profile.name)
  const kept = previous?.user.id === user.id ? await sessions.reauthenticate(previous.sid, user) : null
  if (previous && kept === null) await sessions.revoke(previous.sid, 'replaced')
  const { token, sid } =
    kept !== null
      ? { token: kept, sid: previous!.sid }
      : await sessions.start({
          user,
          provider: profile.provider,
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? '',
        })
  setLeaseCookie(reply, config, token)
  request.server.ctx.metrics.signIns.inc({ provider: profile.provider, outcome: 'success' })
  request.log.info({ user: user.id, provider: profile.provider, sid }, kept !== null ? 'signed in again' : 'signed in')
  return reply.redirect(next, 303)
}
