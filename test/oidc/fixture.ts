import * as client from 'openid-client'
import { AppService } from '../../src/realtime/apps.js'
import { clientSettings, type ClientSettingsInput } from '../../src/oidc/client-settings.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import type { Config } from '../../src/config.js'
import { serveApp, type ServedApp } from '../helpers/app.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Where the relying parties of these tests say they live: nothing listens there, the "browser" stops at it. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback'

/** A login server on loopback with one registered OpenID Connect client, and openid-client configured for it. */
export interface OidcSetup {
  server: ServedApp
  issuer: string
  /** The client's credentials, as `app add` printed them. */
  app: { id: string; secret: string | null }
  /** openid-client's view of the server, after discovery. */
  rp: client.Configuration
}

/** Registers a client (as `app add` does) and runs openid-client's discovery against it. */
export async function registerClient(
  server: ServedApp,
  name: string,
  settings: ClientSettingsInput = {},
  auth?: (secret: string | null) => client.ClientAuth,
): Promise<Omit<OidcSetup, 'server'>> {
  const app = new AppService(server.app.ctx).add(name, clientSettings({ redirectUris: [REDIRECT_URI], ...settings }))
  const issuer = issuerOf(server.config)
  const clientAuth = auth
    ? auth(app.secret)
    : app.secret === null
      ? client.None()
      : client.ClientSecretBasic(app.secret)
  const rp = await client.discovery(new URL(issuer), app.id, undefined, clientAuth, {
    execute: [client.allowInsecureRequests],
  })
  return { issuer, app, rp }
}

/** A served login server and one client named `grafana`. */
export async function oidcSetup(
  t: Teardown,
  settings: ClientSettingsInput = {},
  overrides: Partial<Config> = {},
): Promise<OidcSetup> {
  const server = await serveApp(t, overrides)
  return { server, ...(await registerClient(server, 'grafana', settings)) }
}

/**
 * The smallest browser that a code flow needs: a cookie jar and manual
 * redirects. `visit` follows redirects until one leaves for `stopAt` (the
 * relying party, which is not running) and answers that URL, or answers the
 * last response when a page is shown instead.
 */
export class Browser {
  readonly cookies = new Map<string, string>()

  constructor(cookie?: string) {
    if (cookie) this.keep(cookie)
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const setCookie of response.headers.getSetCookie()) this.keep(setCookie)
    return response
  }

  /** Follows redirects from `url`; answers the first URL that starts with `stopAt`, or the response that is not a redirect. */
  async visit(url: string | URL, stopAt = REDIRECT_URI): Promise<{ url: URL; response?: Response }> {
    let next = new URL(url)
    for (let hops = 0; hops < 20; hops++) {
      if (next.href.startsWith(stopAt)) return { url: next }
      const response = await this.fetch(next)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) return { url: next, response }
      next = new URL(location, next)
    }
    throw new Error(`too many redirects from ${String(url)}`)
  }

  private keep(setCookie: string): void {
    const [pair, ...attributes] = setCookie.split(';')
    const at = pair!.indexOf('=')
    const name = pair!.slice(0, at).trim()
    const value = pair!.slice(at + 1).trim()
    const expired = attributes.some(a => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === ''
    if (expired) this.cookies.delete(name)
    else this.cookies.set(name, value)
  }
}

/** What an authorization request needs to keep for the token request. */
export interface Checks {
  pkceCodeVerifier: string
  expectedState: string
  expectedNonce: string
}

/** An authorization URL with PKCE (S256), state and nonce, and the checks that go with it. */
export async function authorizationRequest(
  rp: client.Configuration,
  scope = 'openid profile groups offline_access',
  extra: Record<string, string> = {},
): Promise<{ url: URL; checks: Checks }> {
  const pkceCodeVerifier = client.randomPKCECodeVerifier()
  const checks = { pkceCodeVerifier, expectedState: client.randomState(), expectedNonce: client.randomNonce() }
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    ...extra,
  })
  return { url, checks }
}

export type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers

/** A whole code flow by a signed-in browser: authorize, then exchange the code. */
export async function signInTo(setup: Pick<OidcSetup, 'rp'>, browser: Browser, scope?: string): Promise<Tokens> {
  const { url, checks } = await authorizationRequest(setup.rp, scope)
  const landed = await browser.visit(url)
  if (landed.response) throw new Error(`no code: ${landed.response.status} at ${landed.url.href}`)
  return client.authorizationCodeGrant(setup.rp, landed.url, checks)
}
