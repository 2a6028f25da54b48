// /login/ready is public (load balancers ask it): it must say ready or not, and nothing an outsider could use
// (the storage engine, the cache, the revocation cursor, which part is failing). Operators read the details on the
// metrics port, which stays on loopback.
import t from 'tap'
import { freePort, serveApp, type ServedApp } from '../helpers/app.js'

async function details(served: ServedApp): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(served.app.ctx.metrics.url!.replace(/\/metrics$/, '/ready'))
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

t.test('ready: the public answer says so and nothing else; the metrics port has the details', async t => {
  const served = await serveApp(t, { metricsPort: 0 })
  const ready = await fetch(`${served.base}/login/ready`)
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ready' }, 'only the status')
  const inside = await details(served)
  t.equal(inside.status, 200)
  t.match(inside.body, {
    status: 'ready',
    checks: {
      database: { ok: true, engine: 'sqlite', revocationCursor: Number },
      cache: { ok: true, kind: 'in-process' },
      feed: { ok: true, cursor: Number, lagSeconds: 0 },
    },
  })
})

t.test('not ready: the public answer does not say which part fails; the metrics port does', async t => {
  const served = await serveApp(t, { metricsPort: 0, memcached: [`127.0.0.1:${await freePort()}`] })
  const notReady = await fetch(`${served.base}/login/ready`)
  t.equal(notReady.status, 503)
  t.equal(notReady.headers.get('retry-after'), '5')
  const body = await notReady.text()
  t.same(
    JSON.parse(body),
    { statusCode: 503, error: 'Service Unavailable', message: 'not ready', code: 'LOGIN_ERR_UNAVAILABLE' },
    'a plain refusal',
  )
  t.notMatch(body, /cache|memcached|database|sqlite|cursor|feed/i, 'naming no part')
  const inside = await details(served)
  t.equal(inside.status, 503)
  t.match(inside.body, { status: 'not ready', failing: ['cache'], checks: { cache: { ok: false, kind: 'memcached' } } })
})
