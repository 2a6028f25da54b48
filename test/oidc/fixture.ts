import * as client from 'openid-client'
import { request as httpRequest } from 'node:http'
import { clientSettings, type ClientSettingsInput } from '../../src/oidc/client-settings.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import type { Config } from '../../src/config.js'
import { serveApp, type ServedApp } from '../helpers/app.js'
import type { Teardown } from '../helpers/teardown.js'

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
  const app = await server.app.ctx.apps.add(name, clientSettings({ redirectUris: [REDIRECT_URI], ...settings }))
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

const NAVIGATION = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
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

  /**
   * One request, without following redirects. node:http rather than fetch,
   * which would send `Sec-Fetch-Mode: cors` on every request where a
   * browser following a link says `navigate`.
   */
  async fetch(
    url: string | URL,
    init: { method?: string; headers?: Record<string, string>; body?: URLSearchParams } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader
    const body = init.body?.toString()
    const { status, rawHeaders, data } = await new Promise<{ status: number; rawHeaders: string[]; data: Buffer }>(
      (resolve, reject) => {
        const request = httpRequest(new URL(url), { method: init.method ?? 'GET', headers }, response => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () =>
            resolve({ status: response.statusCode!, rawHeaders: response.rawHeaders, data: Buffer.concat(chunks) }),
          )
          response.on('error', reject)
        })
        request.on('error', reject)
        request.end(body)
      },
    )
    const responseHeaders = new Headers()
    for (let i = 0; i < rawHeaders.length; i += 2) responseHeaders.append(rawHeaders[i]!, rawHeaders[i + 1]!)
    for (const setCookie of responseHeaders.getSetCookie()) this.keep(setCookie)
    return new Response([204, 304].includes(status) ? null : new Uint8Array(data), { status, headers: responseHeaders })
  }

  /** Follows redirects from `url`; answers the first URL that starts with `stopAt`, or the response that is not a redirect. */
  async visit(url: string | URL, stopAt = REDIRECT_URI): Promise<{ url: URL; response?: Response }> {
    let next = new URL(url)
    for (let hops = 0; hops < 20; hops++) {
      if (next.href.startsWith(stopAt)) return { url: next }
      // What a browser says when it follows a link (mod_auth_openidc tells navigations from scripts by these).
      const response = await this.fetch(next, { headers: NAVIGATION })
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
