/** A cookie to set on the app's response, as the login server would set it. */
export interface CookieSpec {
  name: string
  value: string
  path: string
  domain?: string
  /** Seconds. */
  maxAge: number
  httpOnly: boolean
  secure: boolean
  sameSite: 'lax' | 'strict' | 'none'
}

/**
 * The value of cookie `name` in a raw `Cookie` header, or undefined. Reads
 * the header as it comes, without building a map: this runs on every
 * request.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  let at = 0
  const length = header.length
  while (at < length) {
    while (header.charCodeAt(at) === 32) at++
    const end = header.indexOf(';', at)
    const stop = end === -1 ? length : end
    if (header.startsWith(name, at) && header.charCodeAt(at + name.length) === 61 /* = */) {
      let value = header.slice(at + name.length + 1, stop).trim()
      if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34)
        value = value.slice(1, -1)
      if (value.includes('%')) {
        try {
          value = decodeURIComponent(value)
        } catch {
          /* kept as sent */
        }
      }
      return value
    }
    at = stop + 1
  }
  return undefined
}

const SAME_SITE = { lax: 'Lax', strict: 'Strict', none: 'None' } as const

/** The `Set-Cookie` header value for a cookie. */
export function serializeCookie(cookie: CookieSpec): string {
  let header = `${cookie.name}=${encodeURIComponent(cookie.value)}; Max-Age=${Math.floor(cookie.maxAge)}; Path=${cookie.path}`
  if (cookie.domain) header += `; Domain=${cookie.domain}`
  if (cookie.httpOnly) header += '; HttpOnly'
  if (cookie.secure) header += '; Secure'
  header += `; SameSite=${SAME_SITE[cookie.sameSite]}`
  return header
}
