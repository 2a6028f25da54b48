import { unixSeconds, type Clock } from './clock.js'
import type { CookieSpec } from './cookies.js'
import type { Lease } from './lease-verifier.js'
import { CLOCK_SKEW_SECONDS, type CookieSettings, type ReplyTo } from './protocol.js'

/** A lease the server re-issued for a session, and the cookie that carries it. */
export interface Renewal {
  lease: Lease
  cookie: CookieSpec
}

/**
 * The sessions this app must refuse, and the leases renewed for expired
 * ones (docs/client-library.md, "What the library does per request"). A revoked session
 * stays denied until its leases would have expired; an expired lease is
 * refreshed over the channel once per session, however many requests
 * carrying it arrive at once.
 */
export class SessionDenyList {
  /** sid → Unix second until which its leases are refused. */
  private readonly denied = new Map<string, number>()
  /** sid → the lease the server re-issued for it. */
  private readonly renewed = new Map<string, Renewal>()
  private readonly refreshing = new Map<string, Promise<Renewal | 'revoked'>>()
  /** Lifetime of the server's leases, as its `welcome` said. */
  leaseSeconds = 3600

  constructor(
    private readonly clock: Clock,
    /** Asks the server for a new lease (`refresh`). */
    private readonly refresh: (token: string, ip: string | undefined) => Promise<ReplyTo<'refresh'>>,
    private readonly verify: (token: string) => Promise<Lease | 'invalid' | 'unavailable'>,
    /** How the server sets its cookie, as its `welcome` said. */
    public cookie: CookieSettings,
  ) {}

  isDenied(sid: string): boolean {
    const until = this.denied.get(sid)
    return until !== undefined && until > unixSeconds(this.clock)
  }

  /** Refuses the session's leases until `until` (Unix seconds; by default, until any lease issued now has expired). */
  deny(sid: string, until = unixSeconds(this.clock) + this.leaseSeconds + CLOCK_SKEW_SECONDS): void {
    this.denied.set(sid, Math.max(until, this.denied.get(sid) ?? 0))
    this.renewed.delete(sid)
  }

  /** A current lease for the session of an expired one, or `revoked`; throws when the server cannot answer. */
  renew(token: string, sid: string, ip: string | undefined): Promise<Renewal | 'revoked'> {
    const current = this.renewed.get(sid)
    if (current && current.lease.claims.exp > unixSeconds(this.clock)) return Promise.resolve(current)
    let pending = this.refreshing.get(sid)
    if (!pending) {
      pending = this.refresh(token, ip)
        .then(async reply => {
          if (reply.type === 'revoked') {
            this.deny(sid)
            return 'revoked' as const
          }
          const lease = await this.verify(reply.token)
          if (typeof lease === 'string') throw new Error('the login server issued a lease this app cannot verify')
          const renewal = { lease, cookie: { ...this.cookie, value: reply.token } }
          this.renewed.set(sid, renewal)
          return renewal
        })
        .finally(() => this.refreshing.delete(sid))
      this.refreshing.set(sid, pending)
    }
    return pending
  }

  /** Forgets the renewed leases (the keys changed: they are verified again). */
  forgetRenewals(): void {
    this.renewed.clear()
  }

  /** Drops denials and renewals that have run out. */
  sweep(): void {
    const now = unixSeconds(this.clock)
    for (const [sid, until] of this.denied) if (until <= now) this.denied.delete(sid)
    for (const [sid, renewal] of this.renewed) if (renewal.lease.claims.exp <= now) this.renewed.delete(sid)
  }
}
