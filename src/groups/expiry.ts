import { logMembershipChange } from './changes.js'
import type { GroupDeps } from './group-deps.js'

/**
 * Announces memberships as they expire, like any other change, so that an
 * app holding a cached "member" for the user drops it at once instead of
 * at the end of its cache time. Every server process sweeps; the last
 * announced time is kept in the database, so each expiry is announced once.
 */
export class MembershipExpiry {
  constructor(private readonly deps: GroupDeps) {}

  /** Logs the memberships that expired since the last sweep (by any process); answers how many. */
  async sweep(): Promise<number> {
    const now = this.deps.clock.now()
    const { memberships } = this.deps
    // A read first: most sweeps find nothing and need no write lock.
    if ((await memberships.expiredBetween(await memberships.sweptUntil(), now)).length === 0) return 0
    const announced = await this.deps.db.transaction(async () => {
      const expired = await memberships.expiredBetween(await memberships.sweptUntil(), now)
      for (const membership of expired) await logMembershipChange(this.deps, membership, now)
      await memberships.setSweptUntil(now)
      return expired.length
    })
    if (announced > 0) await this.deps.announce()
    return announced
  }
}
