import { errors as joseErrors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose'
import type {
  CookieSettings,
  EnsuredReply,
  GrantedReply,
  GroupExpression,
  ServerMessage,
  WelcomeMessage,
} from '../realtime/protocol.js'
import { Connection, ServerError, UnavailableError } from './connection.js'
import { readCookie, serializeCookie, type CookieSpec } from './cookies.js'
import { KeySet } from './keys.js'
import { consoleLogger, silentLogger, type LoginLogger } from './log.js'

/** What an app learns about the person behind a request. `id` is the login service's UUID for them. */
export interface LoginUser {
  id: string
  name: string
  picture: string
}

/** Options of {@link LoginCore} (and of `createLoginClient`). */
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
}

/** What {@link LoginCore.ensure} answers: the group, its owner's user id and owner membership, and the paths it created. */
export type EnsuredNamespace = Omit<EnsuredReply, 'type' | 'id'>

/** A membership granted by {@link LoginCore.grant}. */
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

/** What {@link LoginCore.authenticate} reads from a request. */
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

interface LeaseClaims {
  sub: string
  sid: string
  name: string
  picture: string
  exp: number
}

/** A verified token, memoised until well after its `exp`. */
interface Lease {
  claims: LeaseClaims
  user: LoginUser
  /** The answer for this lease with no group and no cookie to set: shared, so the memoised path allocates nothing. */
  ok: AuthResult
}

const NONE: readonly CookieSpec[] = Object.freeze([])
const MEMO_LIMIT = 100_000
const MEMBER_LIMIT = 100_000
/** Expired leases stay memoised this long, so that a browser still sending one is refreshed without re-verifying it. */
const EXPIRED_GRACE_SECONDS = 300
const SKEW_SECONDS = 60

class UnknownKeyError extends Error {}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function asClaims(payload: JWTPayload | undefined): LeaseClaims | null {
  if (!payload) return null
  const { sub, sid, name, picture, exp } = payload as Record<string, unknown>
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof name !== 'string' ||
    typeof picture !== 'string' ||
    typeof exp !== 'number'
  )
    return null
  return { sub, sid, name, picture, exp }
}

function leaseOf(claims: LeaseClaims): Lease {
  const user = Object.freeze({ id: claims.sub, name: claims.name, picture: claims.picture })
  return { claims, user, ok: Object.freeze({ status: 'ok', user, cookies: NONE }) as AuthResult }
}

function json(
  statusCode: number,
  error: string,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): Denial {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra },
    body: JSON.stringify({ statusCode, error, message, code }),
  }
}

/**
 * The framework-free heart of the client library: it reads raw header
 * strings and answers user objects and cookie objects, so that the Fastify
 * plugin and the `node:http` middleware are thin adapters over it.
 *
 * Leases are verified locally with the server's JWKS and memoised per token;
 * revoked sessions are denied from the moment the server pushes them;
 * expired leases are refreshed over the channel; membership answers are
 * cached until a `membership` push or a short TTL. While the server is
 * unreachable, unexpired and unrevoked leases keep being served.
 */
export class LoginCore {
  private readonly memo = new Map<string, Lease>()
  /** sid → Unix second until which its leases are refused. */
  private readonly denied = new Map<string, number>()
  /** sid → the lease the server re-issued for it, and its cookie. */
  private readonly renewed = new Map<string, { lease: Lease; cookie: CookieSpec }>()
  private readonly refreshing = new Map<string, Promise<{ lease: Lease; cookie: CookieSpec } | 'revoked'>>()
  /** user id → expression key → answer. */
  private readonly members = new Map<string, Map<string, { member: boolean; at: number }>>()
  private readonly querying = new Map<string, Promise<boolean>>()
  /** How many answers `members` holds. */
  private memberAnswers = 0
  /** Bumped by every membership push: an answer asked for before a push is used once but not cached. */
  private membershipEpoch = 0
  private readonly keys: KeySet
  private readonly connection: Connection
  private log: LoginLogger
  private readonly membershipTtlMs: number
  private readonly publicUrl: string
  private cookieName: string
  private cookie: CookieSettings
  private leaseSeconds = 3600
  private readonly sweeper: NodeJS.Timeout
  private readonly keyFor = (header: JWTHeaderParameters) => {
    const key = this.keys.get(header.kid)
    if (!key) throw new UnknownKeyError(header.kid ?? '(none)')
    return key
  }

  constructor(private readonly options: LoginClientOptions) {
    if (!options || typeof options.server !== 'string')
      throw new TypeError('createLoginClient: `server` (the login server URL) is required')
    if (!options.app || typeof options.app.id !== 'string' || typeof options.app.secret !== 'string') {
      throw new TypeError(
        'createLoginClient: `app: {id, secret}` (from `npx modular-login app add <name>`) is required',
      )
    }
    const server = new URL(options.server).href.replace(/\/$/, '')
    this.publicUrl = (options.publicUrl ?? server).replace(/\/$/, '')
    this.log = options.logger === false ? silentLogger : (options.logger ?? consoleLogger)
    this.membershipTtlMs = options.membershipTtlMs ?? 10_000
    this.cookieName = options.cookieName ?? 'login'
    this.cookie = {
      name: this.cookieName,
      path: '/',
      secure: server.startsWith('https:'),
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 180 * 86400,
    }
    const timeout = options.requestTimeoutMs ?? 5_000
    this.keys = new KeySet(`${server}/login/.well-known/jwks.json`, timeout)
    this.connection = new Connection(
      {
        server,
        app: options.app,
        requestTimeoutMs: timeout,
        reconnectMinMs: options.reconnect?.minMs ?? 100,
        reconnectMaxMs: options.reconnect?.maxMs ?? 5_000,
        log: {
          debug: (data, message) => this.log.debug?.(data, message),
          info: (data, message) => this.log.info(data, message),
          warn: (data, message) => this.log.warn(data, message),
          error: (data, message) => this.log.error(data, message),
        },
      },
      {
        welcome: (message, gap) => this.welcomed(message, gap),
        synced: () => {},
        push: message => this.pushed(message),
        down: () => {},
      },
    )
    this.sweeper = setInterval(() => this.sweep(), 60_000).unref()
    this.connection.start()
    this.keys
      .ensure()
      .catch(error =>
        this.log.warn(
          { err: (error as Error).message },
          'could not fetch the lease keys yet; will retry on the first request',
        ),
      )
  }

  /** Resolves once the channel is authenticated and the keys are loaded; rejects when the server refuses the app's credentials. */
  async ready(): Promise<void> {
    // The channel waits across reconnection attempts; once it is up, so is the JWKS endpoint.
    await this.connection.ready()
    await this.keys.ensure()
  }

  /** Whether the channel to the login server is up. */
  get connected(): boolean {
    return this.connection.isOpen
  }

  /** The last revocation cursor received (null before the first connection). */
  get cursor(): number | null {
    return this.connection.cursor
  }

  /** Closes the channel and stops the timers. */
  close(): void {
    clearInterval(this.sweeper)
    this.connection.close()
  }

  /** Lets another logger take over unless one was given in the options (the Fastify plugin hands over `app.log`). */
  useLogger(log: LoginLogger): void {
    if (this.options.logger === undefined) this.log = log
  }

  /** Where a signed-out browser is sent: the login server's sign-in page, coming back to `url`. */
  loginUrl(url: string): string {
    return `${this.publicUrl}/login?next=${encodeURIComponent(url)}`
  }

  /**
   * Decides who a request comes from, and whether they hold `group`. The
   * common case (a lease seen before, not revoked, not expired, no group)
   * is a couple of map lookups.
   */
  async authenticate(input: AuthenticateInput): Promise<AuthResult> {
    const token = readCookie(input.cookie, this.cookieName)
    if (!token) return { status: 'unauthenticated', reason: 'no lease cookie', cookies: NONE }
    let lease = this.memo.get(token)
    if (lease === undefined) {
      const verified = await this.verify(token)
      if (typeof verified === 'string') {
        return verified === 'unavailable'
          ? { status: 'unavailable', reason: 'the lease keys could not be fetched', cookies: NONE }
          : { status: 'unauthenticated', reason: 'the lease is not valid', cookies: NONE }
      }
      lease = verified
    }
    const now = nowSeconds()
    const deniedUntil = this.denied.get(lease.claims.sid)
    if (deniedUntil !== undefined && deniedUntil > now)
      return { status: 'unauthenticated', reason: 'the session was revoked', cookies: NONE }

    let cookies = NONE
    if (lease.claims.exp <= now) {
      let renewed
      try {
        renewed = await this.renew(token, lease.claims.sid, input.ip)
      } catch (error) {
        return {
          status: 'unavailable',
          reason: `the lease expired and could not be refreshed: ${(error as Error).message}`,
          cookies: NONE,
        }
      }
      if (renewed === 'revoked') return { status: 'unauthenticated', reason: 'the session has ended', cookies: NONE }
      lease = renewed.lease
      cookies = [renewed.cookie]
    }

    const group = input.group
    if (group === undefined || group === null)
      return cookies === NONE ? lease.ok : { status: 'ok', user: lease.user, cookies }
    const expression = typeof group === 'function' ? group(lease.user) : group
    if (expression === undefined || expression === null)
      return cookies === NONE ? lease.ok : { status: 'ok', user: lease.user, cookies }
    let member: boolean
    try {
      member = await this.isMember(lease.user.id, expression)
    } catch (error) {
      if (error instanceof ServerError && error.code === 'LOGIN_ERR_BAD_EXPRESSION') {
        return { status: 'bad-request', user: lease.user, reason: error.message, cookies }
      }
      return { status: 'unavailable', reason: `membership could not be checked: ${(error as Error).message}`, cookies }
    }
    if (!member) return { status: 'forbidden', user: lease.user, reason: 'not a member of the required group', cookies }
    return cookies === NONE ? lease.ok : { status: 'ok', user: lease.user, cookies }
  }

  /**
   * Whether the user holds the expression: a cached answer while fresh (or
   * while the server is unreachable), else one question over the channel,
   * shared by concurrent requests. Throws when it cannot be answered.
   */
  async isMember(userId: string, expression: GroupExpression): Promise<boolean> {
    const key = typeof expression === 'string' ? expression : JSON.stringify(expression)
    const cached = this.members.get(userId)?.get(key)
    if (cached && (Date.now() - cached.at < this.membershipTtlMs || !this.connection.isOpen)) return cached.member
    const flight = `${userId}\n${key}`
    let pending = this.querying.get(flight)
    if (!pending) {
      const epoch = this.membershipEpoch
      pending = this.connection
        .request({ type: 'query', user: userId, group: expression })
        .then(reply => {
          const member = reply.type === 'member' && reply.member
          if (epoch === this.membershipEpoch) this.storeAnswer(userId, key, member)
          return member
        })
        .finally(() => this.querying.delete(flight))
      this.querying.set(flight, pending)
    }
    try {
      return await pending
    } catch (error) {
      // Unreachable server: an old answer beats none (a removal made meanwhile is replayed on reconnect).
      if (cached && error instanceof UnavailableError) return cached.member
      throw error
    }
  }

  /**
   * Creates the namespace (or subtree) at `path` with an owner named by
   * `<provider>:<provider user id>` (e.g. `test:127.0.0.1`), who need not
   * have signed in yet; idempotent (the predecessor's `AccessNamespace`).
   */
  async ensure(path: string, owner: string): Promise<EnsuredNamespace> {
    const reply = await this.connection.request({ type: 'ensure', path, owner })
    if (reply.type !== 'ensured') throw new ServerError('LOGIN_ERR_INTERNAL', `unexpected reply ${reply.type}`)
    const { type: _type, id: _id, ...result } = reply
    return result
  }

  /** Grants a user (by id) membership of `path` directly, creating the path (the predecessor's `add_access`). */
  async grant(user: string, path: string, options: GrantLimits = {}): Promise<GrantedMembership> {
    const reply = await this.connection.request({ type: 'grant', user, path, ...options })
    if (reply.type !== 'granted') throw new ServerError('LOGIN_ERR_INTERNAL', `unexpected reply ${reply.type}`)
    this.membershipEpoch++
    this.forgetMemberships(user)
    return reply.membership
  }

  /** Ends a membership (with `cascade`, those admitted below it too); answers the ids ended (the predecessor's `remove_access`). */
  async remove(membership: string, options: { cascade?: boolean } = {}): Promise<string[]> {
    const reply = await this.connection.request({
      type: 'remove',
      membership,
      ...(options.cascade ? { cascade: true } : {}),
    })
    if (reply.type !== 'removed') throw new ServerError('LOGIN_ERR_INTERNAL', `unexpected reply ${reply.type}`)
    return reply.memberships
  }

  /**
   * The HTTP answer for a result that may not proceed, or null for `ok`.
   * Signed-out GET/HEAD requests are redirected to the sign-in page (`url`
   * is this request's absolute URL); other methods get 401.
   */
  denial(result: AuthResult, request: { method?: string | undefined; url: string }): Denial | null {
    switch (result.status) {
      case 'ok':
        return null
      case 'unauthenticated':
        if (request.method === 'GET' || request.method === 'HEAD') {
          return {
            statusCode: 302,
            headers: { location: this.loginUrl(request.url), 'cache-control': 'no-store' },
            body: '',
          }
        }
        return json(401, 'Unauthorized', 'LOGIN_ERR_UNAUTHENTICATED', 'Sign in required')
      case 'forbidden':
        return json(403, 'Forbidden', 'LOGIN_ERR_FORBIDDEN', 'Not a member of the required group')
      case 'bad-request':
        return json(400, 'Bad Request', 'LOGIN_ERR_BAD_EXPRESSION', result.reason)
      case 'unavailable':
        return json(
          503,
          'Service Unavailable',
          'LOGIN_ERR_UNAVAILABLE',
          'The login server cannot be reached; try again shortly',
          { 'retry-after': '5' },
        )
    }
  }

  /** `Set-Cookie` header values for a result's cookies. */
  setCookieHeaders(result: AuthResult): string[] {
    return result.cookies.length === 0 ? [] : result.cookies.map(serializeCookie)
  }

  /** Verifies a token seen for the first time; memoises it, expired or not. */
  private async verify(token: string): Promise<Lease | 'invalid' | 'unavailable'> {
    if (this.keys.size === 0) {
      try {
        await this.keys.ensure()
      } catch {
        return 'unavailable'
      }
    }
    for (let attempt = 0; ; attempt++) {
      let claims: LeaseClaims | null
      try {
        const { payload } = await jwtVerify(token, this.keyFor, { algorithms: ['EdDSA'] })
        claims = asClaims(payload)
      } catch (error) {
        if (error instanceof UnknownKeyError && attempt === 0) {
          // A key rotated since the last fetch, or a forged kid (the re-fetch is rate-limited).
          try {
            await this.keys.refetch()
            continue
          } catch {
            // Server down: a key it started using meanwhile cannot be learnt yet.
            return 'unavailable'
          }
        }
        // The signature is checked before the claims, so an expired lease's payload is authentic.
        claims = error instanceof joseErrors.JWTExpired ? asClaims(error.payload) : null
      }
      if (!claims) return 'invalid'
      const lease = leaseOf(claims)
      this.remember(token, lease)
      return lease
    }
  }

  private renew(
    token: string,
    sid: string,
    ip: string | undefined,
  ): Promise<{ lease: Lease; cookie: CookieSpec } | 'revoked'> {
    const current = this.renewed.get(sid)
    if (current && current.lease.claims.exp > nowSeconds()) return Promise.resolve(current)
    let pending = this.refreshing.get(sid)
    if (!pending) {
      pending = this.connection
        .request({ type: 'refresh', token, ...(ip ? { ip } : {}) })
        .then(async reply => {
          if (reply.type === 'lease') {
            const lease = await this.verify(reply.token)
            if (typeof lease === 'string') throw new Error('the login server issued a lease this app cannot verify')
            const renewed = { lease, cookie: { ...this.cookie, value: reply.token } }
            this.renewed.set(sid, renewed)
            return renewed
          }
          this.deny(sid, nowSeconds() + this.leaseSeconds + SKEW_SECONDS)
          return 'revoked' as const
        })
        .finally(() => this.refreshing.delete(sid))
      this.refreshing.set(sid, pending)
    }
    return pending
  }

  private deny(sid: string, until: number): void {
    this.denied.set(sid, Math.max(until, this.denied.get(sid) ?? 0))
    this.renewed.delete(sid)
  }

  private welcomed(message: WelcomeMessage, gap: boolean): void {
    this.leaseSeconds = message.leaseSeconds
    this.cookie = message.cookie
    if (this.options.cookieName === undefined) this.cookieName = message.cookie.name
    // Replay starts later than asked: membership changes may have been skipped.
    if (gap) this.forgetMemberships()
  }

  private pushed(message: ServerMessage): void {
    switch (message.type) {
      case 'revoked':
        this.deny(message.sid, message.until ?? nowSeconds() + this.leaseSeconds + SKEW_SECONDS)
        return
      case 'membership':
        this.membershipEpoch++
        this.forgetMemberships(message.user)
        return
      case 'keys':
        this.keys.replace(message.jwks).then(
          () => {
            // A key may have been withdrawn: every lease is verified again.
            this.memo.clear()
            this.renewed.clear()
            this.log.info({ keys: this.keys.size }, 'lease keys replaced by the login server')
          },
          error => this.log.error({ err: (error as Error).message }, 'could not read the pushed lease keys'),
        )
        return
      default:
        return
    }
  }

  private storeAnswer(userId: string, key: string, member: boolean): void {
    let answers = this.members.get(userId)
    if (!answers?.has(key)) {
      if (this.memberAnswers >= MEMBER_LIMIT) {
        this.sweep()
        // Still full of fresh answers (expressions built per request): start over rather than grow.
        if (this.memberAnswers >= MEMBER_LIMIT) this.forgetMemberships()
        answers = this.members.get(userId)
      }
      if (!answers) this.members.set(userId, (answers = new Map()))
      this.memberAnswers++
    }
    answers.set(key, { member, at: Date.now() })
  }

  /** Drops the cached membership answers of one user, or of everybody. */
  private forgetMemberships(user?: string): void {
    if (user === undefined) {
      this.members.clear()
      this.memberAnswers = 0
      return
    }
    this.memberAnswers -= this.members.get(user)?.size ?? 0
    this.members.delete(user)
  }

  private remember(token: string, lease: Lease): void {
    if (this.memo.size >= MEMO_LIMIT) {
      this.sweep()
      // Still full of live leases: drop the oldest-seen half rather than grow without bound.
      if (this.memo.size >= MEMO_LIMIT) {
        let drop = this.memo.size / 2
        for (const t of this.memo.keys()) {
          if (drop-- <= 0) break
          this.memo.delete(t)
        }
      }
    }
    this.memo.set(token, lease)
  }

  private sweep(): void {
    const now = nowSeconds()
    for (const [token, lease] of this.memo) if (lease.claims.exp + EXPIRED_GRACE_SECONDS <= now) this.memo.delete(token)
    for (const [sid, until] of this.denied) if (until <= now) this.denied.delete(sid)
    for (const [sid, renewed] of this.renewed) if (renewed.lease.claims.exp <= now) this.renewed.delete(sid)
    if (this.connection.isOpen) {
      const stale = Date.now() - this.membershipTtlMs
      for (const [user, answers] of this.members) {
        for (const [key, answer] of answers) {
          if (answer.at < stale) {
            answers.delete(key)
            this.memberAnswers--
          }
        }
        if (answers.size === 0) this.members.delete(user)
      }
    }
  }
}
