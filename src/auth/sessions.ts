import { randomBytes } from 'node:crypto'
import type { Cache } from '../cache/cache.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { isLoginError } from '../errors.js'
import type { MaybePromise } from '../maybe-promise.js'
import type { Metrics } from '../metrics/metrics.js'
import type { RevocationFeed } from '../revocation-feed.js'
import type { Resolution, SignedIn } from '../signed-in/signed-in.js'
import { BoundedMemo } from 'modular-login-client/bounded-memo'
import type { Database } from '../storage/database.js'
import type { RevocationStore } from '../storage/revocations.js'
import type { SessionRecord, SessionStore } from '../storage/sessions.js'
import type { User, UserStore } from '../storage/users.js'
import type { LeaseClaims, LeaseService } from './leases.js'

/** Why a session ended, as counted in `login_sessions_revoked_total{reason}` (`other`: the caller did not say). */
export type SessionEndReason = 'logout' | 'session_list' | 'replaced' | 'idle' | 'max_age' | 'account_deleted' | 'other'

/** What the cache keeps of a session: enough to decide validity without the database. */
interface CachedSession {
  userId: string
  created: number
  /** Whether it began with a passkey (an access rule may require it); absent from entries cached before: no. */
  passkey?: boolean
}

/** The `provider` of a session begun with a passkey (SessionStart). */
const PASSKEY = 'passkey'

/** A session this process has seen active, kept until the lease it was seen with expires. */
interface KnownSession extends CachedSession {
  until: number
}

const KNOWN_LIMIT = 100_000

const REVOKED = '-'
// Active entries live briefly: even if a tombstone write is lost to a cache
// outage, a stale entry cannot outlive this, and the revocation feed covers
// the gap in every process.
const ACTIVE_TTL = 30

/** What sessions are decided with: the database and its stores, the cache and the revocation feed, leases, the time. */
export interface SessionDeps {
  db: Database
  config: Config
  clock: Clock
  cache: Cache
  sessions: SessionStore
  users: UserStore
  revocations: RevocationStore
  feed: RevocationFeed
  leases: LeaseService
  metrics: Metrics
  log: { warn(data: object, message: string): void; info(data: object, message: string): void }
}

/** Nobody, and no cookie to drop: what a request without a lease comes to. */
const NO_LEASE: Resolution = { status: 'signed-out', clearCookie: false }

export interface SessionStart {
  user: User
  /** How the person signed in: a provider's id, or `passkey`. */
  provider: string
  /** What OpenID Connect's `amr` says of it (RFC 8176), when there is something to say (passkeys). */
  amr?: readonly string[]
  ip: string
  userAgent: string
}

/**
 * Sessions and their leases. The database is the truth. A request with a
 * valid lease is answered from memory: the lease verified once (memoised
 * until its `exp`), the session known to this process, and not on the
 * deny-list that the revocation feed keeps current. Only while the feed is
 * behind (the database unreachable, notifications late) does a request ask
 * the shared cache, then the database, so that a stale feed never lets a
 * revoked session through; and if neither can answer, a verified lease
 * that is not denied still signs in (docs/operating.md, "Running several nodes").
 */
export class SessionService {
  /** sid → the time after which no lease of it can still be valid. */
  private readonly denied = new Map<string, number>()
  /** sid → a session seen active by this process, until the lease it was seen with expires. */
  private readonly known: BoundedMemo<string, KnownSession>
  private degradedSince: number | null = null

  constructor(private readonly deps: SessionDeps) {
    const { clock, feed } = deps
    this.known = new BoundedMemo(KNOWN_LIMIT, session => session.until <= clock.now())
    feed.on('revocation', entry => {
      if (entry.kind === 'session') this.deny(entry.subject)
    })
  }

  /** Creates a session for a user who just signed in and answers its lease. */
  async start(start: SessionStart): Promise<{ sid: string; token: string }> {
    const now = this.deps.clock.now()
    const sid = randomBytes(16).toString('base64url')
    await this.deps.sessions.create({
      sid,
      userId: start.user.id,
      provider: start.provider,
      ip: start.ip,
      userAgent: start.userAgent.slice(0, 512),
      created: now,
      refreshed: now,
      amr: start.amr?.join(' ') ?? null,
    })
    const { token, claims } = await this.deps.leases.issue(start.user, sid, this.deadline(now))
    this.known.set(sid, { userId: start.user.id, created: now, until: claims.exp, passkey: start.provider === PASSKEY })
    return { sid, token }
  }

  /**
   * The person of an active session signed in again (docs/sign-in.md,
   * "Sessions and leases"): the session stays, so that what apps were given
   * on it lives on, and records when and how (its `amr`); answers its new
   * lease, or null when the session ended meanwhile or is someone else's.
   */
  async reauthenticate(
    sid: string,
    user: User,
    amr: readonly string[] | undefined,
  ): Promise<{ sid: string; token: string } | null> {
    const now = this.deps.clock.now()
    const session = await this.deps.sessions.get(sid)
    if (!session || session.userId !== user.id || this.denied.has(sid)) return null
    if (!(await this.deps.sessions.authenticated(sid, now, amr?.join(' ') ?? null))) return null
    const { token, claims } = await this.deps.leases.issue(user, sid, this.deadline(session.created))
    this.known.set(sid, { userId: user.id, created: session.created, until: claims.exp })
    return { sid, token }
  }

  /**
   * Decides who a lease token belongs to. A valid lease of an active session
   * signs in; an expired lease of a session that is still allowed to live is
   * re-issued (`renewed`); anything else signs out (and the cookie should go).
   * Answered at once, without a promise, when this node can tell without
   * waiting: no lease; a lease it verified before, of a session it saw
   * active, while the revocation feed is current; or one it knows is
   * revoked. That is most requests a node answers (forward-auth's).
   */
  resolve(token: string | undefined): MaybePromise<Resolution> {
    if (!token) return NO_LEASE
    return this.resolveKnown(token) ?? this.resolveFurther(token)
  }

  /** What {@link resolve} answers at once, or undefined when it must look further. */
  private resolveKnown(token: string): Resolution | undefined {
    const claims = this.deps.leases.memoised(token)
    if (!claims) return undefined
    if (this.denied.has(claims.sid)) return { status: 'signed-out', clearCookie: true }
    const known = this.known.get(claims.sid)
    if (!known || !this.deps.feed.fresh || claims.exp <= this.deps.clock.now() || !this.withinMaxAge(known.created)) {
      return undefined
    }
    return { status: 'signed-in', signedIn: this.signedIn(claims, known) }
  }

  private async resolveFurther(token: string): Promise<Resolution> {
    const lease = await this.deps.leases.check(token)
    if (lease.status === 'invalid') return { status: 'signed-out', clearCookie: true }
    const { claims } = lease
    if (this.denied.has(claims.sid)) return { status: 'signed-out', clearCookie: true }
    if (lease.status === 'valid') {
      const session = await this.active(claims.sid, claims)
      if (!session) return { status: 'signed-out', clearCookie: true }
      if (!this.withinMaxAge(session.created)) {
        // Only a lease signed before max-age was lowered gets here; revoking tells the apps too.
        await this.revoke(claims.sid, 'max_age')
        return { status: 'signed-out', clearCookie: true }
      }
      return { status: 'signed-in', signedIn: this.signedIn(claims, session) }
    }
    const renewed = await this.refresh(claims.sid)
    if (!renewed) return { status: 'signed-out', clearCookie: true }
    return {
      status: 'signed-in',
      signedIn: {
        user: renewed.user,
        sid: claims.sid,
        claims: renewed.claims,
        passkey: renewed.passkey,
        renewed: renewed.token,
      },
    }
  }

  private signedIn(claims: LeaseClaims, session: CachedSession): SignedIn {
    const user = { id: claims.sub, name: claims.name, picture: claims.picture }
    return { user, sid: claims.sid, claims, passkey: session.passkey === true }
  }

  /**
   * Issues a new lease for a session that is still active, within its idle
   * and absolute timeouts; ends the session otherwise. Reads the database,
   * not the cache: refreshes are rare and must see the truth.
   */
  async refresh(sid: string): Promise<{ token: string; claims: LeaseClaims; user: User; passkey: boolean } | null> {
    const now = this.deps.clock.now()
    const session = await this.deps.sessions.get(sid)
    if (!session || session.revoked !== null || this.denied.has(sid)) return null
    const idle = this.deps.config.idleSeconds !== null && session.refreshed + this.deps.config.idleSeconds <= now
    if (idle || !this.withinMaxAge(session.created)) {
      await this.revoke(sid, idle ? 'idle' : 'max_age')
      return null
    }
    const user = await this.deps.users.get(session.userId)
    if (!user || !(await this.deps.sessions.refreshed(sid, now))) return null
    const { token, claims } = await this.deps.leases.issue(user, sid, this.deadline(session.created))
    const passkey = session.provider === PASSKEY
    this.known.set(sid, { userId: user.id, created: session.created, until: claims.exp, passkey })
    return { token, claims, user, passkey }
  }

  /** The user's active sessions, newest first; those past a timeout that nobody has used since are left out. */
  async list(userId: string): Promise<SessionRecord[]> {
    const now = this.deps.clock.now()
    return (await this.deps.sessions.activeForUser(userId)).filter(session => this.alive(session, now))
  }

  /** The session with this sid, if it belongs to `userId`. */
  async owned(userId: string, sid: string): Promise<SessionRecord | undefined> {
    const session = await this.deps.sessions.get(sid)
    return session && session.userId === userId ? session : undefined
  }

  /** Revokes one session everywhere; false when it was not active. */
  revoke(sid: string, reason: SessionEndReason = 'other'): Promise<boolean> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction(async () => {
      const session = await this.deps.sessions.get(sid)
      if (!session || !(await this.deps.sessions.revoke(sid, now))) return false
      await this.deps.revocations.append('session', sid, session.userId, now)
      await this.deps.db.afterCommit(() => this.announce([sid], reason))
      return true
    })
  }

  /**
   * Revokes every active session of a user (sign-out everywhere, account
   * deletion); inside the caller's transaction when there is one, announced
   * once it commits.
   */
  revokeAll(userId: string, reason: SessionEndReason = 'other'): Promise<string[]> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction(async () => {
      const sids = await this.deps.sessions.revokeAllOf(userId, now)
      for (const sid of sids) await this.deps.revocations.append('session', sid, userId, now)
      await this.deps.db.afterCommit(() => this.announce(sids, reason))
      return sids
    })
  }

  private async announce(sids: string[], reason: SessionEndReason): Promise<void> {
    if (sids.length > 0) this.deps.metrics.sessionsRevoked.inc({ reason }, sids.length)
    for (const sid of sids) this.deny(sid)
    // Tombstones, not deletes: a reader that fetched the row before the
    // revocation uses `add` and so cannot put the active entry back.
    await Promise.all(
      sids.map(sid => this.deps.cache.set(this.key(sid), REVOKED, this.deps.config.leaseSeconds + ACTIVE_TTL)),
    )
    await this.deps.feed.poll()
  }

  private deny(sid: string): void {
    const now = this.deps.clock.now()
    this.known.delete(sid)
    this.denied.set(sid, now + this.deps.config.leaseSeconds)
    if (this.denied.size % 1024 === 0) {
      for (const [s, until] of this.denied) if (until <= now) this.denied.delete(s)
    }
  }

  /**
   * The session behind a valid lease, or null when it has ended. From
   * memory while the feed is current; else from the cache or the database;
   * when neither answers, the lease itself (its signature checked, its
   * session not denied) stands in for the session.
   */
  private async active(sid: string, claims: LeaseClaims): Promise<CachedSession | null> {
    const known = this.known.get(sid)
    if (known && this.deps.feed.fresh) return known
    let session: CachedSession | null
    try {
      session = await this.cached(sid)
    } catch (error) {
      if (!isLoginError(error) || error.code !== 'LOGIN_ERR_UNAVAILABLE') throw error
      this.degraded(true)
      return known ?? { userId: claims.sub, created: claims.iat }
    }
    this.degraded(false)
    if (session) this.known.set(sid, { ...session, until: claims.exp })
    return session
  }

  /** Logs once when leases start being trusted without the database, and once when that ends. */
  private degraded(now: boolean): void {
    if (now && this.degradedSince === null) {
      this.degradedSince = this.deps.clock.now()
      this.deps.log.warn(
        {},
        'the database cannot be reached: signing in verified, unrevoked leases from what this node knows',
      )
    } else if (!now && this.degradedSince !== null) {
      this.deps.log.info({ downSeconds: this.deps.clock.now() - this.degradedSince }, 'the database answers again')
      this.degradedSince = null
    }
  }

  private async cached(sid: string): Promise<CachedSession | null> {
    const key = this.key(sid)
    const hit = await this.deps.cache.get(key)
    if (hit === REVOKED) return null
    if (hit !== undefined) return JSON.parse(hit) as CachedSession
    const row = await this.deps.sessions.get(sid)
    if (!row || row.revoked !== null) {
      await this.deps.cache.add(key, REVOKED, this.deps.config.leaseSeconds + ACTIVE_TTL)
      return null
    }
    const session: CachedSession = { userId: row.userId, created: row.created, passkey: row.provider === PASSKEY }
    await this.deps.cache.add(key, JSON.stringify(session), ACTIVE_TTL)
    return session
  }
  private withinMaxAge(created: number): boolean {
    return this.deps.config.maxAgeSeconds === null || created + this.deps.config.maxAgeSeconds > this.deps.clock.now()
  }

  /** When a session started at `created` ends for good (its absolute timeout), if it does. */
  private deadline(created: number): number | undefined {
    return this.deps.config.maxAgeSeconds === null ? undefined : created + this.deps.config.maxAgeSeconds
  }

  /**
   * Whether a session may still sign anyone in: within its absolute timeout,
   * and either not idle or holding a lease that is still valid (apps accept
   * that without asking; `refresh` ends the session when it is next used).
   */
  private alive(session: SessionRecord, now: number): boolean {
    const { idleSeconds, leaseSeconds } = this.deps.config
    const idle = idleSeconds !== null && session.refreshed + Math.max(idleSeconds, leaseSeconds) <= now
    return !idle && this.withinMaxAge(session.created)
  }

  private key(sid: string): string {
    return `session:${sid}`
  }
}
