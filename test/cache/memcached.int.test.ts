import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createServer, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import memjs from 'memjs'
import { createCache, MemcachedCache, type Cache, type CacheLogger } from '../../src/cache/index.js'
import { cacheBehaviour } from '../helpers/cache-behaviour.js'
import { startMemcached } from '../helpers/memcached.js'

/** A logger that keeps what it was told, to assert "logged once". */
function recordingLog() {
  const lines: { level: 'warn' | 'info'; msg: string; obj: object }[] = []
  const record = (level: 'warn' | 'info') => (objOrMsg: object | string, msg?: string) => {
    lines.push(
      typeof objOrMsg === 'string' ? { level, msg: objOrMsg, obj: {} } : { level, msg: msg ?? '', obj: objOrMsg },
    )
  }
  const log: CacheLogger = { warn: record('warn'), info: record('info') }
  const count = (level: 'warn' | 'info', pattern: RegExp) =>
    lines.filter(l => l.level === level && pattern.test(l.msg)).length
  return { log, lines, count }
}

/** Times each of `n` sequential calls; any rejection fails the test. */
async function timeCalls(n: number, call: (i: number) => Promise<unknown>) {
  let slowest = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const before = performance.now()
    await call(i)
    const took = performance.now() - before
    slowest = Math.max(slowest, took)
    total += took
  }
  return { slowest, total }
}

/** Alternating get and set, as request handlers would do. */
const getOrSet = (cache: Cache) => (i: number) => (i % 2 === 0 ? cache.get(`k${i}`) : cache.set(`k${i}`, 'v', 60))

const ms = (n: number) => `${n.toFixed(1)} ms`

const memcached = await startMemcached()

if (memcached === null) {
  t.skip('MemcachedCache against a real memcached: /usr/bin/memcached is not installed', () => {})
} else {
  t.teardown(() => memcached.kill())
  const silent = { warn() {}, info() {} }

  // Each case gets its own prefix, which is as good as an empty server. A generous deadline: on a busy machine
  // an answer can take longer than the default 150 ms, and the cache would then rightly skip memcached for a
  // while (every read a miss), which is the outage tested below, not the behaviour tested here.
  cacheBehaviour('MemcachedCache', async () => ({
    cache: new MemcachedCache(memcached.servers, silent, { prefix: `test:${randomUUID()}:`, timeoutMs: 30_000 }),
    // memcached expires entries by its own clock, which ticks once a second: wait until it has moved on.
    elapse: async seconds => {
      const until = (await memcached.clock()) + seconds
      while ((await memcached.clock()) < until) await sleep(50)
    },
  }))

  t.test('keys are stored under the prefix, login: by default', async t => {
    const cache = new MemcachedCache(memcached.servers, silent)
    const raw = memjs.Client.create(memcached.servers.join(','), { logger: { log() {} } })
    t.teardown(async () => {
      await cache.close()
      raw.close()
    })
    const key = `prefix-${randomUUID()}`
    await cache.set(key, 'v', 60)
    t.equal((await raw.get(`login:${key}`)).value?.toString(), 'v')
  })

  t.test('a value the server refuses is a miss, not an outage', async t => {
    const { log, count } = recordingLog()
    // A generous deadline: on a busy machine a 2 MB write can take longer than the default 150 ms,
    // which would be an outage, not the refusal this test is about.
    const cache = new MemcachedCache(memcached.servers, log, { prefix: `test:${randomUUID()}:`, timeoutMs: 30_000 })
    t.teardown(() => cache.close())
    // memcached's default item limit is 1 MB.
    await cache.set('huge', 'x'.repeat(2 * 1024 * 1024), 60)
    t.equal(await cache.get('huge'), undefined)
    t.equal(count('warn', /refused/), 1, 'the refusal is logged')
    t.equal(count('warn', /unreachable/), 0, 'but the server is not taken for down')
    await cache.set('small', 'v', 60)
    t.equal(await cache.get('small'), 'v', 'and the next request goes through at once')
  })

  t.test('one dead server among several only takes its own keys out', async t => {
    const { log, lines, count } = recordingLog()
    const dead = await startMemcached()
    if (dead === null) throw new Error('memcached vanished')
    await dead.kill()
    const cache = new MemcachedCache([...memcached.servers, ...dead.servers], log, { prefix: `test:${randomUUID()}:` })
    t.teardown(() => cache.close())
    const keys = Array.from({ length: 40 }, (_, i) => `key${i}`)
    for (const key of keys) await cache.set(key, 'v', 60)
    const hits = (await Promise.all(keys.map(k => cache.get(k)))).filter(v => v === 'v').length
    t.ok(hits > 0 && hits < keys.length, `keys on the live server still hit (${hits} of ${keys.length})`)
    t.equal(count('warn', /unreachable/), 1, 'the dead server is logged once')
    t.match(lines.find(l => /unreachable/.test(l.msg))?.obj, { server: dead.servers[0] })
  })

  t.test('a killed memcached is skipped during its back-off, and used again once back', async t => {
    const own = await startMemcached()
    if (own === null) throw new Error('memcached vanished')
    t.teardown(() => own.kill())
    const { log, count } = recordingLog()
    // The back-off runs on this clock, so that no retry happens unless the test moves it.
    let now = 0
    const cache = new MemcachedCache(own.servers, log, { backoffMs: 100, maxBackoffMs: 200, now: () => now })
    t.teardown(() => cache.close())

    await cache.set('before', 'v', 60)
    t.equal(await cache.get('before'), 'v', 'works while up')

    await own.kill()
    for (let i = 0; i < 200; i++) await getOrSet(cache)(i)
    t.equal(await cache.get('before'), undefined, 'a dead server answers misses')
    t.equal(await cache.add('k', 'v', 60), false)
    // Retries find it still dead: each doubles the back-off.
    for (const step of [100, 200, 200]) {
      now += step
      await cache.get('probe')
    }
    t.equal(count('warn', /unreachable/), 1, 'the outage is logged once')

    await own.restart()
    await cache.set('skipped', 'v', 60)
    t.equal(await cache.get('skipped'), undefined, 'within the back-off it is not asked, though back')
    // Each turn moves past the back-off, so the next request probes. On a busy machine the first probe of the
    // restarted server may miss its 150 ms deadline; it then simply backs off again, and a later one gets through.
    let probes = 0
    for (const started = performance.now(); performance.now() - started < 30_000; probes++) {
      now += 200
      await cache.set('after', 'v', 60)
      if ((await cache.get('after')) === 'v') break
    }
    t.equal(await cache.get('after'), 'v', `used again after the back-off (${probes + 1} probe(s))`)
    t.equal(count('info', /reachable again/), 1, 'the recovery is logged once')
    t.equal(count('warn', /unreachable/), 1, 'and the outage was not logged again')
  })

  t.test('a memcached that accepts but never answers costs one deadline, not one per request', async t => {
    // What the cache asks of it: every connection, and every request beyond the first on one
    // (binary protocol: a 24-byte header whose bytes 8-11 give the body length).
    const sockets = new Set<Socket>()
    let asked = 0
    const silentServer = createServer(s => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      asked++
      let requests = 0
      let pending = Buffer.alloc(0)
      s.on('data', chunk => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
          pending = pending.subarray(24 + pending.readUInt32BE(8))
          if (++requests > 1) asked++
        }
      })
    })
    await new Promise<void>(resolve => silentServer.listen(0, '127.0.0.1', resolve))
    const address = silentServer.address()
    if (address === null || typeof address === 'string') throw new Error('no address')
    t.teardown(
      () =>
        new Promise<void>(resolve => {
          for (const s of sockets) s.destroy()
          silentServer.close(() => resolve())
        }),
    )
    // What reaches the server arrives after the caller gave up: wait for it, generously.
    const askedReaches = async (n: number) => {
      const deadline = Date.now() + 60_000
      while (asked < n && Date.now() < deadline) await sleep(10)
      return asked
    }
    const { log, count } = recordingLog()
    // Default deadline and back-off, on a clock of the test's own.
    let now = 0
    const cache = new MemcachedCache([`127.0.0.1:${address.port}`], log, { now: () => now })
    t.teardown(() => cache.close())

    const hung = await timeCalls(200, getOrSet(cache))
    t.comment(`silent server: 200 calls in ${ms(hung.total)}, slowest ${ms(hung.slowest)}`)
    t.ok(hung.slowest >= 140, `the first call waited for the 150 ms deadline (${ms(hung.slowest)})`)
    t.equal(await askedReaches(1), 1, 'it was asked once for 200 calls: the others did not wait on it')
    t.equal(count('warn', /unreachable/), 1, 'logged once')
    now += 1000
    await cache.get('probe')
    t.equal(await askedReaches(2), 2, 'after the back-off one request probes it again')
  })

  t.test('a closed cache answers nothing and does not reconnect', async t => {
    const cache = createCache(memcached.servers, silent)
    t.ok(cache instanceof MemcachedCache, 'createCache picks memcached when servers are configured')
    await cache.set('k', 'v', 60)
    await cache.close()
    t.equal(await cache.get('k'), undefined)
    await cache.set('k', 'v', 60)
    t.equal(await cache.add('k2', 'v', 60), false)
  })
}
