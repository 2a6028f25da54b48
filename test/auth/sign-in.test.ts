import t from 'tap'
import { leaseCookie, sidOf, startApp } from '../helpers/app.js'

t.test('sign-in endpoints are rate-limited per client IP: the (N+1)th gets 429 LOGIN_ERR_RATE_LIMITED', async t => {
  const limit = 3
  const { app } = await startApp(t, { rateLimit: limit })
  const attempt = (remoteAddress: string, who = 'alice') =>
    app.inject({ url: `/login/test/as?who=${who}`, remoteAddress, headers: { accept: 'application/json' } })
  for (let i = 1; i <= limit; i++) t.equal((await attempt('192.0.2.1')).statusCode, 303, `attempt ${i} of ${limit}`)
  // Failed attempts count too: guessing is what the limit is for.
  const limited = await attempt('192.0.2.1', '')
  t.equal(limited.statusCode, 429, `attempt ${limit + 1}`)
  t.match(limited.body, /id="error-code">LOGIN_ERR_RATE_LIMITED</)
  t.match(limited.body, /Too many requests, retry in /)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when')
  t.equal(limited.headers['set-cookie'], undefined, 'and nobody is signed in')
  t.equal((await attempt('192.0.2.1')).statusCode, 429, 'it stays limited')
  t.equal((await attempt('192.0.2.2')).statusCode, 303, 'another client is not affected')

  const cookie = leaseCookie(app.ctx.config, (await attempt('192.0.2.3')).headers['set-cookie'])
  for (let i = 0; i < limit + 2; i++) {
    const me = await app.inject({ url: '/login/me', remoteAddress: '192.0.2.1', headers: { cookie } })
    t.equal(me.statusCode, 200, 'other endpoints are not limited')
  }
})

t.test('failed attempts count towards the limit', async t => {
  const { app } = await startApp(t, { rateLimit: 2 })
  for (const who of ['', '']) t.equal((await app.inject({ url: `/login/test/as?who=${who}` })).statusCode, 400)
  t.equal((await app.inject({ url: '/login/test/as?who=alice' })).statusCode, 429)
})

t.test("someone else's sign-in replaces the browser's previous session, never upgrades it", async t => {
  const { app, config, signIn } = await startApp(t)
  const before = await signIn('alice')
  const response = await app.inject({ url: '/login/test/as?who=bob', headers: { cookie: before } })
  t.equal(response.statusCode, 303)
  const after = leaseCookie(config, response.headers['set-cookie'])
  t.not(sidOf(after), sidOf(before), 'a new session id')
  t.equal(
    (await app.inject({ url: '/login/me', headers: { cookie: before } })).statusCode,
    401,
    "alice's session is revoked",
  )
  t.equal((await app.inject({ url: '/login/me', headers: { cookie: after } })).json().name, 'bob')
})

t.test('the same person signing in again keeps the session and records when', async t => {
  const { app, config, clock, signIn } = await startApp(t)
  const before = await signIn('alice')
  clock.advance(90)
  const response = await app.inject({ url: '/login/test/as?who=alice', headers: { cookie: before } })
  t.equal(response.statusCode, 303)
  const after = leaseCookie(config, response.headers['set-cookie'])
  t.not(after, before, 'a new lease')
  t.equal(sidOf(after), sidOf(before), 'of the same session')
  const me = (await app.inject({ url: '/login/me', headers: { cookie: after } })).json()
  t.match(await app.ctx.sessions.owned(me.id, sidOf(after)), { revoked: null, authenticated: clock.now() })
  t.equal((await app.inject({ url: '/login/me', headers: { cookie: before } })).statusCode, 200, 'the old lease too')
  t.equal((await app.ctx.sessions.list(me.id)).length, 1, 'one session')
})

t.test('the session records IP, user agent, provider and times', async t => {
  const { app, clock, signIn } = await startApp(t)
  const cookie = await signIn('alice', { 'user-agent': `Agent/${'x'.repeat(600)}` })
  const user = (await app.inject({ url: '/login/me', headers: { cookie } })).json()
  const session = await app.ctx.sessions.owned(user.id, sidOf(cookie))
  t.match(session, {
    userId: user.id,
    provider: 'test',
    ip: '127.0.0.1',
    created: clock.now(),
    refreshed: clock.now(),
    revoked: null,
  })
  t.equal(session?.userAgent.length, 512, 'user agents are cut at 512 characters')
  t.match(
    String((await app.ctx.sessions.owned(user.id, sidOf(cookie)))?.sid),
    /^[A-Za-z0-9_-]{22}$/,
    'sids are 128 random bits',
  )
})
