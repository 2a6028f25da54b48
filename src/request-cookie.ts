import type { FastifyRequest } from 'fastify'

/**
 * The value of one cookie of a request, read from its `Cookie` header as
 * `@fastify/cookie` would read it (the first of that name, trimmed,
 * percent-decoded), without parsing the others: the server reads at most
 * one or two cookies per request, and `/login/check` only the lease
 * (docs/architecture.md, "Benchmarks").
 */
export function requestCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie
  if (header === undefined) return undefined
  for (let at = header.indexOf(name); at !== -1; at = header.indexOf(name, at + 1)) {
    if (at > 0 && !isSeparator(header, at - 1)) continue
    let start = at + name.length
    while (header.charCodeAt(start) === 32 || header.charCodeAt(start) === 9) start++
    if (header.charCodeAt(start) !== 61 /* = */) continue
    let end = header.indexOf(';', start + 1)
    if (end === -1) end = header.length
    return decode(header.slice(start + 1, end).trim())
  }
  return undefined
}

/** Whether the character before a name ends the previous cookie (`;`, then perhaps spaces). */
function isSeparator(header: string, index: number): boolean {
  let i = index
  while (i >= 0 && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 9)) i--
  return i < 0 || header.charCodeAt(i) === 59 /* ; */
}

function decode(value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
