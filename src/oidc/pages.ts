import type { KoaContextWithOIDC } from 'oidc-provider'
import { errors } from '../errors.js'
import { pageHtml } from '../http/views.js'

/*
 * The pages oidc-provider sends itself, drawn with the site's templates:
 * no inline script or style of their own, so they live under the same
 * Content-Security-Policy as every other page.
 */

function sendPage(ctx: KoaContextWithOIDC, name: string, data: { title: string } & Record<string, unknown>): void {
  ctx.type = 'html'
  ctx.set('cache-control', 'no-store')
  ctx.body = pageHtml(name, data, Math.floor(Date.now() / 1000))
}

/**
 * The logout page's form ends on the app's post-logout URI, on another
 * site: the page's Content-Security-Policy lets its form lead there too.
 */
function allowFormsTo(ctx: KoaContextWithOIDC, uris: readonly string[]): void {
  const csp = ctx.response.get('content-security-policy')
  const origins = uris.flatMap(uri => {
    try {
      return [new URL(uri).origin]
    } catch {
      return []
    }
  })
  if (csp && origins.length > 0)
    ctx.set('content-security-policy', csp.replace(/form-action ([^;]*)/, `form-action $1 ${origins.join(' ')}`))
}

/** A request that cannot be answered to the client's redirect URI (unknown client, unregistered redirect URI, ...). */
export async function renderError(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string },
): Promise<void> {
  const error = new errors.OidcRequest(`${out.error}: ${out.error_description ?? 'the request was refused'}`)
  sendPage(ctx, 'error', { title: 'Error', status: ctx.status, error: { code: error.code, message: error.message } })
}

type Step = 'confirm' | 'signed-out' | 'done'

function logoutPage(ctx: KoaContextWithOIDC, step: Step): void {
  allowFormsTo(ctx, ctx.oidc.client?.postLogoutRedirectUris ?? [])
  sendPage(ctx, 'oidc-logout', {
    title: 'Sign out',
    step,
    app: ctx.oidc.client?.clientName ?? null,
    action: ctx.oidc.urlFor('end_session_confirm'),
    xsrf: ctx.oidc.session?.state?.secret ?? '',
  })
}

/** RP-initiated logout of a signed-in user: ask before ending the session everywhere. */
export async function logoutSource(ctx: KoaContextWithOIDC): Promise<void> {
  logoutPage(ctx, 'confirm')
}

/** After a logout that named no registered post-logout URI to return to. */
export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  logoutPage(ctx, 'done')
}

/**
 * RP-initiated logout of someone who is not signed in: oidc-provider would
 * answer a self-submitting form (an inline script); this page's button
 * submits the same form, which returns to the app.
 */
export function signedOutLogoutPage(ctx: KoaContextWithOIDC): void {
  logoutPage(ctx, 'signed-out')
}
