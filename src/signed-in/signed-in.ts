import type { LeaseClaims } from 'modular-login-client/lease-claims'
import type { User } from '../storage/users.js'

/** A request's signed-in state once its lease has been checked. */
export interface SignedIn {
  user: User
  sid: string
  claims: LeaseClaims
  /** Whether the session began with a passkey (an access rule may require it: docs/forward-auth.md, "Access rules"). */
  passkey: boolean
  /** Set when the lease had expired and was re-issued: the caller must send it back as the cookie. */
  renewed?: string
}

/** What a lease cookie comes to (SessionService.resolve): who it signs in, or that it signs nobody in and whether to drop it. */
export type Resolution = { status: 'signed-in'; signedIn: SignedIn } | { status: 'signed-out'; clearCookie: boolean }
