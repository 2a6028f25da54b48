import { errors as jose, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { errors } from '../../errors.js'

/** What an ID token must match to sign anybody in (OpenID Connect Core §3.1.3.7). */
export interface IdTokenCheck {
  issuer: string
  /** Our client id. */
  audience: string
  /** The nonce this flow sent in its authorization request. */
  nonce: string
  algorithms: string[]
  /** Current time, Unix seconds (the server's clock, so that tests can move it). */
  now: number
  /** Provider name for messages. */
  what: string
}

// Clocks of providers and servers drift a little; a minute more would only widen replay windows.
const CLOCK_TOLERANCE_SECONDS = 30

function rejected(what: string, error: unknown): InstanceType<typeof errors.Provider> {
  if (error instanceof jose.JWTExpired) return new errors.Provider(`${what}'s ID token has expired`)
  if (error instanceof jose.JWSSignatureVerificationFailed)
    return new errors.Provider(`${what}'s ID token signature does not verify`)
  if (error instanceof jose.JWKSNoMatchingKey)
    return new errors.Provider(`${what}'s ID token is signed with a key the provider does not publish`)
  if (error instanceof jose.JWKSTimeout)
    return new errors.Provider(`${what}'s signing keys (JWKS) did not arrive in time`)
  // jose's messages name the claim or header at fault and never include the token.
  if (error instanceof jose.JOSEError) return new errors.Provider(`${what}'s ID token was rejected: ${error.message}`)
  return new errors.Provider(`${what}'s signing keys (JWKS) could not be fetched`)
}

/**
 * Verifies an ID token against the provider's published keys: signature,
 * issuer, audience, expiry, and the flow's nonce (which makes a token
 * obtained for another sign-in useless here). Answers its claims; every
 * failure is LOGIN_ERR_PROVIDER.
 */
export async function verifyIdToken(token: string, keys: JWTVerifyGetKey, check: IdTokenCheck): Promise<JWTPayload> {
  let claims: JWTPayload
  try {
    ;({ payload: claims } = await jwtVerify(token, keys, {
      issuer: check.issuer,
      audience: check.audience,
      algorithms: check.algorithms,
      requiredClaims: ['sub', 'iat', 'exp'],
      currentDate: new Date(check.now * 1000),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }))
  } catch (error) {
    throw rejected(check.what, error)
  }
  if (claims.nonce !== check.nonce)
    throw new errors.Provider(`${check.what}'s ID token was issued for another sign-in (nonce mismatch)`)
  // Core §3.1.3.7 (4, 5): with several audiences, we must be the authorized party.
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== check.audience) {
    throw new errors.Provider(`${check.what}'s ID token names another authorized party (azp)`)
  }
  return claims
}
