import type { SessionService } from '../auth/sessions.js'
import type { SignedIn } from '../signed-in/signed-in.js'

/** How a login session began, as oidc-provider records it: `auth_time`, and `amr` when there is something to say. */
export interface SignInFacts {
  ts?: number
  amr?: string[]
}

export type SignInOf = (signedIn: SignedIn) => Promise<SignInFacts>

/**
 * What the sessions table says of how the session behind a lease began:
 * its start, and the `amr` values (RFC 8176) recorded for a passkey
 * sign-in, which ID tokens then carry (docs/passkeys.md, "Apps can tell").
 */
export function signInOfSessions(sessions: Pick<SessionService, 'owned'>): SignInOf {
  return async ({ user, sid }) => {
    const session = await sessions.owned(user.id, sid)
    if (!session) return {}
    return { ts: session.created, ...(session.amr ? { amr: session.amr.split(' ') } : {}) }
  }
}
