import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import type { Config } from '../../src/config.js'
import { leaseClaims, leaseCookie, sidOf, signIn, startApp, testConfig } from '../helpers/app.js'
import { startMemcached } from '../helpers/memcached.js'
import { startPostgres } from '../helpers/postgres.js'

/** What one request with a lease cookie came back with. */
interface Outcome {
  status: number
  code: string | undefined
  /** `name=value` of a re-issued lease, if one was sent. */
  renewed: string | undefined
  /** The response told the browser to drop the cookie. */
  cleared: boolean
}

async function probe(app: FastifyInstance, config: Config, cookie: string, url = '/login/me'): Promise<Outcome> {
  const response = await app.inject({ url, headers: { cookie } })
  const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? [])
  const ours = setCookie.filter(c => c.startsWith(`${config.cookieName}=`))
  return {
    status: response.statusCode,
    code: response.statusCode >= 400 ? response.json().code : undefined,
    renewed: ours.some(c => !c.startsWith(`${config.cookieName}=;`)) ? leaseCookie(config, ours) : undefined,
    cleared: ours.some(c => c.startsWith(`${config.cookieName}=;`) && /Max-Age=0/i.test(c)),
  }
}

/** Polls until `done` holds; the limit is generous, since a busy machine delays timers by seconds. */
async function waitUntil(done: () => boolean): Promise<void> {
  const deadline = performance.now() + 60_000
  while (!done() && performance.now() < deadline) await sleep(10)
}

function assertSignedOut(tt: Test, outcome: Outcome, what: string) {
  tt.match(outcome, { status: 401, code: 'LOGIN_ERR_UNAUTHENTICATED', renewed: undefined, cleared: true }, what)
}

const memcached = await startMemcached()
if (memcached) t.teardown(() => memcached.kill())
/** Outside CI a missing memcached skips its cases with this reason (under CI, startMemcached throws). */
const skipMemcached = memcached ? false : 'memcached is not installed (/usr/bin/memcached)'
/** A PostgreSQL cluster of this file's, for a database that can go away; outside CI, its absence skips that case. */
const postgres = await startPostgres(t)

/** Both kinds of cache the sessions are looked up through; SQLite stays the truth behind either. */
const cacheKinds: { name: string; shared: boolean; overrides: () => Partial<Config> | null }[] = [
  { name: 'the in-process cache', shared: false, overrides: () => ({}) },
  { name: 'memcached', shared: true, overrides: () => memcached && { memcached: memcached.servers } },
]

t.test('lease lifecycle: re-issued while the session lives, ended by idle and absolute timeouts', async t => {
  type Expect = 'valid' | 'renewed' | 'ended'
  const cases: { name: string; config: Partial<Config>; steps: [advance: number, expect: Expect][] }[] = [
    {
      name: 'a fresh lease signs in as it is',
      config: {},
      steps: [
        [0, 'valid'],
        [3599, 'valid'],
      ],
    },
    {
      name: 'an expired lease of an active session is re-issued',
      config: { leaseSeconds: 60 },
      steps: [
        [60, 'renewed'],
        [59, 'valid'],
        [1000, 'renewed'],
        [1, 'valid'],
      ],
    },
    {
      name: 'idle timeout: a session unrefreshed that long ends',
      config: { leaseSeconds: 60, idleSeconds: 300 },
      steps: [[300, 'ended']],
    },
    {
      name: 'idle timeout: each refresh starts the count again',
      config: { leaseSeconds: 60, idleSeconds: 300 },
      steps: [
        [299, 'renewed'],
        [299, 'renewed'],
        [299, 'renewed'],
        [300, 'ended'],
      ],
    },
    {
      name: 'max age: ends a session in use',
      config: { leaseSeconds: 60, maxAgeSeconds: 150 },
      steps: [
        [61, 'renewed'],
        [61, 'renewed'],
        [27, 'valid'],
        [1, 'ended'],
      ],
    },
    {
      name: 'max age: the lease never outlives it',
      config: { leaseSeconds: 3600, maxAgeSeconds: 100 },
      steps: [
        [99, 'valid'],
        [1, 'ended'],
      ],
    },
    {
      name: 'max age and idle timeout together',
      config: { leaseSeconds: 60, idleSeconds: 120, maxAgeSeconds: 1000 },
      steps: [
        [100, 'renewed'],
        [119, 'renewed'],
        [120, 'ended'],
      ],
    },
  ]
  for (const { name, config: overrides, steps } of cases) {
    await t.test(name, async t => {
      const { app, config, clock, signIn } = await startApp(t, overrides)
      let cookie = await signIn('alice')
      const sid = sidOf(cookie)
      const created = clock.now()
      const userId = (await app.inject({ url: '/login/me', headers: { cookie } })).json().id
      let elapsed = 0
      for (const [advance, expect] of steps) {
        clock.advance(advance)
        elapsed += advance
        const at = `+${elapsed}s: ${expect}`
        const outcome = await probe(app, config, cookie)
        if (expect === 'ended') {
          assertSignedOut(t, outcome, at)
          assertSignedOut(t, await probe(app, config, cookie, '/login/check'), `${at}, and stays ended`)
          t.equal((await app.ctx.sessions.owned(userId, sid))?.revoked, clock.now(), 'the session row is revoked')
          t.same(await app.ctx.sessions.list(userId), [], 'and no longer listed')
          continue
        }
        t.match(outcome, { status: 200, cleared: false }, at)
        if (expect === 'valid') {
          t.equal(outcome.renewed, undefined, `${at}: no new cookie`)
          continue
        }
        t.ok(outcome.renewed, `${at}: a new lease is sent`)
        cookie = outcome.renewed!
        const claims = leaseClaims(cookie)
        t.equal(claims.sid, sid, 'for the same session')
        t.equal(claims.iat, clock.now())
        t.equal(
          claims.exp,
          Math.min(clock.now() + config.leaseSeconds, created + (config.maxAgeSeconds ?? Infinity)),
          'lasting one lease lifetime, cut at max age',
        )
        t.equal((await app.ctx.sessions.owned(userId, sid))?.refreshed, clock.now(), 'the refresh is recorded')
        t.equal((await probe(app, config, cookie)).renewed, undefined, 'the new lease is valid as it is')
      }
    })
  }
})

t.test('sessions past a timeout drop out of the listing even when nobody used them since', async t => {
  const cases: { name: string; config: Partial<Config>; advance: number }[] = [
    { name: 'max age', config: { maxAgeSeconds: 100 }, advance: 60 },
    { name: 'idle timeout', config: { leaseSeconds: 60, idleSeconds: 100 }, advance: 60 },
  ]
  for (const { name, config, advance } of cases) {
    const { app, clock, signIn } = await startApp(t, config)
    const old = await signIn('alice')
    clock.advance(advance)
    const fresh = await signIn('alice')
    const listed = () =>
      app
        .inject({ url: '/login/sessions', headers: { cookie: fresh } })
        .then(r => r.json().map((s: { sid: string }) => s.sid))
    t.same(await listed(), [sidOf(fresh), sidOf(old)], `${name}: both listed at first`)
    clock.advance(advance)
    t.same(await listed(), [sidOf(fresh)], `${name}: the ended one is gone`)
  }
})

for (const kind of cacheKinds) {
  const skip = kind.shared && skipMemcached
  t.test(`revocation with ${kind.name}: the next request is refused`, { skip }, async t => {
    const overrides = kind.overrides()!
    const ways: Record<string, (app: FastifyInstance, victim: string, other: string) => Promise<unknown>> = {
      'POST /login/logout (JSON)': (app, victim) =>
        app.inject({
          method: 'POST',
          url: '/login/logout',
          headers: { cookie: victim, 'content-type': 'application/json' },
          payload: '{}',
        }),
      'GET /login/logout': (app, victim) =>
        app.inject({ url: '/login/logout', headers: { cookie: victim, 'sec-fetch-site': 'same-origin' } }),
      'POST /login/deauthorize/:sid from another session': (app, victim, other) =>
        app.inject({ method: 'POST', url: `/login/deauthorize/${sidOf(victim)}`, headers: { cookie: other } }),
      'account deletion': (app, victim) =>
        app.inject({ method: 'POST', url: '/login/delete', headers: { cookie: victim } }),
      'revokeAll (sign out everywhere)': async (app, victim) => {
        const me = (await app.inject({ url: '/login/me', headers: { cookie: victim } })).json()
        return app.ctx.sessions.revokeAll(me.id)
      },
    }
    for (const [way, revoke] of Object.entries(ways)) {
      const { app, config, clock, signIn } = await startApp(t, overrides)
      const victim = await signIn('alice')
      const other = await signIn('alice')
      // Warm the cache: the session is known active there.
      t.equal((await probe(app, config, victim, '/login/check')).status, 200, `${way}: signed in before`)
      t.equal((await probe(app, config, victim)).status, 200)
      await revoke(app, victim, other)
      assertSignedOut(t, await probe(app, config, victim, '/login/check'), `${way}: /login/check refuses at once`)
      assertSignedOut(t, await probe(app, config, victim), `${way}: /login/me too`)
      clock.advance(config.leaseSeconds + 1)
      assertSignedOut(t, await probe(app, config, victim), `${way}: the expired lease is not re-issued`)
    }
  })

  t.test(`revocation with ${kind.name}: a stale cache entry is never served`, { skip }, async t => {
    const overrides = kind.overrides()!
    const config = testConfig(t, overrides)
    const clock = new ManualClock()
    // Two server processes on one database and (for memcached) one shared cache.
    const a = await buildApp(config, { clock, logger: false })
    const b = await buildApp(config, { clock, logger: false })
    t.teardown(async () => {
      await a.close()
      await b.close()
    })
    const cookie = await signIn(a, config, 'alice')
    const sid = sidOf(cookie)
    const userId = (await a.inject({ url: '/login/me', headers: { cookie } })).json().id
    for (const app of [a, b])
      t.equal((await probe(app, config, cookie, '/login/check')).status, 200, 'cached as active in both')

    const revoked = await a.inject({
      method: 'POST',
      url: '/login/logout',
      headers: { cookie, 'content-type': 'application/json' },
      payload: '{}',
    })
    t.same(revoked.json(), { signedOut: true })
    assertSignedOut(t, await probe(a, config, cookie, '/login/check'), 'the revoking process refuses at once')

    // The other process answers from memory while its revocation feed is current, and learns of the
    // revocation when the feed reads the log (docs/operating.md, "Running several nodes": within 50 ms).
    await waitUntil(() => b.ctx.feed.position >= a.ctx.feed.position)
    t.equal(b.ctx.feed.position, a.ctx.feed.position, 'the other process has read the revocation log')
    assertSignedOut(t, await probe(b, config, cookie, '/login/check'), 'the other process refuses')

    // A stale "active" entry: what is left when the tombstone write was lost (the cache was
    // unreachable from the revoking process only). The revocation feed, which every process
    // tails, covers that gap: once it has run, no cache entry can sign the session in.
    const stale = JSON.stringify({ userId, created: clock.now() })
    for (const [name, app] of [
      ['revoking', a],
      ['other', b],
    ] as const) {
      await app.ctx.cache.set(`session:${sid}`, stale, 30)
      assertSignedOut(
        t,
        await probe(app, config, cookie, '/login/check'),
        `the ${name} process refuses despite a stale "active" cache entry`,
      )
    }
  })
}

t.test(
  'memcached dies mid-run: no request fails (the wait each costs is measured by npm run bench:cache)',
  { skip: skipMemcached },
  async t => {
    const own = (await startMemcached())!
    t.teardown(() => own.kill())
    const { app, config, signIn } = await startApp(t, { memcached: own.servers })
    const cookies = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(who => signIn(who)))
    const latencies: number[] = []
    const failures: string[] = []

    /** Concurrent rounds of forward-auth checks, each timed. */
    async function traffic(ms: number) {
      const until = performance.now() + ms
      while (performance.now() < until) {
        await Promise.all(
          cookies.map(async cookie => {
            const before = performance.now()
            const response = await app.inject({ url: '/login/check', headers: { cookie } })
            latencies.push(performance.now() - before)
            if (response.statusCode !== 200) failures.push(`${response.statusCode} ${response.body}`)
          }),
        )
      }
    }

    await traffic(200)
    const killing = own.kill()
    await Promise.all([traffic(1200), killing])
    t.same(failures, [], 'every request during the outage succeeded')

    // While it is down: sign-in, revocation and the next request still behave.
    const newcomer = await signIn('erin')
    t.equal((await probe(app, config, newcomer, '/login/check')).status, 200, 'signing in works without the cache')
    const victim = cookies.pop()!
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/login/logout',
          headers: { cookie: victim, 'content-type': 'application/json' },
          payload: '{}',
        })
      ).statusCode,
      200,
    )
    assertSignedOut(t, await probe(app, config, victim, '/login/check'), 'a revocation during the outage holds')

    await own.restart()
    await traffic(1000)
    t.same(failures, [], 'and after it comes back')
    assertSignedOut(
      t,
      await probe(app, config, victim, '/login/check'),
      'the revocation made during the outage still holds',
    )

    latencies.sort((x, y) => x - y)
    const worst = latencies[latencies.length - 1]!
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!
    t.comment(`${latencies.length} requests, p99 ${p99.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`)
  },
)

t.test('memcached unreachable from the start: the server works on SQLite alone', { skip: skipMemcached }, async t => {
  const own = (await startMemcached())!
  const servers = own.servers
  await own.kill()
  const { app, config, signIn } = await startApp(t, { memcached: servers })
  const cookie = await signIn('alice')
  t.equal((await probe(app, config, cookie, '/login/check')).status, 200)
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/login/logout',
        headers: { cookie, 'content-type': 'application/json' },
        payload: '{}',
      })
    ).statusCode,
    200,
  )
  assertSignedOut(t, await probe(app, config, cookie, '/login/check'), 'revocation holds')
})

t.test(
  'a database outage is timed by the injected clock, from the first lease trusted without it to its return',
  { skip: typeof postgres === 'string' ? postgres : false },
  async t => {
    if (typeof postgres === 'string') return
    const database = await postgres.createDatabase()
    const cookie = await (await startApp(t, { database })).signIn('grace')
    // A second node, which has never seen grace's session: each of its checks asks the database until one answers.
    const lines: Record<string, unknown>[] = []
    const clock = new ManualClock()
    const config = testConfig(t, { database, logLevel: 'info' })
    const app = await buildApp(config, { clock, logStream: { write: line => void lines.push(JSON.parse(line)) } })
    t.teardown(() => app.close())
    const logged = (msg: RegExp) => lines.filter(line => msg.test(String(line.msg)))

    await postgres.stop()
    t.equal((await probe(app, config, cookie, '/login/check')).status, 200, 'a verified lease signs in without it')
    t.equal(logged(/^the database cannot be reached/).length, 1, 'the outage is logged as it starts')
    clock.advance(90)
    await postgres.restart()
    const deadline = performance.now() + 60_000
    while (logged(/^the database answers again/).length === 0 && performance.now() < deadline) {
      await probe(app, config, cookie, '/login/check')
    }
    t.match(
      logged(/^the database answers again/),
      [{ downSeconds: 90 }],
      'and its length by the clock the node runs on',
    )
    t.equal((await probe(app, config, cookie, '/login/check')).status, 200)
  },
)
