import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { templatesDir } from '../package-files.js'
import { csrfToken } from './csrf.js'
import { currentUser } from '../signed-in/current-user.js'
import type { SignedIn } from '../signed-in/signed-in.js'
import { assetUrl } from './assets.js'
import { takeNotice } from './notice.js'
import { timeHelpers } from './times.js'

// Auto-escaping is on for every `<%= %>`: user names and group paths are user input.
const eta = new Eta({ views: templatesDir, defaultExtension: '.html', autoEscape: true, cache: true })

/** What every template sees besides its own data (the layout reads these). */
function common(request: FastifyRequest, signedIn: SignedIn | null) {
  return {
    user: signedIn?.user ?? null,
    csrf: signedIn ? csrfToken(request, signedIn.sid) : '',
    time: timeHelpers(request.server.ctx.clock.now()),
    asset: assetUrl,
    here: request.url.split('?')[0],
    notice: null as string | null,
  }
}

function send(reply: FastifyReply, status: number, name: string, it: Record<string, unknown>): FastifyReply {
  const body = eta.render(name, it)
  const html = eta.render('layout', { ...it, body })
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
}

/**
 * Renders `templates/<name>.html` inside the layout. Every page gets the
 * signed-in user (or null), when signed in the form token its forms must
 * post back, and the notice the last action left (see `notice.ts`).
 */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  data: Record<string, unknown> = {},
  status = 200,
): Promise<FastifyReply> {
  const signedIn = await currentUser(request, reply)
  const it = { ...common(request, signedIn), notice: takeNotice(request, reply), title: 'Sign in', ...data }
  return send(reply, status, name, it)
}

/**
 * Renders an error page, with the navigation when the visitor is signed
 * in. The error may come from resolving the session itself: then the page
 * is shown as to a signed-out visitor.
 */
export async function renderErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: { code: string; message: string },
): Promise<FastifyReply> {
  let signedIn: SignedIn | null
  try {
    signedIn = await currentUser(request, reply)
  } catch {
    signedIn = null
  }
  return send(reply, status, 'error', { ...common(request, signedIn), title: 'Error', status, error })
}

/**
 * `templates/<name>.html` inside the layout, as HTML, without the session's
 * chrome: for pages that Fastify does not send itself (the OpenID
 * Provider's, which oidc-provider sends).
 */
export function pageHtml(name: string, data: { title: string } & Record<string, unknown>, now: number): string {
  const it = { user: null, csrf: '', time: timeHelpers(now), asset: assetUrl, here: '', notice: null, ...data }
  return eta.render('layout', { ...it, body: eta.render(name, it) })
}
