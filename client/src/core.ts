import { unixSeconds } from './clock.js'
import { Connection, ServerError } from './connection.js'
import { readCookie, serializeCookie } from './cookies.js'
import { denialFor } from './denial.js'
import { GroupCalls } from './groups.js'
import { SessionDenyList } from './deny-list.js'
import { LeaseVerifier, NO_COOKIES, type Lease } from './lease-verifier.js'
import type { LoginLogger } from './log.js'
import { MembershipCache } from './membership-cache.js'
import { clientSettings, type ClientSettings } from './options.js'
import type { GroupExpression, ServerPush, WelcomeMessage } from './protocol.js'
import type { AuthenticateInput, AuthResult, Denial, LoginClientOptions } from './types.js'

/**
 * The framework-free heart of the client library: it reads raw header
 * strings and answers user objects and cookie objects, so that the Fastify
 * plugin and the `node:http` middleware are thin adapters over it. It puts
 * together the lease verifier, the session deny-list, the membership cache
 * and the channel to the login server; while the server is unreachable,
 * unexpired and unrevoked leases keep being served.
 */
export class LoginCore {
  private readonly settings: ClientSettings
  private readonly connection: Connection
  private readonly leases: LeaseVerifier
  private readonly sessions: SessionDenyList
  private readonly memberships: MembershipCache
  private readonly sweeper: NodeJS.Timeout
  /** The access-group calls (`ensure`, `grant`, `remove`, `isMember`). */
  readonly groups: GroupCalls

  constructor(options: LoginClientOptions) {
    const settings = (this.settings = clientSettings(options))
    const { clock, log } = settings
    this.connection = new Connection(settings, {
      welcome: (message, gap) => this.welcomed(message, gap),
      push: message => this.pushed(message),
    })
    const keysUrl = `${settings.server}/login/.well-known/jwks.json`
    this.leases = new LeaseVerifier(keysUrl, settings.requestTimeoutMs, clock)
    const refresh = (token: string, ip?: string) => this.connection.request('refresh', { token, ...(ip ? { ip } : {}) })
    this.sessions = new SessionDenyList(clock, refresh, token => this.leases.verify(token), settings.cookie)
    const query = async (user: string, group: GroupExpression) =>
      (await this.connection.request('query', { user, group })).member
    this.memberships = new MembershipCache(query, () => this.connection.isOpen, settings.membershipTtlMs, clock)
    this.groups = new GroupCalls(this.connection, this.memberships)
    this.sweeper = setInterval(() => this.sweep(), 60_000).unref()
    this.connection.start()
    const keysLater = 'could not fetch the lease keys yet; will retry on the first request'
    this.leases.ready().catch((error: Error) => log.warn({ err: error.message }, keysLater))
  }

  /** Resolves once the channel is authenticated and the keys are loaded; rejects when the server refuses the app's credentials. */
  async ready(): Promise<void> {
    // The channel waits across reconnection attempts; once it is up, so is the JWKS endpoint.
    await this.connection.ready()
    await this.leases.ready()
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
    this.settings.log.offer(log)
  }

  /** Where a signed-out browser is sent: the login server's sign-in page, coming back to `url`. */
  loginUrl(url: string): string {
    return `${this.settings.publicUrl}/login?next=${encodeURIComponent(url)}`
  }

  /**
   * Decides who a request comes from, and whether they hold `group`. The
   * common case (a lease seen before, not revoked, not expired, no group)
   * is a couple of map lookups.
   */
  async authenticate(input: AuthenticateInput): Promise<AuthResult> {
    const { settings, sessions } = this
    const token = readCookie(input.cookie, settings.cookieNamed ? settings.cookie.name : sessions.cookie.name)
    if (!token) return { status: 'unauthenticated', reason: 'no lease cookie', cookies: NO_COOKIES }
    let lease: Lease | 'invalid' | 'unavailable' = this.leases.memoised(token) ?? (await this.leases.verify(token))
    if (lease === 'unavailable')
      return { status: 'unavailable', reason: 'the lease keys could not be fetched', cookies: NO_COOKIES }
    if (lease === 'invalid') return { status: 'unauthenticated', reason: 'the lease is not valid', cookies: NO_COOKIES }
    if (this.sessions.isDenied(lease.claims.sid))
      return { status: 'unauthenticated', reason: 'the session was revoked', cookies: NO_COOKIES }

    let cookies = NO_COOKIES
    if (lease.claims.exp <= unixSeconds(this.settings.clock)) {
      const renewed = await this.sessions.renew(token, lease.claims.sid, input.ip).catch((error: Error) => error)
      if (renewed instanceof Error) {
        const reason = `the lease expired and could not be refreshed: ${renewed.message}`
        return { status: 'unavailable', reason, cookies: NO_COOKIES }
      }
      if (renewed === 'revoked')
        return { status: 'unauthenticated', reason: 'the session has ended', cookies: NO_COOKIES }
      lease = renewed.lease
      cookies = [renewed.cookie]
    }
    const ok: AuthResult = cookies === NO_COOKIES ? lease.ok : { status: 'ok', user: lease.user, cookies }
    const { group } = input
    const expression = typeof group === 'function' ? group(lease.user) : group
    if (expression === undefined || expression === null) return ok
    const member = await this.memberships.isMember(lease.user.id, expression).catch((error: Error) => error)
    if (member === true) return ok
    if (member === false)
      return { status: 'forbidden', user: lease.user, reason: 'not a member of the required group', cookies }
    if (member instanceof ServerError && member.code === 'LOGIN_ERR_BAD_EXPRESSION')
      return { status: 'bad-request', user: lease.user, reason: member.message, cookies }
    return { status: 'unavailable', reason: `membership could not be checked: ${member.message}`, cookies }
  }

  /**
   * The HTTP answer for a result that may not proceed, or null for `ok`.
   * Signed-out GET/HEAD requests are redirected to the sign-in page (`url`
   * is this request's absolute URL); other methods get 401.
   */
  denial(result: AuthResult, request: { method?: string | undefined; url: string }): Denial | null {
    return denialFor(result, request.method, () => this.loginUrl(request.url))
  }

  /** `Set-Cookie` header values for a result's cookies. */
  setCookieHeaders(result: AuthResult): string[] {
    return result.cookies.length === 0 ? [] : result.cookies.map(serializeCookie)
  }

  private welcomed(message: WelcomeMessage, gap: boolean): void {
    this.sessions.leaseSeconds = message.leaseSeconds
    this.sessions.cookie = message.cookie
    // Replay starts later than asked: membership changes may have been skipped.
    if (gap) this.memberships.forget()
  }

  private pushed(message: ServerPush): void {
    if (message.type === 'revoked') return this.sessions.deny(message.sid, message.until)
    if (message.type === 'membership') return this.memberships.changed(message.user)
    this.leases.replaceKeys(message.jwks).then(
      () => {
        this.sessions.forgetRenewals()
        this.settings.log.info({ keys: this.leases.keyCount }, 'lease keys replaced by the login server')
      },
      error => this.settings.log.error({ err: (error as Error).message }, 'could not read the pushed lease keys'),
    )
  }

  private sweep(): void {
    this.leases.sweep()
    this.sessions.sweep()
    this.memberships.sweep()
  }
}
