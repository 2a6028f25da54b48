import { systemClock, type Clock } from './clock.js'
import { LoggerSwitch } from './log.js'
import type { CookieSettings } from './protocol.js'
import type { LoginClientOptions } from './types.js'

/** {@link LoginClientOptions} checked, with every default filled in. */
export interface ClientSettings {
  server: string
  publicUrl: string
  app: { id: string; secret: string }
  /** The lease cookie as the server sets it, until its `welcome` says otherwise. */
  cookie: CookieSettings
  /** Whether the app chose the cookie name (else the server's `welcome` names it). */
  cookieNamed: boolean
  membershipTtlMs: number
  requestTimeoutMs: number
  reconnectMinMs: number
  reconnectMaxMs: number
  log: LoggerSwitch
  clock: Clock
}

/** Checks the options of `createLoginClient` (throwing a TypeError that says what is missing) and fills in the defaults. */
export function clientSettings(options: LoginClientOptions): ClientSettings {
  if (!options || typeof options.server !== 'string')
    throw new TypeError('createLoginClient: `server` (the login server URL) is required')
  if (!options.app || typeof options.app.id !== 'string' || typeof options.app.secret !== 'string')
    throw new TypeError('createLoginClient: `app: {id, secret}` (from `npx modular-login app add <name>`) is required')
  const server = new URL(options.server).href.replace(/\/$/, '')
  return {
    server,
    publicUrl: (options.publicUrl ?? server).replace(/\/$/, ''),
    app: options.app,
    cookie: {
      name: options.cookieName ?? 'login',
      path: '/',
      secure: server.startsWith('https:'),
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 180 * 86400,
    },
    cookieNamed: options.cookieName !== undefined,
    membershipTtlMs: options.membershipTtlMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    reconnectMinMs: options.reconnect?.minMs ?? 100,
    reconnectMaxMs: options.reconnect?.maxMs ?? 5_000,
    log: new LoggerSwitch(options.logger),
    clock: options.clock ?? systemClock,
  }
}
