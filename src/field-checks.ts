import { errors } from './errors.js'

/**
 * Checks of individual request fields, shared by the JSON API, the forms
 * and the app-facing service calls. Each failure is `LOGIN_ERR_BAD_REQUEST`
 * naming the field.
 */

/** Unix seconds up to the year 9999: anything larger is a unit mistake (milliseconds). */
export const MAX_TIME = 253_402_300_799
/** Counts (invitees, spots, plus) beyond this are meant as "unlimited": say so with null. */
export const MAX_COUNT = 1_000_000_000

/** An integer in [min, max], or null when absent (undefined, null or an empty form field). */
export function optionalInteger(value: unknown, field: string, min: number, max: number): number | null {
  if (value === undefined || value === null || value === '') return null
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new errors.BadRequest(
      `${field} must be a whole number from ${min} to ${max}${max === MAX_TIME ? ' (Unix seconds)' : ''}, or null`,
    )
  }
  return n
}

/** A boolean; form checkboxes send `on`, absent means false. */
export function flag(value: unknown, field: string): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 'false' || value === '0')
    return false
  if (value === true || value === 'on' || value === 'true' || value === '1') return true
  throw new errors.BadRequest(`${field} must be true or false`)
}

/** `deauthorizes`: 0, 1 or 2, default 0. */
export function deauthorizesLevel(value: unknown, field: string): number {
  return optionalInteger(value, field, 0, 2) ?? 0
}

/** A list of ids: at least one, at most `max`, each a non-empty string. */
export function idList(value: unknown, field: string, max = 1000): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new errors.BadRequest(`${field} must be a non-empty array of ids`)
  if (value.length > max) throw new errors.BadRequest(`${field} may hold at most ${max} ids`)
  for (const id of value) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 100)
      throw new errors.BadRequest(`${field} must hold id strings`)
  }
  return [...new Set(value as string[])]
}

/** Longest name a person may type for themselves or for a passkey. */
export const MAX_NAME = 100

/**
 * A name as typed: spacing tidied, 1 to {@link MAX_NAME} characters, no
 * control characters nor the direction overrides that make text read
 * otherwise than it is stored (joiners, which emoji use, are fine).
 */
export function typedName(value: unknown, field: string): string {
  const name = typeof value === 'string' ? value.normalize('NFC').trim().replace(/\s+/g, ' ') : ''
  if (!name || name.length > MAX_NAME || /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(name))
    throw new errors.BadRequest(`${field} must be 1 to ${MAX_NAME} characters, without control characters`)
  return name
}
