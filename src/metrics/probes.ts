import { randomUUID } from 'node:crypto'
import type { Cache } from '../cache/cache.js'
import type { RevocationFeed } from '../revocation-feed.js'
import type { RevocationStore } from '../storage/revocations.js'

/**
 * Whether the cache works right now: a value written under a fresh key
 * reads back. The cache never throws (it answers misses when unreachable),
 * so a round trip is the only way to tell.
 */
export async function cacheAnswers(cache: Cache): Promise<boolean> {
  const key = `probe:${randomUUID()}`
  const value = randomUUID()
  await cache.set(key, value, 10)
  const answered = (await cache.get(key)) === value
  await cache.delete(key)
  return answered
}

/**
 * How far this process's revocation feed is behind the log: the age in
 * seconds of the oldest entry it has not announced yet, 0 when caught up.
 * Reads the database, so it throws when that is unusable.
 */
export async function feedLagSeconds(revocations: RevocationStore, feed: RevocationFeed, now: number): Promise<number> {
  const pending = (await revocations.since(feed.position, 1))[0]
  return pending === undefined ? 0 : Math.max(0, now - pending.created)
}
