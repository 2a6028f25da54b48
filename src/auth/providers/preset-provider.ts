import { errors } from '../../errors.js'
import type { ClientCredentials } from './credentials.js'
import { fetchJson } from './fetch-json.js'
import type { OAuthClient } from './oauth-client.js'
import type { OAuthProvider } from './oauth-provider.js'
import { rebase, type OAuthPreset } from './preset.js'
import { pickProfile } from './profile-fields.js'

/** A preset (Google, GitHub, Facebook) as a provider: the profile comes from its profile API. */
export function presetProvider(
  preset: OAuthPreset,
  credentials: ClientCredentials,
  client: OAuthClient,
  redirectUri: string,
  timeoutMs: number,
): OAuthProvider {
  const profileUrl = rebase(preset.profileUrl, credentials.baseUrl)
  return {
    id: preset.id,
    label: preset.label,
    path: preset.id,
    redirectUri,
    authorizationUrl: request => client.authorizationUrl(request),
    exchange: (code, verifier) => client.exchange(code, verifier),
    async profile(tokens) {
      const headers = { ...preset.profileHeaders, authorization: `Bearer ${tokens.accessToken}` }
      const result = await fetchJson(profileUrl, headers, timeoutMs)
      if (!result.ok) throw new errors.Provider(`${preset.label}'s profile API ${result.reason}`)
      return pickProfile(result.body, preset.profile, `${preset.label}'s profile`)
    },
  }
}
