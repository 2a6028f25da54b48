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
}

/** What a provider says about a person, before it becomes a {@link Profile}. */
export interface ProviderProfile {
  providerUserId: string
  name: string
  picture: string
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

/**
 * Reads `{providerUserId, name, picture}` out of a profile response. A
 * missing id is the provider's failure (LOGIN_ERR_PROVIDER): nobody may be
 * signed in without one. A missing name falls back to the id, a missing or
 * unusable picture to none.
 */
export function pickProfile(source: unknown, fields: ProfileFields, what: string): ProviderProfile {
  const providerUserId = firstId(source, fields.id)
  if (providerUserId === undefined) throw new errors.Provider(`${what} has no user id (${fields.id.join(' or ')})`)
  return {
    providerUserId,
    name: firstName(source, fields.name) ?? providerUserId,
    picture: firstPicture(source, fields.picture),
  }
}
