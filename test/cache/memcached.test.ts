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

/** Times each of `n` sequential calls, `pauseMs` apart; any rejection fails the test. */
async function timeCalls(n: number, call: (i: number) => Promise<unknown>, pauseMs = 0) {
  let slowest = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    if (pauseMs > 0) await sleep(pauseMs)
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

  // Each case gets its own prefix, which is as good as an empty server.
  cacheBehaviour('MemcachedCache', async () => ({
    cache: new MemcachedCache(memcached.servers, silent, { prefix: `test:${randomUUID()}:` }),
    // memcached's clock ticks once a second, so an entry may live up to 1 s past its TTL.
    elapse: seconds => sleep(seconds * 1000 + 1200),
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
    const cache = new MemcachedCache(memcached.servers, log, { prefix: `test:${randomUUID()}:` })
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
    const { slowest } = await timeCalls(keys.length, i => cache.set(keys[i]!, 'v', 60))
    const hits = (await Promise.all(keys.map(k => cache.get(k)))).filter(v => v === 'v').length
    t.ok(hits > 0 && hits < keys.length, `keys on the live server still hit (${hits} of ${keys.length})`)
    t.ok(slowest < 300, `slowest call ${ms(slowest)}`)
    t.equal(count('warn', /unreachable/), 1, 'the dead server is logged once')
    t.match(lines.find(l => /unreachable/.test(l.msg))?.obj, { server: dead.servers[0] })
  })

  t.test('a killed memcached costs nothing per request, and is used again once back', async t => {
    const own = await startMemcached()
    if (own === null) throw new Error('memcached vanished')
    t.teardown(() => own.kill())
    const { log, count } = recordingLog()
    const cache = new MemcachedCache(own.servers, log, { backoffMs: 100, maxBackoffMs: 200 })
    t.teardown(() => cache.close())

    await cache.set('before', 'v', 60)
    t.equal(await cache.get('before'), 'v', 'works while up')

    await own.kill()
    const down = await timeCalls(200, getOrSet(cache))
    t.comment(`after kill: 200 calls in ${ms(down.total)}, slowest ${ms(down.slowest)}`)
    t.ok(down.slowest < 300, `slowest call ${ms(down.slowest)} < 300 ms`)
    t.ok(down.total < 500, `200 calls in ${ms(down.total)} < 500 ms`)
    t.equal(await cache.get('before'), undefined, 'a dead server answers misses')
    t.equal(await cache.add('k', 'v', 60), false)
    // Spread over several back-off periods, so that retries find it still dead.
    const retried = await timeCalls(30, getOrSet(cache), 20)
    t.comment(`still down, 30 calls 20 ms apart: slowest ${ms(retried.slowest)}`)
    t.ok(retried.slowest < 300, `slowest call while retrying ${ms(retried.slowest)} < 300 ms`)
    t.equal(count('warn', /unreachable/), 1, 'the outage is logged once')

    await own.restart()
    await sleep(250) // past the longest back-off
    await cache.set('after', 'v', 60)
    t.equal(await cache.get('after'), 'v', 'used again after the back-off')
    t.equal(count('info', /reachable again/), 1, 'the recovery is logged once')
    t.equal(count('warn', /unreachable/), 1, 'and the outage was not logged again')
    const up = await timeCalls(50, getOrSet(cache))
    t.comment(`after restart: 50 calls in ${ms(up.total)}, slowest ${ms(up.slowest)}`)
  })

  t.test('a memcached that accepts but never answers costs one deadline, not one per request', async t => {
    const sockets = new Set<Socket>()
    const silentServer = createServer(s => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
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
    const { log, count } = recordingLog()
    // Default deadline and back-off: without the back-off 200 calls would take 30 s.
    const cache = new MemcachedCache([`127.0.0.1:${address.port}`], log)
    t.teardown(() => cache.close())

    const hung = await timeCalls(200, getOrSet(cache))
    t.comment(`silent server: 200 calls in ${ms(hung.total)}, slowest ${ms(hung.slowest)}`)
    t.ok(hung.slowest >= 140, `the first call waited for the 150 ms deadline (${ms(hung.slowest)})`)
    t.ok(hung.slowest < 300, `slowest call ${ms(hung.slowest)} < 300 ms`)
    t.ok(hung.total < 500, `200 calls in ${ms(hung.total)} < 500 ms`)
    t.equal(count('warn', /unreachable/), 1, 'logged once')
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
