import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { TokenMemo } from 'modular-login-client/token-memo'
import { leaseClaimsOf, type LeaseClaims } from 'modular-login-client/lease-claims'
import type { Clock } from '../clock.js'
import type { User } from '../storage/users.js'
import type { KeyRing } from './keys.js'

export type { LeaseClaims }

export type LeaseCheck =
  | { status: 'valid'; claims: LeaseClaims }
  /** Authentic but past `exp`: the session may be asked for a new one. */
  | { status: 'expired'; claims: LeaseClaims }
  | { status: 'invalid' }

// As many as the sessions a node keeps in mind (src/auth/sessions.ts), each with its current lease: a node that knows
// a session should not have to verify its lease again (docs/operating.md, "Sizing").
const MEMO_LIMIT = 100_000

/**
 * Signs and verifies leases (EdDSA JWTs). Verified tokens are memoised until
 * their `exp`, so a signature is checked once per lease, not per request.
 */
export class LeaseService {
  private readonly memo: TokenMemo<LeaseClaims>
  private keySetFor = ''
  private keySet: ReturnType<typeof createLocalJWKSet> | null = null

  /** `retiredKeySeconds`: how long a retired key still verifies leases coming back for renewal (one lease lifetime by default). */
  constructor(
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly leaseSeconds: number,
    private readonly retiredKeySeconds = leaseSeconds,
  ) {
    this.memo = new TokenMemo(MEMO_LIMIT, claims => claims.exp <= clock.now())
  }

  /** Signs a lease for one lease lifetime, cut short at `notAfter` (the session's absolute timeout) when given. */
  async issue(user: User, sid: string, notAfter?: number): Promise<{ token: string; claims: LeaseClaims }> {
    const iat = this.clock.now()
    const exp = Math.min(iat + this.leaseSeconds, notAfter ?? Number.POSITIVE_INFINITY)
    const claims: LeaseClaims = { sub: user.id, sid, name: user.name, picture: user.picture, iat, exp }
    const token = await new SignJWT({ sid, name: user.name, picture: user.picture })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.signing.kid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(claims.exp)
      .sign(this.keys.signing.privateKey)
    return { token, claims }
  }

  /** The claims of a token this process has verified before (its signature is not checked again), if any. */
  memoised(token: string): LeaseClaims | undefined {
    return this.memo.get(token)
  }

  async check(token: string): Promise<LeaseCheck> {
    const now = this.clock.now()
    const known = this.memo.get(token)
    if (known) return known.exp > now ? { status: 'valid', claims: known } : { status: 'expired', claims: known }
    try {
      const { payload } = await jwtVerify(token, this.verificationKeys(), {
        algorithms: ['EdDSA'],
        currentDate: new Date(now * 1000),
      })
      const claims = leaseClaimsOf(payload)
      if (!claims) return { status: 'invalid' }
      this.memo.set(token, claims)
      return { status: 'valid', claims }
    } catch (error) {
      // The signature is checked before the claims, so an expired lease's payload is authentic.
      if (error instanceof joseErrors.JWTExpired) {
        const claims = leaseClaimsOf(error.payload)
        if (claims) return { status: 'expired', claims }
      }
      return { status: 'invalid' }
    }
  }

  /** Lets go of memoised tokens (a key rotation, or tests). */
  forget(): void {
    this.memo.clear()
    this.keySet = null
  }

  private verificationKeys() {
    const jwks = this.keys.verifying(this.clock.now(), this.retiredKeySeconds)
    const signature = jwks.keys.map(k => k.kid).join()
    if (!this.keySet || signature !== this.keySetFor) {
      this.keySet = createLocalJWKSet(jwks)
      this.keySetFor = signature
    }
    return this.keySet
  }
}
