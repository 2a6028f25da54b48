import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose'
import { TokenMemo } from './token-memo.js'
import { unixSeconds, type Clock } from './clock.js'
import type { CookieSpec } from './cookies.js'
import { KeySet } from './keys.js'
import { leaseClaimsOf, type LeaseClaims } from './lease-claims.js'
import type { AuthResult, LoginUser } from './types.js'

/** A verified token, memoised until well after its `exp`. */
export interface Lease {
  claims: LeaseClaims
  user: LoginUser
  /** The answer for this lease with no group and no cookie to set: shared, so the memoised path allocates nothing. */
  ok: AuthResult
}

/** No cookie to set: one frozen list shared by every answer that sets none. */
export const NO_COOKIES: readonly CookieSpec[] = Object.freeze([])

const MEMO_LIMIT = 100_000
/** Expired leases stay memoised this long, so that a browser still sending one is refreshed without re-verifying it. */
const EXPIRED_GRACE_SECONDS = 300

class UnknownKeyError extends Error {}

function leaseOf(claims: LeaseClaims): Lease {
  const user = Object.freeze({ id: claims.sub, name: claims.name, picture: claims.picture })
  return { claims, user, ok: Object.freeze({ status: 'ok', user, cookies: NO_COOKIES }) as AuthResult }
}

/**
 * Verifies leases locally with the login server's public keys (docs/client-library.md,
 * "What the library does per request") and memoises each token, expired
 * or not, so that a token is checked once rather than per request.
 */
export class LeaseVerifier {
  private readonly keys: KeySet
  private readonly memo: TokenMemo<Lease>
  private readonly keyFor = (header: JWTHeaderParameters) => {
    const key = this.keys.get(header.kid)
    if (!key) throw new UnknownKeyError(header.kid ?? '(none)')
    return key
  }

  constructor(
    jwksUrl: string,
    timeoutMs: number,
    private readonly clock: Clock,
  ) {
    this.keys = new KeySet(jwksUrl, timeoutMs)
    this.memo = new TokenMemo(MEMO_LIMIT, lease => lease.claims.exp + EXPIRED_GRACE_SECONDS <= unixSeconds(clock))
  }

  /** How many verification keys are loaded. */
  get keyCount(): number {
    return this.keys.size
  }

  /** Resolves once the keys have been fetched. */
  ready(): Promise<void> {
    return this.keys.ensure()
  }

  /** The lease of a token seen before, or undefined. */
  memoised(token: string): Lease | undefined {
    return this.memo.get(token)
  }

  /** Replaces the keys with the set the server pushed; every lease is verified again, as a key may have been withdrawn. */
  async replaceKeys(jwks: { keys: unknown[] }): Promise<void> {
    await this.keys.replace(jwks)
    this.memo.clear()
  }

  /** Drops leases long expired. */
  sweep(): void {
    this.memo.sweep()
  }

  /** Verifies a token seen for the first time; `unavailable` when the keys cannot be fetched. */
  async verify(token: string): Promise<Lease | 'invalid' | 'unavailable'> {
    if (this.keys.size === 0) {
      try {
        await this.keys.ensure()
      } catch {
        return 'unavailable'
      }
    }
    const currentDate = new Date(this.clock.now())
    for (let attempt = 0; ; attempt++) {
      let claims: LeaseClaims | null
      try {
        const { payload } = await jwtVerify(token, this.keyFor, { algorithms: ['EdDSA'], currentDate })
        claims = leaseClaimsOf(payload)
      } catch (error) {
        if (error instanceof UnknownKeyError && attempt === 0) {
          // A key rotated since the last fetch, or a forged kid (the re-fetch is rate-limited).
          try {
            await this.keys.refetch()
            continue
          } catch {
            // Server down: a key it started using meanwhile cannot be learnt yet.
            return 'unavailable'
          }
        }
        // The signature is checked before the claims, so an expired lease's payload is authentic.
        claims = error instanceof joseErrors.JWTExpired ? leaseClaimsOf(error.payload) : null
      }
      if (!claims) return 'invalid'
      const lease = leaseOf(claims)
      this.memo.set(token, lease)
      return lease
    }
  }
}
