import type { FastifyRequest } from 'fastify'

/**
 * Whether a request should be answered with a page rather than JSON: every
 * `/view/` path, routes marked `config: { html: true }` (and never for `html: false`), and browser
 * navigations (whose Accept header starts with text/html).
 */
export function wantsHtml(request: FastifyRequest): boolean {
  const marked = request.routeOptions.config?.html
  if (marked !== undefined) return marked
  if (request.url.includes('/view/')) return true
  const accept = request.headers.accept
  return typeof accept === 'string' && accept.trimStart().startsWith('text/html')
}
