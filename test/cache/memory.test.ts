import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache, MemoryCache } from '../../src/cache/index.js'
import { cacheBehaviour } from '../helpers/cache-behaviour.js'

/** A clock that moves only when told, so TTL tests do not sleep. */
function manualClock(start = 1_700_000_000_000) {
  let ms = start
  return {
    now: () => ms,
    advance: (by: number) => {
      ms += by
    },
  }
}

const silent = { warn() {}, info() {} }

cacheBehaviour('MemoryCache', async () => {
  const clock = manualClock()
  return { cache: new MemoryCache({ now: clock.now }), elapse: async seconds => clock.advance(seconds * 1000) }
})

t.test('a TTL ends exactly on time', async t => {
  const clock = manualClock()
  const cache = new MemoryCache({ now: clock.now })
  t.teardown(() => cache.close())
  await cache.set('k', 'v', 10)
  clock.advance(9_999)
  t.equal(await cache.get('k'), 'v', 'present 1 ms before')
  clock.advance(1)
  t.equal(await cache.get('k'), undefined, 'gone at the TTL')
  t.equal(cache.size, 0, 'and dropped when read')
})

t.test('when full, the oldest-inserted entry goes first', async t => {
  const cache = new MemoryCache({ maxEntries: 3 })
  t.teardown(() => cache.close())
  for (const k of ['a', 'b', 'c', 'd']) await cache.set(k, k, 60)
  t.equal(cache.size, 3)
  t.equal(await cache.get('a'), undefined, 'a, the oldest, was evicted')
  t.equal(await cache.get('b'), 'b')
  await cache.set('b', 'b2', 60)
  await cache.set('e', 'e', 60)
  t.equal(await cache.get('c'), undefined, 'rewriting b made c the oldest')
  t.equal(await cache.get('b'), 'b2')
  t.equal(await cache.add('f', 'f', 60), true, 'add evicts too')
  t.equal(await cache.get('d'), undefined)
  t.same([await cache.get('b'), await cache.get('e'), await cache.get('f')], ['b2', 'e', 'f'])
  t.equal(cache.size, 3)
})

t.test('the sweep drops expired entries nobody reads', async t => {
  const clock = manualClock()
  const cache = new MemoryCache({ now: clock.now, sweepIntervalMs: 10 })
  t.teardown(() => cache.close())
  for (let i = 0; i < 5; i++) await cache.set(`short${i}`, 'v', 1)
  await cache.set('long', 'v', 100)
  clock.advance(2_000)
  await sleep(50)
  t.equal(cache.size, 1, 'only the unexpired entry is left')
  t.equal(await cache.get('long'), 'v')
})

t.test('close empties the cache and stops the sweep', async t => {
  const cache = new MemoryCache({ sweepIntervalMs: 10 })
  await cache.set('k', 'v', 60)
  await cache.close()
  t.equal(cache.size, 0)
  t.equal(await cache.get('k'), undefined)
})

t.test('nonsense sizes are refused at construction', async t => {
  t.throws(() => new MemoryCache({ maxEntries: 0 }), RangeError)
  t.throws(() => new MemoryCache({ maxEntries: 1.5 }), RangeError)
  t.throws(() => new MemoryCache({ sweepIntervalMs: 0 }), RangeError)
})

t.test('createCache picks the in-process cache when no memcached is configured', async t => {
  const cache = createCache([], silent)
  t.teardown(() => cache.close())
  t.ok(cache instanceof MemoryCache)
})
