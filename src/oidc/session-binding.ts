import type { Provider, Session } from 'oidc-provider'
import type { SignedIn } from '../signed-in/signed-in.js'
import type { SignInOf } from './sign-in-of.js'
import { signedInOf } from './forwarded.js'

/**
 * Makes oidc-provider's browser session a mirror of the login session: the
 * one whose lease cookie the browser sent, which is what "signed in" means
 * everywhere else on the site. Whenever oidc-provider loads its session for
 * a request (authorization, logout), it gets:
 *
 * - the session whose uid is the login session's sid, when signed in (a new
 *   one, already signed in, when there is none yet): a signed-in user is
 *   never asked to sign in again, and `prompt=none` works on the lease alone;
 * - an empty session when signed out, whatever its own cookie says, so that
 *   signing out here signs out of the OpenID Provider too.
 *
 * Its uid being the sid is what ties codes and tokens to the login session:
 * they carry it as `sessionUid`, and ending the login session finds the
 * provider sessions to end by it. oidc-provider exposes `Session.get` as
 * the one place its session is loaded, which is why this wraps it.
 */
export function mirrorLoginSessions(provider: Provider, signInOf: SignInOf): void {
  const { Session } = provider
  const load = Session.get.bind(Session)
  Session.get = async ctx => {
    const own = await load(ctx)
    const signedIn = signedInOf(ctx.req)
    if (!signedIn) return own.accountId ? new Session() : own
    if (own.uid === signedIn.sid && own.accountId === signedIn.user.id) return own
    return mirrorOf(provider, signedIn, signInOf)
  }
}

/**
 * The provider session that mirrors a login session: the stored one, or a
 * new one already signed in (saved by whoever changes it). Device sign-in,
 * which oidc-provider does not see in a browser, uses it too.
 */
export async function mirrorOf(provider: Provider, signedIn: SignedIn, signInOf: SignInOf): Promise<Session> {
  const { sid, user } = signedIn
  const mirror = await provider.Session.findByUid(sid)
  if (mirror && mirror.accountId === user.id) return mirror
  // A session built from a payload is one to save (and to set the cookie of); the typings omit that constructor.
  const Stored = provider.Session as unknown as new (payload: {
    uid: string
    accountId: string
    loginTs?: number
    amr?: string[]
  }) => Session
  const { ts, amr } = await signInOf(signedIn)
  return new Stored({ uid: sid, accountId: user.id, loginTs: ts, amr })
}
