import type { KoaContextWithOIDC, Provider } from 'oidc-provider'
import { leaseCookieOptions } from '../signed-in/lease-cookie.js'
import type { AppContext } from '../context.js'
import { signedInOf } from './forwarded.js'
import { signedOutLogoutPage } from './pages.js'

/**
 * Where oidc-provider's answers meet the rest of the site, after it has
 * handled a request:
 *
 * - discovery announces the one response mode clients may use (`query`);
 * - RP-initiated logout of someone not signed in gets a page of ours instead
 *   of a self-submitting form (which would need an inline script);
 * - a confirmed RP-initiated logout ends the login session itself, which
 *   signs the user out of every app of the site, and clears its cookie.
 */
export function joinSite(provider: Provider, ctx: Pick<AppContext, 'config' | 'sessions'>): void {
  provider.use(async (koa, next) => {
    await next()
    const { oidc } = koa as Partial<KoaContextWithOIDC>
    switch (oidc?.route) {
      case 'discovery':
        ;(koa.body as Record<string, unknown>).response_modes_supported = ['query']
        return
      case 'end_session':
        if (koa.status === 200 && !oidc.session?.accountId) signedOutLogoutPage(koa as KoaContextWithOIDC)
        return
      case 'end_session_confirm': {
        const signedIn = signedInOf(koa.req)
        if (koa.status !== 303 || !oidc.params?.logout || !signedIn) return
        await ctx.sessions.revoke(signedIn.sid)
        const { secure, ...options } = leaseCookieOptions(ctx.config)
        koa.cookies.set(ctx.config.cookieName, null, { ...options, secure: secure === true })
        return
      }
    }
  })
}
