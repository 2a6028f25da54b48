import t, { type Test } from 'tap'
import type { Cache } from '../../src/cache/index.js'

/** A fresh, empty cache and a way to let time pass for its TTLs. */
export interface CacheSubject {
  readonly cache: Cache
  /** Lets at least `seconds` pass as far as the cache's TTLs are concerned. */
  elapse(seconds: number): Promise<void>
}

/** The `t` a subtest receives. */
type Case = (cache: Cache, elapse: (seconds: number) => Promise<void>, tt: Test) => Promise<void>

/** What every `Cache` must do, whatever is behind it. */
const cases: Record<string, Case> = {
  'get answers undefined for a key never set': async (cache, _, tt) => {
    tt.equal(await cache.get('nothing'), undefined)
  },

  'set stores, and a second set overwrites': async (cache, _, tt) => {
    await cache.set('k', 'one', 60)
    tt.equal(await cache.get('k'), 'one')
    await cache.set('k', 'two', 60)
    tt.equal(await cache.get('k'), 'two')
  },

  'add stores only when the key holds nothing': async (cache, _, tt) => {
    tt.equal(await cache.add('k', 'first', 60), true)
    tt.equal(await cache.get('k'), 'first')
    tt.equal(await cache.add('k', 'second', 60), false, 'a second add is refused')
    tt.equal(await cache.get('k'), 'first', 'and does not overwrite')
    await cache.set('tombstone', 'revoked', 60)
    tt.equal(await cache.add('tombstone', 'stale read', 60), false, 'a value written by set is not overwritten either')
    tt.equal(await cache.get('tombstone'), 'revoked')
    await cache.delete('k')
    tt.equal(await cache.add('k', 'third', 60), true, 'add works again once the key is deleted')
    tt.equal(await cache.get('k'), 'third')
  },

  'delete removes, and deleting an absent key is harmless': async (cache, _, tt) => {
    await cache.set('k', 'v', 60)
    await cache.set('other', 'w', 60)
    await cache.delete('k')
    tt.equal(await cache.get('k'), undefined)
    tt.equal(await cache.get('other'), 'w', 'other keys stay')
    await cache.delete('never-set')
    tt.equal(await cache.get('never-set'), undefined)
  },

  'entries expire after their TTL, and add may then fill the key': async (cache, elapse, tt) => {
    // memcached's clock ticks once a second, so TTLs here stay at least 2 s.
    await cache.set('short', 'v', 2)
    tt.equal(await cache.add('short-add', 'v', 2), true)
    await cache.set('long', 'v', 60)
    tt.equal(await cache.get('short'), 'v', 'present before its TTL')
    tt.equal(await cache.get('short-add'), 'v')
    await elapse(3)
    tt.equal(await cache.get('short'), undefined, 'gone after its TTL')
    tt.equal(await cache.get('short-add'), undefined, 'also when stored by add')
    tt.equal(await cache.get('long'), 'v', 'a longer TTL is still there')
    tt.equal(await cache.add('short', 'again', 60), true, 'an expired entry does not block add')
    tt.equal(await cache.get('short'), 'again')
  },

  'a TTL of zero or less stores nothing': async (cache, _, tt) => {
    for (const ttl of [0, -1, Number.NaN]) {
      await cache.set('k', 'old', 60)
      await cache.set('k', 'new', ttl)
      tt.equal(await cache.get('k'), undefined, `set with TTL ${ttl} leaves the key empty, not the old value`)
      tt.equal(await cache.add('k', 'new', ttl), false, `add with TTL ${ttl} answers false`)
      tt.equal(await cache.get('k'), undefined)
    }
  },

  'keys and values round-trip unchanged, long keys included': async (cache, _, tt) => {
    await cache.set('empty', '', 60)
    tt.equal(await cache.get('empty'), '', 'an empty string is a value, not a miss')
    const text = 'grüße, 世界 🌍 "quotes" \n newline \u0000 nul'
    await cache.set('text', text, 60)
    tt.equal(await cache.get('text'), text)
    await cache.set('a key with spaces/ünïcode', 'spaced', 60)
    tt.equal(await cache.get('a key with spaces/ünïcode'), 'spaced')
    // Beyond memcached's 250-byte key limit, and equal for their first 250.
    const long1 = 'x'.repeat(300) + '1'
    const long2 = 'x'.repeat(300) + '2'
    await cache.set(long1, 'one', 60)
    await cache.set(long2, 'two', 60)
    tt.equal(await cache.get(long1), 'one')
    tt.equal(await cache.get(long2), 'two', 'long keys sharing a prefix do not collide')
    tt.equal(await cache.add(long1, 'other', 60), false)
    await cache.delete(long1)
    tt.equal(await cache.get(long1), undefined)
    tt.equal(await cache.get(long2), 'two')
    const big = 'v'.repeat(100_000)
    await cache.set('big', big, 60)
    tt.equal(await cache.get('big'), big, 'a 100 kB value')
  },
}

/**
 * Registers the shared `Cache` behaviour as subtests, each on a fresh cache
 * from `make`, so that every implementation is held to the same table.
 */
export function cacheBehaviour(name: string, make: () => Promise<CacheSubject>): void {
  t.test(`${name} behaves as a Cache`, async tt => {
    for (const [title, run] of Object.entries(cases)) {
      await tt.test(title, async ttt => {
        const { cache, elapse } = await make()
        ttt.teardown(() => cache.close())
        await run(cache, elapse, ttt)
      })
    }
  })
}
