import type { FastifyInstance } from 'fastify'
import { decodeJwt, type JWTPayload } from 'jose'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { buildApp, type BuildOptions } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { Teardown } from './teardown.js'

/** What a test gets: a fresh server on a fresh run/ folder, with its clock in the test's hands. */
export interface TestApp {
  app: FastifyInstance
  config: Config
  clock: ManualClock
  /** Signs in with the `test` provider and answers the lease cookie as `name=value`. */
  signIn(who: string, headers?: Record<string, string>): Promise<string>
}

/** A temporary folder removed when the test ends. */
export function tempDir(t: Teardown, prefix = 'login-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Debug-mode configuration on a temporary run/ folder, without the developer's credentials.json; `overrides` win. */
export function testConfig(t: Teardown, overrides: Partial<Config> = {}): Config {
  return loadConfig(
    {},
    { runDir: tempDir(t), debug: true, logLevel: 'silent', rateLimit: 10_000, credentialsPath: null, ...overrides },
  )
}

/** Builds an app for `app.inject` tests; closed when the test ends. */
export async function startApp(t: Teardown, overrides: Partial<Config> = {}): Promise<TestApp> {
  const config = testConfig(t, overrides)
  const clock = new ManualClock()
  const app = await buildApp(config, { clock, logger: false })
  t.teardown(() => app.close())
  return { app, config, clock, signIn: (who, headers) => signIn(app, config, who, headers) }
}

/** `name=value` of the lease cookie set by a response, or throws. */
export function leaseCookie(
  config: Pick<Config, 'cookieName'>,
  setCookie: string | string[] | number | undefined,
): string {
  const all = Array.isArray(setCookie) ? setCookie : [String(setCookie ?? '')]
  const found = all.find(c => c.startsWith(`${config.cookieName}=`) && !c.startsWith(`${config.cookieName}=;`))
  if (!found) throw new Error(`no lease cookie in ${JSON.stringify(setCookie)}`)
  return found.split(';')[0]!
}

/** The token (a JWT) a lease cookie given as `name=value` carries. */
export function leaseToken(cookie: string): string {
  return cookie.slice(cookie.indexOf('=') + 1)
}

/** The claims of a lease cookie given as `name=value`, read without verifying them. */
export function leaseClaims(cookie: string): JWTPayload {
  return decodeJwt(leaseToken(cookie))
}

/** The id of the session a lease cookie (`name=value`) belongs to. */
export function sidOf(cookie: string): string {
  return leaseClaims(cookie).sid as string
}

export async function signIn(
  app: FastifyInstance,
  config: Config,
  who: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await app.inject({ method: 'GET', url: `/login/test/as?who=${encodeURIComponent(who)}`, headers })
  if (response.statusCode !== 303) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`)
  return leaseCookie(config, response.headers['set-cookie'])
}

/** Signs in as `who` with the `test` provider over real HTTP at `base`; answers the lease cookie as `name=value`. */
export async function signInOverHttp(base: string, who: string, cookieName = 'login'): Promise<string> {
  const response = await fetch(`${base}/login/test/as?who=${encodeURIComponent(who)}`, { redirect: 'manual' })
  if (response.status !== 303) throw new Error(`sign-in as ${who} at ${base} failed: ${response.status}`)
  return leaseCookie({ cookieName }, response.headers.getSetCookie())
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/** A debug-mode app served over real HTTP on loopback, its `publicUrl` naming its own port. */
/** How {@link serveApp} serves an app. */
export interface ServeOptions {
  /** The name browsers reach it by: `localhost` where a page needs a domain (passkeys' relying-party ID). */
  hostName?: string
  /** Where its log goes (tests that read what is logged); no logger otherwise. */
  logStream?: BuildOptions['logStream']
}

export interface ServedApp extends TestApp {
  /** `http://127.0.0.1:<port>` */
  base: string
}

/**
 * Builds and serves an app on 127.0.0.1 (closed when the test ends). The
 * public URL (links, OAuth redirect URIs) must name the real port before the
 * config is frozen, so a free port is picked first, then bound; a port taken
 * in between is retried with another. `prepare` may add hooks before it listens. It always
 * listens on 127.0.0.1, whatever name `base` gives it.
 */
export async function serveApp(
  t: Teardown,
  overrides: Partial<Config> = {},
  prepare?: (app: FastifyInstance) => void,
  { hostName = '127.0.0.1', logStream }: ServeOptions = {},
): Promise<ServedApp> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const base = `http://${hostName}:${port}`
    const config = testConfig(t, { host: '127.0.0.1', port, publicUrl: base, ...overrides })
    const clock = new ManualClock()
    const app = await buildApp(config, { clock, ...(logStream ? { logStream } : { logger: false }) })
    prepare?.(app)
    try {
      await app.listen({ host: '127.0.0.1', port })
    } catch (error) {
      await app.close()
      if (attempt < 3 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue
      throw error
    }
    t.teardown(() => app.close())
    return { app, config, clock, base, signIn: (who, headers) => signIn(app, config, who, headers) }
  }
}
