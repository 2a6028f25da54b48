/**
 * Short codes (docs/access-groups.md, "Endpoints"): an invitation UUID re-encoded in a 57-letter
 * alphabet without look-alike characters (no 0/O, 1/I/l), big-endian,
 * left-padded with the zero letter to exactly 22 characters so that every
 * UUID, leading zeros included, round-trips. 57^22 > 2^128, so 22 letters
 * always suffice (and some 22-letter strings are too large to be a UUID).
 */
export const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
export const SHORT_LENGTH = 22

const BASE = BigInt(ALPHABET.length)
const MAX_UUID = (1n << 128n) - 1n
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SHORT = new RegExp(`^[${ALPHABET}]{${SHORT_LENGTH}}$`)

export function isUuid(text: string): boolean {
  return UUID.test(text)
}

/** The short code of a UUID. */
export function toShort(uuid: string): string {
  if (!isUuid(uuid)) throw new TypeError(`not a UUID: ${uuid}`)
  let value = BigInt('0x' + uuid.replace(/-/g, ''))
  let out = ''
  while (value > 0n) {
    out = ALPHABET[Number(value % BASE)]! + out
    value /= BASE
  }
  return out.padStart(SHORT_LENGTH, ALPHABET[0])
}

/** The UUID (lower case) behind a short code, or undefined when `text` is not one. */
export function fromShort(text: string): string | undefined {
  if (!SHORT.test(text)) return undefined
  let value = 0n
  for (const letter of text) value = value * BASE + BigInt(ALPHABET.indexOf(letter))
  if (value > MAX_UUID) return undefined
  const hex = value.toString(16).padStart(32, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The UUID named by a long id or a short code, or undefined when it is neither. */
export function invitationIdOf(text: string): string | undefined {
  return isUuid(text) ? text.toLowerCase() : fromShort(text)
}
