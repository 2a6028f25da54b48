import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { Profile, User } from '../storage/users.js'
import { setLeaseCookie } from '../signed-in/lease-cookie.js'
import { currentUser } from '../signed-in/current-user.js'
import { requestLog } from '../http/logging.js'

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
 * method, and its lease becomes the browser's cookie. The session this
 * browser had goes on when the same person signed in again (which is how
 * they prove who they are again when an app asks, with OpenID Connect's
 * `prompt=login` or `max_age`): it records when and how; anyone else's is
 * replaced, never upgraded.
 */
export async function beginSession(
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
  method: SignInMethod,
): Promise<void> {
  const { sessions, config, metrics } = request.server.ctx
  const previous = await currentUser(request, reply)
  const kept = previous?.user.id === user.id ? await sessions.reauthenticate(previous.sid, user, method.amr) : null
  if (previous && kept === null) await sessions.revoke(previous.sid, 'replaced')
  const { token, sid } =
    kept ??
    (await sessions.start({
      user,
      ...method,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? '',
    }))
  setLeaseCookie(reply, config, token)
  metrics.signIns.inc({ provider: method.provider, outcome: 'success' })
  requestLog(request).info({ user: user.id, provider: method.provider, sid }, kept ? 'signed in again' : 'signed in')
}

/**
 * Ends a successful sign-in with any provider: the account is created or
 * refreshed from the profile (and given a handle when it has none), its
 * session begins (or goes on, for the same person), and the browser goes to
 * `next`, which the caller has already validated.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  profile: Profile,
  next: string,
): Promise<FastifyReply> {
  const { users, handles, clock } = request.server.ctx
  const user: User = await users.upsertFromProfile(profile, clock.now())
  await handles.ensure(user.id, profile.login ?? profile.name)
  await beginSession(request, reply, user, { provider: profile.provider })
  return reply.redirect(next, 303)
}
