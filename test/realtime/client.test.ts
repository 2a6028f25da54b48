import t from 'tap'
import { decodeJwt, generateKeyPair, SignJWT } from 'jose'
import { createLoginClient, type LoginClient, type LoginLogger } from 'modular-login-client'
import { leaseClaims, leaseToken, sidOf } from '../helpers/app.js'
import { expiredLease, liveServer, type LiveServer } from '../helpers/realtime.js'
import { PATIENCE_MS, within } from '../helpers/wait.js'
import type { Teardown } from '../helpers/teardown.js'

/** A logger that keeps what it is told. */
function recorder(): LoginLogger & { lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (_data: object, message: string) => {
    lines.push(`${level}: ${message}`)
  }
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }
}

async function client(t: Teardown, server: LiveServer, options: Partial<Parameters<typeof createLoginClient>[0]> = {}) {
  const logger = recorder()
  const login = createLoginClient({
    server: server.url,
    app: await server.addApp(),
    logger,
    reconnect: { minMs: 50, maxMs: 200 },
    requestTimeoutMs: 2000,
    ...options,
  })
  t.teardown(() => login.close())
  await login.ready()
  return { login, logger }
}

t.test('leases are verified locally, memoised, and refused once revoked (pushed within 100 ms)', async t => {
  const server = await liveServer(t)
  const { login } = await client(t, server)
  const cookie = await server.signIn('alice')

  t.match(await login.authenticate({}), { status: 'unauthenticated', reason: 'no lease cookie' })
  t.match(await login.authenticate({ cookie: 'other=1; login=garbage' }), { status: 'unauthenticated' })
  const first = await login.authenticate({ cookie: `theme=dark; ${cookie}` })
  t.match(first, { status: 'ok', user: { name: 'alice', picture: '' }, cookies: [] })
  t.equal(await login.authenticate({ cookie }), first, 'the second sight is the memoised answer')

  // Authentic-looking but signed by a key the server never published.
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const claims = leaseClaims(cookie)
  const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: 'made-up' }).sign(privateKey)
  t.match(await login.authenticate({ cookie: `login=${forged}` }), { status: 'unauthenticated' })

  const logout = await server.app.inject({ method: 'POST', url: '/login/logout', headers: { cookie } })
  t.equal(logout.statusCode, 200)
  const took = await within(
    PATIENCE_MS,
    async () => (await login.authenticate({ cookie })).status === 'unauthenticated',
  )
  t.comment(`refused ${took.toFixed(1)} ms after logout returned`)
})

t.test('an expired lease is refreshed over the channel and the new cookie is handed back', async t => {
  const server = await liveServer(t)
  const { login } = await client(t, server)
  const old = await expiredLease(server, 'bob')
  const result = await login.authenticate({ cookie: old, ip: '198.51.100.7' })
  t.equal(result.status, 'ok')
  t.equal(result.cookies.length, 1)
  const renewed = result.cookies[0]!
  t.match(renewed, { name: 'login', path: '/', httpOnly: true, sameSite: 'lax', secure: false })
  t.not(renewed.value, leaseToken(old))
  t.equal(decodeJwt(renewed.value).sid, sidOf(old))
  t.ok(decodeJwt(renewed.value).exp! > Date.now() / 1000)
  t.match(login.core.setCookieHeaders(result)[0], /^login=[\w.-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/)

  const again = await login.authenticate({ cookie: old })
  t.equal(again.cookies[0]?.value, renewed.value, 'requests still carrying the old lease get the same new one')
  t.match(await login.authenticate({ cookie: `login=${renewed.value}` }), { status: 'ok', cookies: [] })

  const gone = await expiredLease(server, 'carol')
  await server.app.ctx.sessions.revoke(sidOf(gone))
  t.match(
    await login.authenticate({ cookie: gone }),
    { status: 'unauthenticated' },
    'a revoked session is not refreshed',
  )
})

t.test('groups: membership answers are cached until a membership push', async t => {
  const server = await liveServer(t)
  const { login } = await client(t, server, { membershipTtlMs: 60_000 })
  const cookie = await server.signIn('dana')
  const dana = (await login.authenticate({ cookie })) as { user: { id: string } }

  const ns = await login.ensure('chat', 'test:127.0.0.1')
  t.same(ns.created, ['chat'])
  const grant = await login.grant(dana.user.id, 'chat/room')
  t.equal(grant.path, 'chat/room')
  t.match(await login.authenticate({ cookie, group: 'chat/room' }), { status: 'ok' })
  t.match(await login.authenticate({ cookie, group: 'chat' }), { status: 'forbidden', reason: /not a member/ })
  t.match(
    await login.authenticate({ cookie, group: user => `chat/room & !chat/room/${user.id}` }),
    { status: 'ok' },
    'a function of the user',
  )
  t.match(await login.authenticate({ cookie, group: 'bad group!' }), {
    status: 'bad-request',
    reason: /Invalid group expression/,
  })
  t.equal(await login.isMember(dana.user.id, { and: ['chat/room'] }), true)

  // Cached: the answer comes without the server, even when the server has changed its mind...
  await server.app.ctx.groups.membership.grant(dana.user.id, 'chat', {})
  t.match(
    await login.authenticate({ cookie, group: 'chat' }),
    { status: 'forbidden' },
    'a cached no (grants are not pushed)',
  )
  // ...until a membership of hers is removed, which is pushed.
  t.same(await login.remove(grant.id), [grant.id])
  await within(PATIENCE_MS, async () => (await login.authenticate({ cookie, group: 'chat' })).status === 'ok')
  t.pass('the push dropped the cached answers')
  await within(PATIENCE_MS, async () => (await login.isMember(dana.user.id, 'chat/room & !chat')) === false)
  t.pass('for every expression')
})

t.test('server down: unexpired leases keep being served; reconnect replays what was missed', async t => {
  const first = await liveServer(t)
  const { login, logger } = await client(t, first)
  const [a, b] = [await first.signIn('erin'), await first.signIn('frank')]
  const late = await first.signIn('gus')
  const expired = await expiredLease(first, 'hal')
  t.equal((await login.authenticate({ cookie: a })).status, 'ok')
  const ns = await login.ensure('club', 'test:127.0.0.1')
  t.equal(await login.isMember(ns.owner, 'club'), true)

  await first.app.close()
  await within(PATIENCE_MS, () => !login.core.connected)
  t.match(logger.lines.join('\n'), /serving unexpired, unrevoked leases/, 'says so in its log')
  t.equal((await login.authenticate({ cookie: a })).status, 'ok', 'memoised lease still served')
  t.equal((await login.authenticate({ cookie: late })).status, 'ok', 'never-seen lease verified with the cached keys')
  t.equal(await login.isMember(ns.owner, 'club'), true, 'cached membership still served')
  t.match(
    await login.authenticate({ cookie: expired }),
    { status: 'unavailable' },
    'an expired lease cannot be refreshed',
  )
  t.match(
    await login.authenticate({ cookie: a, group: 'club/other' }),
    { status: 'unavailable' },
    'nor an unknown membership answered',
  )

  // Another process revokes meanwhile, then a server comes back on the same port.
  const other = await liveServer(t, { runDir: first.config.runDir })
  await other.app.ctx.sessions.revoke(sidOf(b))
  t.equal((await login.authenticate({ cookie: b })).status, 'ok', 'the app cannot know yet')
  await liveServer(t, { runDir: first.config.runDir }, first.port)
  const took = await within(
    PATIENCE_MS,
    async () => (await login.authenticate({ cookie: b })).status === 'unauthenticated',
    20,
  )
  t.comment(`the missed revocation arrived ${took.toFixed(0)} ms after the server came back`)
  // The replay is applied as it arrives; the line is written when the server says the replay is complete.
  await within(PATIENCE_MS, async () => /reconnected; missed revocations applied/.test(logger.lines.join('\n')))
  t.pass('the app logs that it caught up')
  t.equal((await login.authenticate({ cookie: a })).status, 'ok', 'others unaffected')
})

t.test('key rotation is pushed; leases signed by either key verify', async t => {
  const server = await liveServer(t)
  const { login } = await client(t, server)
  const before = await server.signIn('ivy')
  t.equal((await login.authenticate({ cookie: before })).status, 'ok')
  const { ctx } = server.app
  await ctx.keys.rotate(ctx.clock.now(), ctx.config.leaseSeconds)
  const after = await server.signIn('jon')
  t.equal(
    (await login.authenticate({ cookie: after })).status,
    'ok',
    'a new kid triggers a fetch of the keys, or the push brought them',
  )
  t.equal((await login.authenticate({ cookie: before })).status, 'ok', 'the old key is still published')
})

t.test('wrong credentials: ready() rejects with the close code; the app is told why', async t => {
  const server = await liveServer(t)
  const logger = recorder()
  const good = await server.addApp()
  const login: LoginClient = createLoginClient({ server: server.url, app: { id: good.id, secret: 'wrong' }, logger })
  t.teardown(() => login.close())
  await t.rejects(login.ready(), /refused this app: 4001 LOGIN_ERR_APP_AUTH/)
  t.match(logger.lines.join('\n'), /error: login server refused this app; not reconnecting/)
  t.throws(() => createLoginClient({ server: server.url } as never), /app: \{id, secret\}/)
})

t.test('lease expiry and cached answers are judged by the clock the client is given', async t => {
  const server = await liveServer(t)
  let now = Date.now()
  const { login } = await client(t, server, { clock: { now: () => now }, membershipTtlMs: 60_000 })
  const cookie = await server.signIn('kim')
  const kim = (await login.authenticate({ cookie })) as { user: { id: string }; cookies: readonly unknown[] }
  t.same(kim.cookies, [], 'a fresh lease')

  now += (server.config.leaseSeconds + 1) * 1000
  server.clock.advance(server.config.leaseSeconds + 1)
  const later = await login.authenticate({ cookie })
  t.equal(later.status, 'ok')
  t.equal(later.cookies.length, 1, 'past exp by the given clock: refreshed, with the new cookie')

  await login.ensure('club', 'test:127.0.0.1')
  t.equal(await login.isMember(kim.user.id, 'club'), false)
  await server.app.ctx.groups.membership.grant(kim.user.id, 'club')
  t.equal(await login.isMember(kim.user.id, 'club'), false, 'a cached no (grants are not pushed)')
  now += 60_001
  t.equal(await login.isMember(kim.user.id, 'club'), true, 'asked again once the TTL has passed on the given clock')
})
