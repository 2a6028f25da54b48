import type { SessionService } from '../auth/sessions.js'
import type { SignedIn } from '../signed-in/signed-in.js'

/**
 * How the person behind a login session proved who they are, as oidc-provider records it: `auth_time` (their
 * last sign-in on it: signing in again as the same person moves it on), and `amr` when there is something to say.
 */
export interface SignInFacts {
  ts?: number
  amr?: string[]
}

export type SignInOf = (signedIn: SignedIn) => Promise<SignInFacts>

/**
 * What the sessions table says of the session behind a lease: when the
 * person last proved who they are on it, and the `amr` values (RFC 8176)
 * recorded for a passkey sign-in, which ID tokens then carry
 * (docs/passkeys.md, "Apps can tell").
 */
export function signInOfSessions(sessions: Pick<SessionService, 'owned'>): SignInOf {
  return async ({ user, sid }) => {
    const session = await sessions.owned(user.id, sid)
    if (!session) return {}
    return { ts: session.authenticated, ...(session.amr ? { amr: session.amr.split(' ') } : {}) }
  }
}
