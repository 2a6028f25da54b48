import { createRemoteJWKSet } from 'jose'
import type { Clock } from '../../clock.js'
import { errors } from '../../errors.js'
import type { OidcCredentials } from './credentials.js'
import { fetchJson } from './fetch-json.js'
import { verifyIdToken } from './id-token.js'
import type { OAuthClient } from './oauth-client.js'
import type { OidcMetadata } from './oidc-discovery.js'
import type { OAuthProvider } from './oauth-provider.js'
import { pickProfile, vouchedEmail, type ProfileFields } from './profile-fields.js'

const CLAIMS: ProfileFields = {
  id: ['sub'],
  name: ['name', 'preferred_username', 'nickname', 'email'],
  picture: ['picture'],
  login: ['preferred_username', 'nickname'],
}

/**
 * A generic OpenID Connect provider: who signed in is what its verified ID
 * token says; its address counts when it says `email_verified` (Core §5.1).
 * Providers that keep the name, picture or address out of the ID token
 * (many do unless configured) are asked at their userinfo endpoint, whose
 * answer counts only for the same `sub` (Core §5.3.2).
 */
export function oidcProvider(
  credentials: OidcCredentials,
  metadata: OidcMetadata,
  client: OAuthClient,
  redirectUri: string,
  clock: Clock,
  timeoutMs: number,
): OAuthProvider {
  const keys = createRemoteJWKSet(new URL(metadata.jwksUri), { timeoutDuration: timeoutMs })
  const what = credentials.label

  async function userinfo(accessToken: string, sub: string): Promise<Record<string, unknown>> {
    if (metadata.userinfoEndpoint === null) return {}
    const result = await fetchJson(metadata.userinfoEndpoint, { authorization: `Bearer ${accessToken}` }, timeoutMs)
    if (!result.ok) throw new errors.Provider(`${what}'s userinfo endpoint ${result.reason}`)
    const info = pickProfile(result.body, CLAIMS, `${what}'s userinfo`)
    if (info.providerUserId !== sub)
      throw new errors.Provider(`${what}'s userinfo describes another user than the ID token`)
    return result.body as Record<string, unknown>
  }

  return {
    id: `oidc:${credentials.name}`,
    label: credentials.label,
    path: `oidc/${credentials.name}`,
    redirectUri,
    authorizationUrl: request => client.authorizationUrl(request, { nonce: request.nonce }),
    exchange: (code, verifier) => client.exchange(code, verifier),
    async profile(tokens, nonce) {
      if (tokens.idToken === null) throw new errors.Provider(`${what}'s token endpoint sent no ID token`)
      const claims = await verifyIdToken(tokens.idToken, keys, {
        issuer: metadata.issuer,
        audience: credentials.id,
        nonce,
        algorithms: metadata.algorithms,
        now: clock.now(),
        what,
      })
      const sub = String(claims.sub)
      const complete = ['name', 'picture', 'email'].every(claim => typeof claims[claim] === 'string')
      const extra = complete ? {} : await userinfo(tokens.accessToken, sub)
      // The ID token wins where both speak: it is signed, the userinfo answer is not.
      const merged = { ...extra, ...claims }
      const email = vouchedEmail(merged, { address: 'email', verified: 'email_verified' })
      return pickProfile(merged, CLAIMS, `${what}'s ID token`, email)
    },
  }
}
