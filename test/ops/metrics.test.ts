// Prometheus metrics on their own port: every family docs/operating.md lists is
// scraped, and each counter moves when its action happens.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { reasonOf } from '../../src/metrics/metrics.js'
import { serveApp, testConfig, type ServedApp } from '../helpers/app.js'
import { freePort } from '../helpers/free-port.js'
import { RawClient } from '../helpers/realtime.js'
import { PATIENCE_MS, within } from '../helpers/wait.js'

const FAMILIES = [
  'login_http_request_duration_seconds',
  'login_sign_ins_total',
  'login_sessions_revoked_total',
  'login_check_total',
  'login_realtime_connections',
  'login_realtime_messages_total',
  'login_cache_errors_total',
  'login_cache_up',
  'login_invitations_accepted_total',
  'login_invitations_refused_total',
  'login_revocation_feed_lag_seconds',
]

async function scrape(server: ServedApp): Promise<string> {
  const url = server.app.ctx.metrics.url
  if (!url) throw new Error('the metrics endpoint is not served')
  const response = await fetch(url)
  if (response.status !== 200) throw new Error(`scrape answered ${response.status}`)
  return response.text()
}

/** The value of one series, 0 when absent (a counter nobody has touched yet). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const seen = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(m => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => seen[k] === v)) return Number(match[3])
  }
  return 0
}

/** Runs `action` and answers how much the series moved. */
async function moves(server: ServedApp, name: string, labels: Record<string, string>, action: () => Promise<unknown>) {
  const before = value(await scrape(server), name, labels)
  await action()
  return value(await scrape(server), name, labels) - before
}

const inject = (app: FastifyInstance, url: string, cookie?: string, method: 'GET' | 'POST' = 'GET', body?: unknown) =>
  app.inject({
    method,
    url,
    headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })

t.test('off by default', async t => {
  const config = testConfig(t)
  t.equal(config.metricsPort, null)
  t.equal(config.metricsHost, '127.0.0.1')
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  t.equal(app.ctx.metrics.url, null, 'no endpoint is served')
})

t.test('a scrape lists every family and the process metrics, on loopback', async t => {
  const server = await serveApp(t, { metricsPort: 0 })
  t.match(server.app.ctx.metrics.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const text = await scrape(server)
  for (const family of FAMILIES) t.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family)
  t.match(text, /^process_cpu_user_seconds_total /m, 'default process metrics')
  t.match(text, /^nodejs_eventloop_lag_seconds /m)
  t.equal((await fetch(server.app.ctx.metrics.url!.replace('/metrics', '/other'))).status, 404)
})

t.test('a metrics port that is taken stops the start with its error', async t => {
  const taken = await serveApp(t, { metricsPort: 0 })
  const port = Number(new URL(taken.app.ctx.metrics.url!).port)
  const config = testConfig(t, { metricsPort: port })
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await t.rejects(app.listen({ host: '127.0.0.1', port: await freePort() }), { code: 'EADDRINUSE' })
})

t.test('counters move with sign-ins, checks, revocations and requests', async t => {
  const server = await serveApp(t, { metricsPort: 0 })
  const { app } = server
  let alice = ''
  t.equal(
    await moves(server, 'login_sign_ins_total', { provider: 'test', outcome: 'success' }, async () => {
      alice = await server.signIn('alice')
    }),
    1,
    'a sign-in',
  )
  t.equal(
    await moves(server, 'login_sessions_revoked_total', { reason: 'replaced' }, async () => {
      alice = await server.signIn('alice.too', { cookie: alice })
    }),
    1,
    "signing in as someone else replaces the session the browser had (the same person's stays)",
  )
  t.equal(
    await moves(server, 'login_check_total', { result: 'ok' }, () => inject(app, '/login/check', alice)),
    1,
    'a check that passes',
  )
  t.equal(
    await moves(server, 'login_check_total', { result: 'unauthenticated' }, () => inject(app, '/login/check')),
    1,
    'a check without a session',
  )
  t.equal(
    await moves(server, 'login_check_total', { result: 'forbidden' }, () =>
      inject(app, '/login/check?group=nobody', alice),
    ),
    1,
    'a check of a group not held',
  )
  t.equal(
    await moves(
      server,
      'login_http_request_duration_seconds_count',
      { route: '/login/check', method: 'GET', status_class: '4xx' },
      () => inject(app, '/login/check?x=1'),
    ),
    1,
    'requests are timed by route pattern and status class',
  )
  t.equal(
    await moves(server, 'login_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' }, () =>
      inject(app, '/login/no/such/page'),
    ),
    1,
    'unknown paths share one series',
  )
  t.equal(
    await moves(server, 'login_sessions_revoked_total', { reason: 'logout' }, () =>
      inject(app, '/login/logout', alice, 'POST', {}),
    ),
    1,
    'a logout',
  )
})

t.test('sign-in flows that fail are counted by their error code', async t => {
  t.equal(reasonOf(Object.assign(new Error('x'), { code: 'LOGIN_ERR_OAUTH_STATE' })), 'oauth_state')
  t.equal(reasonOf(new Error('boom')), 'internal')
  const server = await serveApp(t, { metricsPort: 0 })
  const attempt = () =>
    server.app.ctx.metrics.signInFlow(
      'github',
      Promise.reject(Object.assign(new Error('no'), { code: 'LOGIN_ERR_ACCESS_DENIED' })),
    )
  t.equal(
    await moves(server, 'login_sign_ins_total', { provider: 'github', outcome: 'access_denied' }, () =>
      attempt().catch(() => {}),
    ),
    1,
  )
})

t.test('invitations accepted and refused', async t => {
  const server = await serveApp(t, { metricsPort: 0 })
  const { app } = server
  await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'owner')
  const owner = await server.signIn('owner')
  const link = (
    await inject(app, '/login/access/allow', owner, 'POST', { invitees: 1, invitations: [{ accessing: 'chat' }] })
  ).json() as { short: string }
  const bob = await server.signIn('bob')
  t.equal(
    await moves(server, 'login_invitations_accepted_total', {}, () =>
      inject(app, `/login/access/add/${link.short}`, bob, 'POST', {}),
    ),
    1,
  )
  const carol = await server.signIn('carol')
  t.equal(
    await moves(server, 'login_invitations_refused_total', { reason: 'invitation_gone' }, async () => {
      const refused = await inject(app, `/login/access/add/${link.short}`, carol, 'POST', {})
      t.equal(refused.json().code, 'LOGIN_ERR_INVITATION_GONE', 'the link is used up')
    }),
    1,
  )
})

t.test('realtime connections and messages by type', async t => {
  const server = await serveApp(t, { metricsPort: 0 })
  const creds = await server.app.ctx.apps.add('metrics')
  const before = await scrape(server)
  const { client } = await RawClient.hello(server.base, creds)
  await client.request({ type: 'ping' })
  client.send({ type: 'made-up', id: 1 })
  await client.next('error')
  const during = await scrape(server)
  t.equal(value(during, 'login_realtime_connections'), 1, 'one connection open')
  for (const type of ['hello', 'ping', 'unknown'])
    t.equal(
      value(during, 'login_realtime_messages_total', { type }) -
        value(before, 'login_realtime_messages_total', { type }),
      1,
      type,
    )
  t.equal(value(during, 'login_realtime_messages_total', { type: 'made-up' }), 0, 'types apps invent are not labels')
  client.close()
  await within(PATIENCE_MS, async () => value(await scrape(server), 'login_realtime_connections') === 0, 20)
  t.pass('and none once it closed')
})

t.test('the cache: errors counted, up or down at each scrape', async t => {
  const deadPort = await freePort()
  const down = await serveApp(t, { metricsPort: 0, memcached: [`127.0.0.1:${deadPort}`] })
  const cookie = await down.signIn('alice')
  const errors = await moves(down, 'login_cache_errors_total', {}, () => inject(down.app, '/login/check', cookie))
  t.ok(errors >= 1, `a check with memcached unreachable counts cache errors (${errors})`)
  t.equal(value(await scrape(down), 'login_cache_up'), 0, 'memcached down')
  const up = await serveApp(t, { metricsPort: 0 })
  t.equal(value(await scrape(up), 'login_cache_up'), 1, 'the in-process cache is always up')
  t.equal(value(await scrape(up), 'login_cache_errors_total'), 0, 'and counts apart: one registry per app')
})

t.test('the revocation feed lag', async t => {
  const server = await serveApp(t, { metricsPort: 0 })
  const { ctx } = server.app
  t.equal(value(await scrape(server), 'login_revocation_feed_lag_seconds'), 0, 'caught up')
  await ctx.feed.stop()
  await ctx.db.transaction(() => ctx.revocations.append('session', 'sid-not-applied', 'user', server.clock.now() - 30))
  t.equal(value(await scrape(server), 'login_revocation_feed_lag_seconds'), 30, 'an entry this process has not applied')
  await ctx.feed.poll()
  t.equal(value(await scrape(server), 'login_revocation_feed_lag_seconds'), 0, 'applied')
})
