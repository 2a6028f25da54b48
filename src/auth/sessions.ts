import { randomBytes } from 'node:crypto'
import type { Cache } from '../cache/cache.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { Metrics } from '../metrics/metrics.js'
import type { RevocationFeed } from '../revocation-feed.js'
import { immediate, type Db } from '../storage/db.js'
import type { RevocationStore } from '../storage/revocations.js'
import type { SessionRecord, SessionStore } from '../storage/sessions.js'
import type { User, UserStore } from '../storage/users.js'
import type { LeaseClaims, LeaseService } from './leases.js'

/** A request's signed-in state once its lease has been checked. */
export interface SignedIn {
  user: User
  sid: string
  claims: LeaseClaims
  /** Set when the lease had expired and was re-issued: the caller must send it back as the cookie. */
  renewed?: string
}

/** Why a session ended, as counted in `login_sessions_revoked_total{reason}` (`other`: the caller did not say). */
export type SessionEndReason = 'logout' | 'session_list' | 'replaced' | 'idle' | 'max_age' | 'account_deleted' | 'other'

export type Resolution = { status: 'signed-in'; signedIn: SignedIn } | { status: 'signed-out'; clearCookie: boolean }

/** What the cache keeps of a session: enough to decide validity without SQLite. */
interface CachedSession {
  userId: string
  created: number
}

const REVOKED = '-'
// Active entries live briefly: even if a tombstone write is lost to a cache
// outage, a stale entry cannot outlive this, and the revocation feed covers
// the gap in every process.
const ACTIVE_TTL = 30

export interface SessionStart {
  user: User
  provider: string
  ip: string
  userAgent: string
}

/**
 * Sessions and their leases. SQLite is the truth; the cache answers the
 * per-request "is this session still active?" and a local deny-list fed by
 * the revocation log makes sure a revoked session is never served from a
 * stale cache entry.
 */
export class SessionService {
  /** sid → the time after which no lease of it can still be valid. */
  private readonly denied = new Map<string, number>()

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly cache: Cache,
    private readonly store: SessionStore,
    private readonly users: UserStore,
    private readonly revocations: RevocationStore,
    private readonly feed: RevocationFeed,
    private readonly leases: LeaseService,
    private readonly metrics: Metrics,
  ) {
    feed.on('revocation', entry => {
      if (entry.kind === 'session') this.deny(entry.subject)
    })
  }

  /** Creates a session for a user who just signed in and answers its lease. */
  async start(start: SessionStart): Promise<{ sid: string; token: string }> {
    const now = this.clock.now()
    const sid = randomBytes(16).toString('base64url')
    this.store.create({
      sid,
      userId: start.user.id,
      provider: start.provider,
      ip: start.ip,
      userAgent: start.userAgent.slice(0, 512),
      created: now,
      refreshed: now,
    })
    const { token } = await this.leases.issue(start.user, sid, this.deadline(now))
    return { sid, token }
  }

  /**
   * Decides who a lease token belongs to. A valid lease of an active session
   * signs in; an expired lease of a session that is still allowed to live is
   * re-issued (`renewed`); anything else signs out (and the cookie should go).
   */
  async resolve(token: string | undefined): Promise<Resolution> {
    if (!token) return { status: 'signed-out', clearCookie: false }
    const lease = await this.leases.check(token)
    if (lease.status === 'invalid') return { status: 'signed-out', clearCookie: true }
    const { claims } = lease
    if (this.denied.has(claims.sid)) return { status: 'signed-out', clearCookie: true }
    if (lease.status === 'valid') {
      const session = await this.cached(claims.sid)
      if (!session) return { status: 'signed-out', clearCookie: true }
      if (!this.withinMaxAge(session.created)) {
        // Only a lease signed before max-age was lowered gets here; revoking tells the apps too.
        await this.revoke(claims.sid, 'max_age')
        return { status: 'signed-out', clearCookie: true }
      }
      return {
        status: 'signed-in',
        signedIn: { user: { id: claims.sub, name: claims.name, picture: claims.picture }, sid: claims.sid, claims },
      }
    }
    const renewed = await this.refresh(claims.sid)
    if (!renewed) return { status: 'signed-out', clearCookie: true }
    return {
      status: 'signed-in',
      signedIn: { user: renewed.user, sid: claims.sid, claims: renewed.claims, renewed: renewed.token },
    }
  }

  /**
   * Issues a new lease for a session that is still active, within its idle
   * and absolute timeouts; ends the session otherwise. Reads SQLite, not the
   * cache: refreshes are rare and must see the truth.
   */
  async refresh(sid: string): Promise<{ token: string; claims: LeaseClaims; user: User } | null> {
    const now = this.clock.now()
    const session = this.store.get(sid)
    if (!session || session.revoked !== null || this.denied.has(sid)) return null
    const idle = this.config.idleSeconds !== null && session.refreshed + this.config.idleSeconds <= now
    if (idle || !this.withinMaxAge(session.created)) {
      await this.revoke(sid, idle ? 'idle' : 'max_age')
      return null
    }
    const user = this.users.get(session.userId)
    if (!user || !this.store.refreshed(sid, now)) return null
    const { token, claims } = await this.leases.issue(user, sid, this.deadline(session.created))
    return { token, claims, user }
  }

  /** The user's active sessions, newest first; those past a timeout that nobody has used since are left out. */
  list(userId: string): SessionRecord[] {
    const now = this.clock.now()
    return this.store.activeForUser(userId).filter(session => this.alive(session, now))
  }

  /** The session with this sid, if it belongs to `userId`. */
  owned(userId: string, sid: string): SessionRecord | undefined {
    const session = this.store.get(sid)
    return session && session.userId === userId ? session : undefined
  }

  /** Revokes one session everywhere; false when it was not active. */
  async revoke(sid: string, reason: SessionEndReason = 'other'): Promise<boolean> {
    const now = this.clock.now()
    const revoked = immediate(this.db, () => {
      const session = this.store.get(sid)
      if (!session || !this.store.revoke(sid, now)) return false
      this.revocations.append('session', sid, session.userId, now)
      return true
    })
    if (revoked) await this.announce([sid], reason)
    return revoked
  }

  /** Revokes every active session of a user (sign-out everywhere, account deletion). */
  async revokeAll(userId: string, reason: SessionEndReason = 'other'): Promise<string[]> {
    const now = this.clock.now()
    const sids = immediate(this.db, () => {
      const revoked = this.store.revokeAllOf(userId, now)
      for (const sid of revoked) this.revocations.append('session', sid, userId, now)
      return revoked
    })
    await this.announce(sids, reason)
    return sids
  }

  private async announce(sids: string[], reason: SessionEndReason): Promise<void> {
    if (sids.length > 0) this.metrics.sessionsRevoked.inc({ reason }, sids.length)
    for (const sid of sids) this.deny(sid)
    // Tombstones, not deletes: a reader that fetched the row before the
    // revocation uses `add` and so cannot put the active entry back.
    await Promise.all(sids.map(sid => this.cache.set(this.key(sid), REVOKED, this.config.leaseSeconds + ACTIVE_TTL)))
    this.feed.poll()
  }

  private deny(sid: string): void {
    const now = this.clock.now()
    this.denied.set(sid, now + this.config.leaseSeconds)
    if (this.denied.size % 1024 === 0) {
      for (const [s, until] of this.denied) if (until <= now) this.denied.delete(s)
    }
  }

  private async cached(sid: string): Promise<CachedSession | null> {
    const key = this.key(sid)
    const hit = await this.cache.get(key)
    if (hit === REVOKED) return null
    if (hit !== undefined) return JSON.parse(hit) as CachedSession
    const row = this.store.get(sid)
    if (!row || row.revoked !== null) {
      await this.cache.add(key, REVOKED, this.config.leaseSeconds + ACTIVE_TTL)
      return null
    }
    const session: CachedSession = { userId: row.userId, created: row.created }
    await this.cache.add(key, JSON.stringify(session), ACTIVE_TTL)
    return session
  }

  private withinMaxAge(created: number): boolean {
    return this.config.maxAgeSeconds === null || created + this.config.maxAgeSeconds > this.clock.now()
  }

  /** When a session started at `created` ends for good (its absolute timeout), if it does. */
  private deadline(created: number): number | undefined {
    return this.config.maxAgeSeconds === null ? undefined : created + this.config.maxAgeSeconds
  }

  /**
   * Whether a session may still sign anyone in: within its absolute timeout,
   * and either not idle or holding a lease that is still valid (apps accept
   * that without asking; `refresh` ends the session when it is next used).
   */
  private alive(session: SessionRecord, now: number): boolean {
    const { idleSeconds, leaseSeconds } = this.config
    const idle = idleSeconds !== null && session.refreshed + Math.max(idleSeconds, leaseSeconds) <= now
    return !idle && this.withinMaxAge(session.created)
  }

  private key(sid: string): string {
    return `session:${sid}`
  }
}
