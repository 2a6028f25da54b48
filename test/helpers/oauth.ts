import type { FastifyInstance } from 'fastify'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OAuth2Server } from 'oauth2-mock-server'
import type { BuildOptions } from '../../src/app.js'
import type { ManualClock } from '../../src/clock.js'
import type { Config } from '../../src/config.js'
import { serveApp, tempDir } from './app.js'
import type { Teardown } from './teardown.js'

/** An app listening on loopback over real HTTP, with credentials.json written for it. */
export interface OAuthApp {
  app: FastifyInstance
  config: Config
  clock: ManualClock
  /** `http://127.0.0.1:<port>`, also the app's public URL (its OAuth callbacks point here). */
  base: string
  /** A fresh browser (cookie jar) for this app. */
  browser(): Browser
}

/** Writes `credentials` as a credentials.json in a temporary folder, private as the server wants it, and answers its path. */
export function writeCredentials(t: Teardown, credentials: unknown): string {
  const path = join(tempDir(t, 'login-credentials-'), 'credentials.json')
  writeFileSync(path, typeof credentials === 'string' ? credentials : JSON.stringify(credentials), { mode: 0o600 })
  return path
}

/**
 * Builds the app with these credentials and serves it on 127.0.0.1 (OAuth
 * callbacks point at its real port). Calls to the providers get a generous
 * budget: on a busy machine a loopback answer can take seconds; tests of the
 * timeout itself set a shorter one.
 */
export async function startOAuthApp(
  t: Teardown,
  credentials: unknown,
  overrides: Partial<Config> = {},
  build: Pick<BuildOptions, 'logStream'> = {},
): Promise<OAuthApp> {
  const credentialsPath = writeCredentials(t, credentials)
  const served = await serveApp(t, { credentialsPath, providerTimeoutMs: 30_000, ...overrides }, undefined, build)
  return { ...served, browser: () => new Browser(served.base) }
}

/** A real OpenID provider (oauth2-mock-server) on loopback with one RS256 key; stopped when the test ends. */
export async function startMockIssuer(t: Teardown): Promise<OAuth2Server> {
  const server = new OAuth2Server()
  await server.issuer.keys.generate('RS256')
  await server.start(0, '127.0.0.1')
  t.teardown(() => server.stop())
  return server
}

/**
 * A minimal browser: keeps the app's cookies (the lease and the flow
 * binding) and never follows redirects by itself, so that tests can look
 * at every hop. Requests to other origins (the provider) carry no cookies.
 */
export class Browser {
  private readonly jar = new Map<string, string>()

  constructor(readonly base: string) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name)
  }

  setCookie(name: string, value: string): void {
    this.jar.set(name, value)
  }

  forget(name: string): void {
    this.jar.delete(name)
  }

  async get(url: string | URL, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(new URL(url, this.base), { method: 'GET', headers })
  }

  async postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(new URL(url, this.base), {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    })
  }

  async postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(new URL(url, this.base), {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    })
  }

  private async send(
    url: URL,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<Response> {
    const own = url.origin === new URL(this.base).origin
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ')
    const headers = { ...init.headers, ...(own && cookie ? { cookie } : {}) }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    if (own) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';')
        const name = pair.slice(0, pair.indexOf('='))
        const value = pair.slice(pair.indexOf('=') + 1)
        const expired = attributes.some(a => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a))
        if (expired || value === '') this.jar.delete(name)
        else this.jar.set(name, value)
      }
    }
    return response
  }
}

/** The absolute target of a redirect response. */
export function locationOf(response: Response): URL {
  const location = response.headers.get('location')
  if (!location) throw new Error(`expected a redirect, got ${response.status}`)
  return new URL(location, response.url)
}

/** What a provider's authorization endpoint does for a consenting user: the redirect back to the app's callback. */
export async function consent(authorizeUrl: URL): Promise<URL> {
  const response = await fetch(authorizeUrl, { redirect: 'manual' })
  if (response.status !== 302)
    throw new Error(`authorization endpoint answered ${response.status}: ${await response.text()}`)
  return locationOf(response)
}

/** Starts a sign-in at `path` (`/login/github?next=...`) and answers the provider's authorization URL. */
export async function begin(browser: Browser, path: string): Promise<URL> {
  const response = await browser.get(path)
  if (response.status !== 302) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
  return locationOf(response)
}

/** The whole happy path: start, consent at the provider, return; answers the app's last answer (303 to next). */
export async function signInThrough(browser: Browser, path: string): Promise<Response> {
  return browser.get(await consent(await begin(browser, path)))
}
