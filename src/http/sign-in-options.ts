import type { FastifyRequest } from 'fastify'

/** The sign-in buttons: every configured provider, each returning to `next` (already validated). */
export function signInOptions(request: FastifyRequest, next: string): { id: string; label: string; url: string }[] {
  return request.server.ctx.providers.list().map(p => ({
    id: p.id,
    label: p.label,
    url: `${p.path}?next=${encodeURIComponent(next)}`,
  }))
}
