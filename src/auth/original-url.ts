import type { IncomingHttpHeaders } from 'node:http'
import type { Config } from '../config.js'
import { isLoginError } from '../errors.js'
import { validateNext } from '../redirects.js'

/** One value of a header; list-valued proxy headers (`X-Forwarded-Host: a, b`) name the client-facing hop first. */
function single(value: string | string[] | undefined, list = false): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  const first = list ? text?.split(',')[0] : text
  return first?.trim() || undefined
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
