import { errors } from '../../errors.js'
import type { ClientCredentials } from './credentials.js'
import { fetchJson } from './fetch-json.js'
import type { OAuthClient } from './oauth-client.js'
import type { OAuthProvider } from './oauth-provider.js'
import { rebase, type OAuthPreset } from './preset.js'
import { pickProfile, vouchedEmail } from './profile-fields.js'

/** The primary entry of a list of addresses (GitHub's emails API), when the provider verified it. */
function primaryVerified(list: unknown): string | null {
  if (!Array.isArray(list)) return null
  const primary = list.find(entry => typeof entry === 'object' && entry !== null && entry.primary === true)
  return primary === undefined ? null : vouchedEmail(primary, { address: 'email', verified: 'verified' })
}

/** A preset (Google, GitHub, Facebook) as a provider: the profile comes from its profile API. */
export function presetProvider(
  preset: OAuthPreset,
  credentials: ClientCredentials,
  client: OAuthClient,
  redirectUri: string,
  timeoutMs: number,
): OAuthProvider {
  const profileUrl = rebase(preset.profileUrl, credentials.baseUrl)
  const email = preset.email
  const listUrl = email.in === 'list' ? rebase(email.url, credentials.baseUrl) : null

  async function call(url: string, accessToken: string, what: string): Promise<unknown> {
    const headers = { ...preset.profileHeaders, authorization: `Bearer ${accessToken}` }
    const result = await fetchJson(url, headers, timeoutMs)
    if (!result.ok) throw new errors.Provider(`${preset.label}'s ${what} ${result.reason}`)
    return result.body
  }

  return {
    id: preset.id,
    label: preset.label,
    path: preset.id,
    redirectUri,
    authorizationUrl: request => client.authorizationUrl(request),
    exchange: (code, verifier) => client.exchange(code, verifier),
    async profile(tokens) {
      // Both at once; when both fail, the profile's failure is the one told.
      const [profile, emails] = await Promise.allSettled([
        call(profileUrl, tokens.accessToken, 'profile API'),
        listUrl === null ? null : call(listUrl, tokens.accessToken, 'emails API'),
      ])
      if (profile.status === 'rejected') throw profile.reason
      if (emails.status === 'rejected') throw emails.reason
      const [body, list] = [profile.value, emails.value]
      const address = email.in === 'list' ? primaryVerified(list) : vouchedEmail(body, email)
      return pickProfile(body, preset.profile, `${preset.label}'s profile`, address)
    },
  }
}
