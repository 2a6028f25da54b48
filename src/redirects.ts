import { isIP } from 'node:net'
import { errors } from './errors.js'

/**
 * Validation of `?next=` targets (docs/sign-in.md, "Sessions and leases"): only relative paths, and absolute
 * http(s) URLs on the site, its subdomains or an allowed host, are accepted.
 *
 * The approach is an allow-list of *shapes*, checked on the raw text and on
 * the WHATWG parse (what browsers do), and the value returned is always the
 * parser's normalised serialisation, never the raw input: whatever reaches
 * the `Location` header is exactly what was checked. Tricks this closes,
 * from public advisories, are listed in test/auth/redirects.test.ts.
 */
export interface RedirectPolicy {
  /** The site domain, e.g. `example.com`: it and every `*.example.com` are allowed. */
  site: string
  /** Extra hosts allowed exactly (no subdomains). */
  allowedHosts: readonly string[]
}

const MAX_LENGTH = 2048
// `.invalid` is reserved (RFC 2606): the placeholder can never be a real destination.
const PLACEHOLDER = 'http://next.invalid'
// Control (Cc), invisible format (Cf: zero-width, bidi overrides, soft hyphen
// which IDNA silently drops) and every Unicode space (Z). Browsers strip tabs and
// newlines inside URLs (`/\t/evil.com` becomes `//evil.com`), so none are allowed.
const CONTROL_OR_SPACE = /[\p{Cc}\p{Cf}\p{Z}\s]/u
// A path starting with two slashes (or slash-backslash) is a host to a browser.
const PROTOCOL_RELATIVE = /^\/[/\\]/
// Host labels: letters, digits, hyphen, underscore. WHATWG accepts far more
// (`evil.com;.example.com`, `*`, `!`, `$`...), which other parsers read differently.
const LDH_LABEL = /^[a-z0-9_-]+$/
const utf8 = new TextDecoder()

function bad(reason: string): never {
  throw new errors.BadNext(reason)
}

function parse(raw: string, base?: string): URL {
  try {
    return new URL(raw, base)
  } catch {
    bad('is not a valid URL')
  }
}

/** One round of percent-decoding; bad UTF-8 becomes U+FFFD rather than throwing. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, run =>
    utf8.decode(Uint8Array.from(run.slice(1).split('%'), hex => parseInt(hex, 16))),
  )
}

/**
 * Characters refused anywhere as typed, and in the host and path once decoded
 * (proxies and apps decode again). The query and fragment may carry encoded
 * spaces (`?q=a%20b`): they stay encoded in the Location header and never
 * decide the destination.
 */
function checkCharacters(raw: string): void {
  if (raw.includes('\\')) bad('contains a backslash')
  if (CONTROL_OR_SPACE.test(raw)) bad('contains control characters or whitespace')
  const decoded = percentDecode(raw.split(/[?#]/, 1)[0]!)
  if (decoded.includes('\\')) bad('contains an encoded backslash (%5c)')
  // An encoded space inside a path (`/my%20files`) is an ordinary name; every other space or control character is not.
  if (CONTROL_OR_SPACE.test(decoded.replaceAll(' ', ''))) bad('contains encoded control characters or whitespace')
}

/**
 * Whether a path could be read as `//host`: as it is, once decoded, or
 * once decoded with its spaces dropped by some tolerant parser down the
 * line (`/%20/evil.com`).
 */
function namesAHost(path: string): boolean {
  return PROTOCOL_RELATIVE.test(path) || PROTOCOL_RELATIVE.test(percentDecode(path).replaceAll(' ', ''))
}

function validateRelative(raw: string): string {
  if (namesAHost(raw)) {
    bad('must not start with // (that names another host)')
  }
  const url = parse(raw, PLACEHOLDER)
  if (url.origin !== PLACEHOLDER) bad('must stay on this site')
  const target = url.pathname + url.search + url.hash
  // Dot segments can collapse into a host: `/.//evil.com` and `/a/..//evil.com`
  // both resolve to the path `//evil.com`, which the browser reads as a host.
  if (namesAHost(target)) {
    bad('resolves to a path starting with // (that names another host)')
  }
  return target
}

function validateAbsolute(raw: string, policy: RedirectPolicy): string {
  // The authority as typed: after `scheme://`, up to the first `/`, `?` or `#`
  // (backslashes were refused already, so they cannot end it either).
  const authority = raw.slice(raw.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? ''
  // Any `@` here is userinfo; parsers disagree on which `@` ends it (a@b@evil.com).
  if (authority.includes('@')) bad('must not contain credentials (user@)')
  const url = parse(raw)
  if (url.username || url.password) bad('must not contain credentials (user@)')

  const host = url.hostname
  // The host must be typed exactly as the parser sees it (case aside). This refuses
  // whatever the parser rewrites: percent-escapes (`evil.com%2eexample.com`), Unicode
  // and IDN homographs (`exаmple.com` → `xn--exmple-4nf.com`), full-width or
  // ideographic dots, numeric IPs (`0x7f.1`, `3627734734`), extra slashes (`http:///x`).
  if (authority.replace(/:\d*$/, '').toLowerCase() !== host) {
    bad('host must be written as plain lower-case ASCII, without encoded or Unicode characters')
  }

  if (isOnSite(host, policy)) return url.href
  // Not allowed: say why. The host is echoed only once known to be plain LDH text.
  if (isIP(host) || host.startsWith('[')) bad('must not point to an IP address')
  if (host.endsWith('.')) bad('host must not end with a dot')
  if (!isLdh(host)) bad('host may only contain letters, digits, hyphens, underscores and dots')
  bad(`host ${host} is not on this site`)
}

function isLdh(host: string): boolean {
  return host.split('.').every(label => LDH_LABEL.test(label))
}

/**
 * Whether a parsed host name (lower-case, punycode, as `URL.hostname` gives it)
 * is the site, one of its subdomains, or an allowed host. IP addresses and
 * allowed hosts match exactly; subdomains only on a label boundary
 * (`evilexample.com` is not `*.example.com`) and only with LDH labels.
 */
export function isOnSite(host: string, policy: RedirectPolicy): boolean {
  const site = policy.site.toLowerCase()
  if (host === site || policy.allowedHosts.some(allowed => allowed.toLowerCase() === host)) return true
  if (isIP(host) || host.startsWith('[')) return false
  return isLdh(host) && host.endsWith(`.${site}`)
}

/**
 * Returns the normalised, safe redirect target, or throws errors.BadNext(<reason>).
 * Relative targets come back as path+query+fragment, absolute ones as `url.href`.
 */
export function validateNext(raw: string | undefined | null, policy: RedirectPolicy, fallback = '/'): string {
  if (raw === undefined || raw === null || raw === '') return fallback
  if (raw.length > MAX_LENGTH) bad(`is longer than ${MAX_LENGTH} characters`)
  checkCharacters(raw)
  // The scheme is tested on the raw text: `http:x`, `http:/x` and `https:\\x` are
  // parsed leniently by WHATWG but are not what anybody meant.
  if (/^https?:\/\//i.test(raw)) return validateAbsolute(raw, policy)
  if (raw.startsWith('/')) return validateRelative(raw)
  bad(`must be a relative path or an http(s) URL on ${policy.site}`)
}
