import type { IncomingHttpHeaders } from 'node:http'
import type { Config } from '../config.js'
import { isLoginError } from '../errors.js'
import { validateNext } from '../redirects.js'

/**
 * One value of a header; list-valued proxy headers (`X-Forwarded-Host: a, b`) name the client-facing hop first.
 * Asked several times for every check: the usual value (one, untrimmed) comes back as it is, without a new string.
 */
function single(value: string | string[] | undefined, list = false): string | undefined {
  let text = Array.isArray(value) ? value[0] : value
  if (text === undefined) return undefined
  const comma = list ? text.indexOf(',') : -1
  if (comma !== -1) text = text.slice(0, comma)
  if (text.length === 0) return undefined
  const trimmed = isSpace(text.charCodeAt(0)) || isSpace(text.charCodeAt(text.length - 1)) ? text.trim() : text
  return trimmed || undefined
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9
}

/**
 * The URL a reverse proxy is asking `/login/check` about, from the headers
 * it sends (docs/forward-auth.md, "Forward-auth"): nginx's `X-Original-URL`, or a path in
 * `X-Forwarded-Uri` (Traefik, Caddy) or `X-Original-URI` (nginx) on the host
 * in `X-Forwarded-Host` or `Host`, with the scheme in `X-Forwarded-Proto`,
 * else the scheme of `LOGIN_PUBLIC_URL`. Undefined when none is sent.
 * Nothing here is trusted: the caller validates the result like any `next`.
 */
export function originalUrl(headers: IncomingHttpHeaders, config: Config): string | undefined {
  const full = single(headers['x-original-url'])
  if (full) return full
  const path = single(headers['x-forwarded-uri']) ?? single(headers['x-original-uri'])
  if (!path) return undefined
  const host = single(headers['x-forwarded-host'], true) ?? single(headers.host)
  const scheme = single(headers['x-forwarded-proto'], true) ?? new URL(config.publicUrl).protocol.slice(0, -1)
  return host ? `${scheme}://${host}${path}` : path
}

/** Where the path of a whole URL (`X-Original-URL`) begins, after its scheme and authority; -1 when it has none. */
function pathStart(url: string): number {
  const scheme = url.indexOf('://')
  return scheme === -1 ? -1 : url.indexOf('/', scheme + 3)
}

/**
 * The host of the request a reverse proxy is asking about, for the access
 * rules (docs/forward-auth.md, "Access rules"): that of `X-Original-URL`,
 * else `X-Forwarded-Host`, else `Host`; '' when none names one.
 */
export function originalHost(headers: IncomingHttpHeaders): string {
  const full = single(headers['x-original-url'])
  if (full) {
    const scheme = full.indexOf('://')
    if (scheme === -1) return ''
    const end = pathStart(full)
    const authority = full.slice(scheme + 3, end === -1 ? full.length : end)
    return authority.slice(authority.lastIndexOf('@') + 1)
  }
  return single(headers['x-forwarded-host'], true) ?? single(headers.host) ?? ''
}

/** The path and query of that request: from `X-Original-URL`, `X-Forwarded-Uri` or `X-Original-URI`; `/` when none says. */
export function originalUri(headers: IncomingHttpHeaders): string {
  const full = single(headers['x-original-url'])
  if (full) {
    const start = pathStart(full)
    return start === -1 ? '/' : full.slice(start)
  }
  return single(headers['x-forwarded-uri']) ?? single(headers['x-original-uri']) ?? '/'
}

/** Its method: `X-Original-Method` (nginx) or `X-Forwarded-Method` (Caddy, Traefik), else the check's own. */
export function originalMethod(headers: IncomingHttpHeaders, own: string): string {
  const method = single(headers['x-original-method']) ?? single(headers['x-forwarded-method'])
  return method === undefined ? own : method.toUpperCase()
}

/**
 * Where a signed-out visitor of `target` signs in: `<public URL>/login`,
 * with `next` = `target` when it passes the same checks as any `next`
 * (otherwise without, and `refused` says why).
 */
export function signInUrl(config: Config, target: string | undefined): { url: string; refused?: string } {
  const base = `${config.publicUrl}/login`
  if (target === undefined) return { url: base }
  try {
    const next = validateNext(target, { site: config.site, allowedHosts: config.allowedRedirectHosts })
    return { url: `${base}?next=${encodeURIComponent(next)}` }
  } catch (error) {
    if (!isLoginError(error)) throw error
    return { url: base, refused: error.message }
  }
}
