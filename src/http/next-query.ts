import type { FastifyRequest } from 'fastify'
import { validateNext } from '../redirects.js'
import { errors } from '../errors.js'

export type NextQuery = { Querystring: { next?: string } }

/** `?next=` checked against this site's redirect policy (docs/security.md, "Security"), or `fallback` when absent. */
export function nextOf(request: FastifyRequest<NextQuery>, fallback = '/'): string {
  const { site, allowedRedirectHosts } = request.server.ctx.config
  const raw: unknown = request.query.next
  // `?next=a&next=b` parses to an array; which one an app or proxy would follow is anybody's guess.
  if (raw !== undefined && typeof raw !== 'string') throw new errors.BadNext('must be given once')
  return validateNext(raw, { site, allowedHosts: allowedRedirectHosts }, fallback)
}
