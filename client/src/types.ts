import type { Clock } from './clock.js'
import type { CookieSpec } from './cookies.js'
import type { LoginLogger } from './log.js'
import type { EnsuredReply, GrantedReply, GroupExpression } from './protocol.js'

/** What an app learns about the person behind a request. `id` is the login service's UUID for them. */
export interface LoginUser {
  id: string
  name: string
  picture: string
}

/** Options of `createLoginClient` (and of the core it wraps). */
export interface LoginClientOptions {
  /** Base URL the app reaches the login server at, e.g. `http://localhost:8000`. */
  server: string
  /** Credentials printed by `npx modular-login app add <name>`. */
  app: { id: string; secret: string }
  /** Base URL browsers reach the login server at, for sign-in redirects; defaults to `server`. */
  publicUrl?: string
  /** Name of the lease cookie; defaults to what the server announces (`login` unless configured). */
  cookieName?: string
  /** How long a membership answer is reused without asking again (ms, default 10 000). A `membership` push drops it sooner. */
  membershipTtlMs?: number
  /** How long a request over the channel may take (ms, default 5 000). */
  requestTimeoutMs?: number
  /** First and longest wait between reconnection attempts (ms, defaults 100 and 5 000; doubled each time, with jitter). */
  reconnect?: { minMs?: number; maxMs?: number }
  /** Where connection events are reported; `false` for nowhere. Defaults to the console. */
  logger?: LoginLogger | false
  /** The time leases and cached answers are judged by (default: the system clock). */
  clock?: Clock
}

/** What `ensure` answers: the group, its owner's user id and owner membership, and the paths it created. */
export type EnsuredNamespace = Omit<EnsuredReply, 'type' | 'id'>

/** A membership granted by `grant`. */
export type GrantedMembership = GrantedReply['membership']

/** Limits of a direct grant: expiry (Unix seconds), admissions allowed, removal power (0–2), degrees of separation. */
export interface GrantLimits {
  until?: number | null
  spots?: number | null
  deauthorizes?: number
  dos?: number | null
}

/** A group requirement: an expression, or a function of the signed-in user that builds one (null = no requirement). */
export type GroupOption<U = LoginUser> = GroupExpression | ((user: U) => GroupExpression | null | undefined)

/** What `authenticate` reads from a request. */
export interface AuthenticateInput {
  /** The raw `Cookie` header. */
  cookie?: string | undefined
  /** The client's IP address, passed to the login server with a lease refresh (for its logs). */
  ip?: string | undefined
  /** A group the user must be a member of. */
  group?: GroupOption | null | undefined
}

/**
 * The outcome of authenticating a request. `cookies` must be set on the
 * response (a renewed lease) whatever the status.
 */
export type AuthResult =
  | { status: 'ok'; user: LoginUser; cookies: readonly CookieSpec[] }
  /** No usable lease: signed out, revoked, or forged. */
  | { status: 'unauthenticated'; reason: string; cookies: readonly CookieSpec[] }
  /** Signed in but not a member of the group. */
  | { status: 'forbidden'; user: LoginUser; reason: string; cookies: readonly CookieSpec[] }
  /** The group expression is malformed (e.g. built from a bad route parameter). */
  | { status: 'bad-request'; user: LoginUser; reason: string; cookies: readonly CookieSpec[] }
  /** The answer needs the login server, which cannot be reached (an expired lease, an uncached membership). */
  | { status: 'unavailable'; reason: string; cookies: readonly CookieSpec[] }

/** A ready-made HTTP answer for a request that may not proceed. */
export interface Denial {
  statusCode: number
  headers: Record<string, string>
  body: string
}
