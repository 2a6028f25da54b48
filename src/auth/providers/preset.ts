import type { EmailFields, ProfileFields } from './profile-fields.js'

/**
 * Where a preset finds the address it vouches for: in the profile, or
 * (GitHub) in a list API answering `[{email, primary, verified}, …]`, whose
 * primary verified entry counts.
 */
export type PresetEmail = ({ in: 'profile' } & EmailFields) | { in: 'list'; url: string }

/**
 * An OAuth 2 provider described as data: where its endpoints are, what to
 * ask for, and where its profile API keeps the id, name, picture, login
 * and vouched address. Each
 * preset lives in its own file and is listed in `presets.ts`.
 */
export interface OAuthPreset {
  /** Key in credentials.json, identity provider name and URL segment: `/login/<id>`. */
  id: string
  /** Button text on the sign-in page. */
  label: string
  /** Authorization endpoint (the browser is sent here). */
  authorizeUrl: string
  /** Token endpoint (the server exchanges the code here). */
  tokenUrl: string
  /** Profile API, called with the access token. */
  profileUrl: string
  /** Scopes to ask for: only what reading the profile needs. */
  scope: readonly string[]
  /** How the client secret reaches the token endpoint: HTTP Basic (`header`) or form fields (`body`). */
  tokenAuth: 'header' | 'body'
  /** Headers the profile API wants besides the bearer token. */
  profileHeaders: Readonly<Record<string, string>>
  /** Where the profile response keeps each field. */
  profile: ProfileFields
  /** Where the address the provider vouched for is (docs/openid-provider.md, "Claims"). */
  email: PresetEmail
}

/**
 * Moves an endpoint onto another base URL, keeping its path and query:
 * `https://api.github.com/user` on `http://127.0.0.1:9000/gh` becomes
 * `http://127.0.0.1:9000/gh/user`. This is what credentials.json's
 * `base_url` does, so that tests and staging can stand in for a provider.
 */
export function rebase(endpoint: string, baseUrl: string | null): string {
  if (baseUrl === null) return endpoint
  const original = new URL(endpoint)
  const base = new URL(baseUrl)
  return new URL(base.pathname.replace(/\/$/, '') + original.pathname + original.search, base.origin).href
}
