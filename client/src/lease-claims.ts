/**
 * The claims of a lease, the EdDSA JWT in the `login` cookie (docs/sign-in.md,
 * "Sessions and leases"): who, which session, until when. The server signs
 * them and the client library reads them, so the shape is written once,
 * here, importing nothing.
 */
export interface LeaseClaims {
  /** The user's id (the login service's UUID). */
  sub: string
  /** The session's public id. */
  sid: string
  name: string
  picture: string
  /** Issued at, Unix seconds. */
  iat: number
  /** Expires at, Unix seconds. */
  exp: number
}

/** The lease claims of a verified JWT payload, or null when one is missing or not of its type. */
export function leaseClaimsOf(payload: unknown): LeaseClaims | null {
  if (typeof payload !== 'object' || payload === null) return null
  const { sub, sid, name, picture, iat, exp } = payload as Record<string, unknown>
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof name !== 'string' ||
    typeof picture !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  )
    return null
  return { sub, sid, name, picture, iat, exp }
}
