// GET /login/health (alive) and GET /login/ready (database, cache and
// revocation feed usable: 200, 503 LOGIN_ERR_UNAVAILABLE otherwise), with
// the details at GET /ready on the metrics port.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { freePort, startApp } from '../helpers/app.js'
import { startMemcached } from '../helpers/memcached.js'

/** The metrics port's readiness details (the app is built with `metricsPort: 0`). */
async function details(app: FastifyInstance): Promise<{ statusCode: number; json: () => Record<string, unknown> }> {
  await app.ready()
  const response = await fetch(app.ctx.metrics.url!.replace(/\/metrics$/, '/ready'))
  const body = (await response.json()) as Record<string, unknown>
  return { statusCode: response.status, json: () => body }
}

t.test('a healthy server is alive and ready, with the details', async t => {
  const { app } = await startApp(t, { metricsPort: 0 })
  const health = await app.inject({ url: '/login/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'alive' })
  t.equal((await app.inject({ url: '/login/ready' })).statusCode, 200)
  const ready = await details(app)
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), {
    status: 'ready',
    checks: {
      database: { ok: true, revocationCursor: Number },
      cache: { ok: true, kind: 'in-process' },
      feed: { ok: true, lagSeconds: 0 },
    },
  })
})

t.test('memcached down: alive, not ready, and says why; ready again once it is back', async t => {
  const memcached = await startMemcached()
  if (memcached === null) return t.plan(0, 'memcached is not installed')
  t.teardown(() => memcached.kill())
  const { app } = await startApp(t, { memcached: memcached.servers, metricsPort: 0 })
  t.equal((await app.inject({ url: '/login/ready' })).statusCode, 200, 'ready with memcached')

  await memcached.kill()
  t.equal((await app.inject({ url: '/login/health' })).statusCode, 200, 'still alive')
  const ready = await app.inject({ url: '/login/ready' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '5')
  t.match(ready.json(), { statusCode: 503, code: 'LOGIN_ERR_UNAVAILABLE' })
  t.match((await details(app)).json(), {
    failing: ['cache'],
    checks: { database: { ok: true }, cache: { ok: false, kind: 'memcached' }, feed: { ok: true } },
  })

  await memcached.restart()
  // The cache retries a dead server after a back-off of a second or more.
  const deadline = Date.now() + 60_000
  let status = 503
  while (status !== 200 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 200))
    status = (await app.inject({ url: '/login/ready' })).statusCode
  }
  t.equal(status, 200, 'ready again')
})

t.test('memcached unreachable from the start: not ready', async t => {
  const { app } = await startApp(t, { memcached: [`127.0.0.1:${await freePort()}`], metricsPort: 0 })
  t.equal((await app.inject({ url: '/login/ready' })).statusCode, 503)
  t.match((await details(app)).json().checks, { cache: { ok: false } })
})

t.test('a revocation feed that stopped applying the log: not ready', async t => {
  const { app, clock } = await startApp(t, { metricsPort: 0 })
  await app.ctx.feed.stop()
  await app.ctx.db.transaction(() => app.ctx.revocations.append('session', 'sid-not-applied', 'user', clock.now()))
  t.equal((await app.inject({ url: '/login/ready' })).statusCode, 200, 'an entry just written is not a lag')
  clock.advance(60)
  t.equal((await app.inject({ url: '/login/ready' })).statusCode, 503)
  t.match((await details(app)).json(), { failing: ['feed'], checks: { feed: { ok: false, lagSeconds: 60 } } })
  await app.ctx.feed.poll()
  t.equal((await app.inject({ url: '/login/ready' })).statusCode, 200, 'caught up')
})

t.test('a database that cannot be read: not ready, and never a 500', async t => {
  const { app } = await startApp(t, { metricsPort: 0 })
  await app.ready()
  await app.ctx.feed.stop()
  await app.ctx.db.close()
  const ready = await app.inject({ url: '/login/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { code: 'LOGIN_ERR_UNAVAILABLE' })
  t.match((await details(app)).json(), {
    failing: ['database', 'feed'],
    checks: { database: { ok: false, error: String }, feed: { ok: false } },
  })
  t.equal((await app.inject({ url: '/login/health' })).statusCode, 200, 'alive all the same')
})
