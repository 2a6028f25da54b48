import { immediate } from '../storage/db.js'
import { logMembershipChange } from './changes.js'
import type { GroupEnv } from './env.js'

/**
 * Announces memberships as they expire, like any other change, so that an
 * app holding a cached "member" for the user drops it at once instead of
 * at the end of its cache time. Every server process sweeps; the last
 * announced time is kept in the database, so each expiry is announced once.
 */
export class MembershipExpiry {
  constructor(private readonly env: GroupEnv) {}

  /** Logs the memberships that expired since the last sweep (by any process); answers how many. */
  sweep(): number {
    const now = this.env.clock.now()
    // A read first: most sweeps find nothing and need no write lock.
    if (this.env.memberships.expiredBetween(this.env.memberships.sweptUntil(), now).length === 0) return 0
    const announced = immediate(this.env.db, () => {
      const expired = this.env.memberships.expiredBetween(this.env.memberships.sweptUntil(), now)
      for (const membership of expired) logMembershipChange(this.env, membership, now)
      this.env.memberships.setSweptUntil(now)
      return expired.length
    })
    if (announced > 0) this.env.announce()
    return announced
  }
}
