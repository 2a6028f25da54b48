import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { templatesDir } from '../paths.js'
import { csrfToken } from './csrf.js'
import { currentUser } from '../auth/current.js'

// Auto-escaping is on for every `<%= %>`: user names and group paths are user input.
const eta = new Eta({ views: templatesDir, defaultExtension: '.html', autoEscape: true, cache: true })

/**
 * Renders `templates/<name>.html` inside the layout. Every page gets the
 * signed-in user (or null) and, when signed in, the form token its forms
 * must post back.
 */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  data: Record<string, unknown> = {},
  status = 200,
): Promise<FastifyReply> {
  const signedIn = await currentUser(request, reply)
  const it = { ...data, user: signedIn?.user ?? null, csrf: signedIn ? csrfToken(request, signedIn.sid) : '' }
  const body = eta.render(name, it)
  const html = eta.render('layout', { ...it, body, title: data.title ?? 'Sign in' })
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
}

/** Renders an error page without touching the session (the error may come from it). */
export function renderErrorPage(
  reply: FastifyReply,
  status: number,
  error: { code: string; message: string },
): FastifyReply {
  const html = pageHtml('error', { title: 'Error', status, error })
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
}

/**
 * `templates/<name>.html` inside the layout, as HTML, without the session's
 * chrome: for pages that Fastify does not send itself (the OpenID
 * Provider's, which oidc-provider sends).
 */
export function pageHtml(name: string, data: { title: string } & Record<string, unknown>): string {
  const it = { ...data, user: null, csrf: '' }
  return eta.render('layout', { ...it, body: eta.render(name, it) })
}
