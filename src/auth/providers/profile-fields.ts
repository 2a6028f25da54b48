import { errors } from '../../errors.js'

/**
 * Where a provider's profile JSON keeps each field, as dot paths
 * (`picture.data.url`); for each field the first path that holds a usable
 * value wins, so `['name', 'login']` reads as "name, else login".
 */
export interface ProfileFields {
  id: readonly string[]
  name: readonly string[]
  picture: readonly string[]
  /** The provider's own handle for the person (GitHub's `login`), offered as their handle here. */
  login: readonly string[]
}

/** What a provider says about a person, before it becomes a {@link Profile}. */
export interface ProviderProfile {
  providerUserId: string
  name: string
  picture: string
  /** Their handle at the provider, if it has one; a handle here is made from it, else from the name. */
  login: string | null
  /** An address the provider vouched for (docs/openid-provider.md, "Claims"); null for none. */
  email: string | null
}

/**
 * Where a profile keeps an address and whether the provider confirmed it:
 * `verified` is the path of its flag (`email_verified`), or `always` for a
 * provider that hands out confirmed addresses only (Facebook).
 */
export interface EmailFields {
  address: string
  verified: string | 'always'
}

const MAX_NAME = 200
const MAX_PICTURE = 2048
const CONTROL = /[\p{Cc}\p{Cf}]/gu

function at(source: unknown, path: string): unknown {
  let value = source
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function firstId(source: unknown, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const value = at(source, path)
    if (typeof value === 'string' && value.trim() !== '') return value.trim()
    // Some APIs send numeric ids; they are still the provider's stable key.
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  }
  return undefined
}

function firstName(source: unknown, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const value = at(source, path)
    const name = typeof value === 'string' ? value.replace(CONTROL, '').trim().slice(0, MAX_NAME) : ''
    if (name) return name
  }
  return undefined
}

// Apps put the picture straight into <img src>: anything but an http(s) URL
// (javascript:, data:) is dropped rather than passed on.
function firstPicture(source: unknown, paths: readonly string[]): string {
  for (const path of paths) {
    const value = at(source, path)
    if (typeof value !== 'string' || value.length > MAX_PICTURE) continue
    try {
      const url = new URL(value)
      if (url.protocol === 'https:' || url.protocol === 'http:') return url.href
    } catch {
      continue
    }
  }
  return ''
}

// What a mail address looks like, loosely (RFC 5321 limits it to 254 characters): apps only compare it and send to it.
const ADDRESS = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u
const MAX_ADDRESS = 254

/**
 * The address at `fields.address` when the provider vouched for it; null
 * otherwise. Some providers send the flag as the string `"true"`.
 */
export function vouchedEmail(source: unknown, fields: EmailFields): string | null {
  const address = at(source, fields.address)
  if (typeof address !== 'string' || address.length > MAX_ADDRESS || !ADDRESS.test(address.trim())) return null
  const verified = fields.verified === 'always' ? true : at(source, fields.verified)
  return verified === true || verified === 'true' ? address.trim() : null
}

/**
 * Reads `{providerUserId, name, picture, login}` out of a profile response,
 * with the address the caller found vouched for. A missing id is the
 * provider's failure (LOGIN_ERR_PROVIDER): nobody may be signed in without
 * one. A missing name falls back to the id, a missing or unusable picture
 * to none.
 */
export function pickProfile(
  source: unknown,
  fields: ProfileFields,
  what: string,
  email: string | null = null,
): ProviderProfile {
  const providerUserId = firstId(source, fields.id)
  if (providerUserId === undefined) throw new errors.Provider(`${what} has no user id (${fields.id.join(' or ')})`)
  return {
    providerUserId,
    name: firstName(source, fields.name) ?? providerUserId,
    picture: firstPicture(source, fields.picture),
    login: firstName(source, fields.login) ?? null,
    email,
  }
}
