import t from 'tap'
import { decodeJwt } from 'jose'
import { SqliteDatabase } from '../../src/storage/sqlite.js'
import { sqlitePath } from '../../src/storage/open.js'
import { sidOf } from '../helpers/app.js'
import { openKeys } from '../helpers/database.js'
import { CloseCode, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from 'modular-login-client/protocol'
import { liveServer, RawClient } from '../helpers/realtime.js'
import { runAppCommand } from '../helpers/app-command.js'

t.test('refusals: wrong secret, unknown app, no hello, wrong version', async t => {
  const server = await liveServer(t)
  const app = await server.addApp()
  const cases: [string, unknown, number, RegExp][] = [
    [
      'wrong secret',
      { type: 'hello', version: PROTOCOL_VERSION, app: app.id, secret: 'x'.repeat(43) },
      CloseCode.Unauthorized,
      /LOGIN_ERR_APP_AUTH/,
    ],
    [
      'unknown app',
      { type: 'hello', version: PROTOCOL_VERSION, app: 'nope', secret: app.secret },
      CloseCode.Unauthorized,
      /LOGIN_ERR_APP_AUTH/,
    ],
    ['not hello first', { type: 'ping' }, CloseCode.BadHello, /first message must be hello/],
    ['not JSON first', 'hello?', CloseCode.BadHello, /LOGIN_ERR_BAD_MESSAGE/],
    [
      'wrong version',
      { type: 'hello', version: 99, app: app.id, secret: app.secret },
      CloseCode.UnsupportedVersion,
      /LOGIN_ERR_PROTOCOL_VERSION/,
    ],
    [
      'bad cursor',
      { type: 'hello', version: PROTOCOL_VERSION, app: app.id, secret: app.secret, cursor: -1 },
      CloseCode.BadHello,
      /cursor/,
    ],
  ]
  for (const [name, hello, code, reason] of cases) {
    const client = await RawClient.open(server.url)
    client.send(hello)
    const closed = await client.closedWith()
    t.equal(closed.code, code, name)
    t.match(closed.reason, reason, name)
  }
  const ok = await RawClient.hello(server.url, app)
  t.equal(ok.welcome.version, PROTOCOL_VERSION, 'the right secret still works')
  ok.client.close()
})

t.test('the upgrade says the protocol version; plain GET /login/ws is 426', async t => {
  const server = await liveServer(t)
  const client = await RawClient.open(server.url)
  const headers = await new Promise<Record<string, unknown>>(resolve => {
    const ws = new (client.ws.constructor as typeof import('ws').WebSocket)(
      `${server.url.replace('http', 'ws')}/login/ws`,
    )
    ws.on('upgrade', response => resolve(response.headers))
    ws.on('open', () => ws.close())
  })
  client.close()
  t.equal(headers['x-login-protocol'], String(PROTOCOL_VERSION))
  const plain = await fetch(`${server.url}/login/ws`)
  t.equal(plain.status, 426)
  t.equal((await plain.json()).code, 'LOGIN_ERR_BAD_REQUEST')
})

t.test('malformed and oversized messages get an error; the connection and the server survive', async t => {
  const server = await liveServer(t)
  const { client, welcome } = await RawClient.hello(server.url, await server.addApp())
  t.match(welcome, {
    type: 'welcome',
    version: PROTOCOL_VERSION,
    leaseSeconds: 3600,
    cookie: { name: 'login', httpOnly: true, sameSite: 'lax' },
  })

  const bad: [string, unknown, string][] = [
    ['not JSON', '{"type":', 'LOGIN_ERR_BAD_MESSAGE'],
    ['an array', '[1,2]', 'LOGIN_ERR_BAD_MESSAGE'],
    ['no type', { id: 1 }, 'LOGIN_ERR_BAD_MESSAGE'],
    ['unknown type', { type: 'frobnicate', id: 1 }, 'LOGIN_ERR_BAD_MESSAGE'],
    ['no id', { type: 'refresh', token: 'x' }, 'LOGIN_ERR_BAD_MESSAGE'],
    ['hello twice', { type: 'hello', id: 2 }, 'LOGIN_ERR_BAD_MESSAGE'],
    ['bad field', { type: 'query', id: 3, user: 42, group: 'a' }, 'LOGIN_ERR_BAD_MESSAGE'],
    ['deeply nested', '['.repeat(30_000) + ']'.repeat(30_000), 'LOGIN_ERR_BAD_MESSAGE'],
    ['oversized', JSON.stringify({ type: 'ping', pad: 'x'.repeat(MAX_MESSAGE_BYTES) }), 'LOGIN_ERR_MESSAGE_TOO_LARGE'],
  ]
  for (const [name, message, code] of bad) {
    client.send(message)
    const error = await client.next('error')
    t.equal(error.code, code, name)
    t.type(error.message, 'string', name)
  }
  client.ws.send(Buffer.from('{"type":"ping"}'), { binary: true })
  t.equal((await client.next('error')).code, 'LOGIN_ERR_BAD_MESSAGE', 'binary frames are refused')
  t.equal((await client.request({ type: 'ping' })).type, 'pong', 'still answering')

  // Beyond the frame limit the server will not even buffer it: 1009, and only this connection goes.
  client.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(2 * 1024 * 1024) }))
  t.equal((await client.closedWith()).code, CloseCode.TooBig)
  const me = await server.app.inject({ url: '/login/me', headers: { cookie: await server.signIn('alice') } })
  t.equal(me.statusCode, 200, 'the server still serves')
  const again = await RawClient.hello(server.url, await server.addApp())
  t.equal((await again.client.request({ type: 'ping' })).type, 'pong', 'and accepts new connections')
  again.client.close()
})

t.test('refresh answers a new lease, or revoked once the session ended', async t => {
  const server = await liveServer(t)
  const cookie = await server.signIn('alice')
  const sid = sidOf(cookie)
  const { client } = await RawClient.hello(server.url, await server.addApp())
  const token = cookie.slice(cookie.indexOf('=') + 1)
  const lease = await client.request({ type: 'refresh', token, ip: '203.0.113.9' })
  t.equal(lease.type, 'lease')
  t.equal(lease.sid, sid)
  t.match(lease.user, { name: 'alice' })
  t.equal(decodeJwt(lease.token as string).sid, sid)
  t.equal(lease.exp, decodeJwt(lease.token as string).exp)

  const logout = await server.app.inject({ method: 'POST', url: '/login/logout', headers: { cookie } })
  t.equal(logout.statusCode, 200)
  const pushed = await client.next('revoked')
  t.equal(pushed.sid, sid)
  t.type(pushed.cursor, 'number')
  t.ok((pushed.until as number) >= server.clock.now() + 3600, 'deny until its leases would have expired')
  const revoked = await client.request({ type: 'refresh', token })
  t.match(revoked, { type: 'revoked', sid })
  t.notOk('cursor' in revoked, 'a reply, not a log entry')
  const [header, , signature] = token.split('.')
  const claims = { sub: 'x', sid: 'someone-else', name: 'x', picture: '', iat: 1, exp: 2 }
  const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
  t.match(
    await client.request({ type: 'refresh', token: forged }),
    { type: 'error', code: 'LOGIN_ERR_BAD_MESSAGE' },
    'only leases this server signed refresh anything',
  )
  t.match(
    await client.request({ type: 'refresh', sid }),
    { type: 'error', code: 'LOGIN_ERR_BAD_MESSAGE' },
    'a bare sid is not enough',
  )
  client.close()
})

t.test('ensure, grant, query and remove; grants and removals are pushed as membership changes', async t => {
  const server = await liveServer(t)
  await server.signIn('bob')
  const bob = (await server.app.ctx.users.findByIdentity('test', 'bob'))!
  const { client } = await RawClient.hello(server.url, await server.addApp())

  const ensured = await client.request({ type: 'ensure', path: 'test_group', owner: 'test:127.0.0.1' })
  t.match(ensured, { type: 'ensured', path: 'test_group', created: ['test_group'] })
  const again = await client.request({ type: 'ensure', path: 'test_group', owner: 'test:127.0.0.1' })
  t.same(again.created, [], 'idempotent')
  t.equal(again.owner, ensured.owner)
  t.same(
    (await client.request({ type: 'query', user: ensured.owner, group: 'test_group' })).member,
    true,
    'the owner is a member',
  )

  t.same((await client.request({ type: 'query', user: bob.id, group: 'test_group/docs' })).member, false)
  await client.request({ type: 'grant', user: ensured.owner, path: 'test_group/docs/a' })
  t.same(
    (await client.request({ type: 'query', user: ensured.owner, group: 'test_group/docs' })).member,
    true,
    'owners hold the subtree',
  )
  const granted = await client.request({ type: 'grant', user: bob.id, path: 'test_group/docs' })
  t.match(granted, { type: 'granted', membership: { user: bob.id, path: 'test_group/docs', until: null } })
  const membership = (granted.membership as { id: string }).id
  const pushOf = (m: Record<string, unknown>) => m.type === 'membership' && m.membership === membership
  t.match(await client.nextWhere(pushOf), { type: 'membership', user: bob.id }, 'the grant is pushed')
  for (const [group, member] of [
    ['test_group/docs', true],
    ['test_group/docs/a', true],
    ['test_group', false],
    ['test_group/docs & !test_group/docs/blocked', true],
    [{ or: ['test_group/nope', 'test_group/docs'] }, true],
    ['test_group/no/such/group', false],
  ] as const) {
    t.equal((await client.request({ type: 'query', user: bob.id, group })).member, member, JSON.stringify(group))
  }
  t.match(
    await client.request({ type: 'query', user: bob.id, group: 'no/such/group' }),
    { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
    'a group outside its namespaces is not the app’s to ask about',
  )
  const bad = await client.request({ type: 'query', user: bob.id, group: 'a & (b' })
  t.match(bad, { type: 'error', code: 'LOGIN_ERR_BAD_EXPRESSION' })
  t.match(await client.request({ type: 'grant', user: 'nobody', path: 'test_group' }), {
    type: 'error',
    code: 'LOGIN_ERR_NOT_FOUND',
  })
  t.match(await client.request({ type: 'grant', user: bob.id, path: 'test_group', deauthorizes: 7 }), {
    type: 'error',
    code: 'LOGIN_ERR_BAD_REQUEST',
  })
  t.match(await client.request({ type: 'ensure', path: 'x', owner: 'no-colon' }), {
    type: 'error',
    code: 'LOGIN_ERR_BAD_REQUEST',
  })

  t.same((await client.request({ type: 'remove', membership })).memberships, [membership])
  t.match(await client.nextWhere(pushOf), { type: 'membership', user: bob.id }, 'so is the removal')
  t.equal((await client.request({ type: 'query', user: bob.id, group: 'test_group/docs' })).member, false)
  t.match(await client.request({ type: 'remove', membership }), { type: 'error', code: 'LOGIN_ERR_CONFLICT' })
  client.close()
})

t.test('replay: what happened since the cursor, then live; a fresh app gets one lease lifetime', async t => {
  const server = await liveServer(t)
  const app = await server.addApp()
  const cookies = await Promise.all(['a', 'b', 'c'].map(who => server.signIn(who)))
  const sids = cookies.map(sidOf)

  // Revoked long ago: its leases have all expired, nobody needs to hear of it.
  server.clock.advance(-7200)
  await server.app.ctx.sessions.revoke(sids[0]!)
  server.clock.advance(7200)
  await server.app.ctx.sessions.revoke(sids[1]!)

  const fresh = await RawClient.hello(server.url, app)
  const first = fresh.client.messages.filter(m => m.type === 'revoked').map(m => m.sid)
  t.same(first, [sids[1]], 'a new app hears of revocations whose leases may still be valid')
  fresh.client.close()
  const cursor = await server.app.ctx.revocations.head()

  await server.app.ctx.sessions.revoke(sids[2]!)
  const resumed = await RawClient.hello(server.url, app, cursor)
  t.equal(resumed.welcome.cursor, cursor)
  t.same(
    resumed.client.messages
      .splice(0)
      .filter(m => m.type === 'revoked')
      .map(m => m.sid),
    [sids[2]],
    'resuming replays only what was missed',
  )
  const live = await server.signIn('d')
  await server.app.ctx.sessions.revoke(sidOf(live))
  t.equal((await resumed.client.next('revoked')).sid, sidOf(live), 'then live pushes')
  resumed.client.close()

  const future = await RawClient.hello(server.url, app, 10_000)
  t.equal(future.welcome.cursor, fresh.welcome.cursor, 'a cursor from another log falls back to the lease window')
  future.client.close()
})

t.test('a long backlog is replayed in order, once, with live revocations landing mid-replay', async t => {
  const server = await liveServer(t)
  const { ctx } = server.app
  const start = await ctx.revocations.head()
  const now = ctx.clock.now()
  await ctx.db.transaction(async () => {
    for (let i = 0; i < 3000; i++) await ctx.revocations.append('session', `old-${i}`, 'u', now)
  })
  await ctx.feed.poll()
  const live = await server.signIn('late')
  const client = await RawClient.open(server.url)
  const app = await server.addApp()
  client.send({ type: 'hello', version: PROTOCOL_VERSION, app: app.id, secret: app.secret, cursor: start })
  await client.next('welcome')
  await ctx.sessions.revoke(sidOf(live))
  await client.next('synced')
  const during = await client.nextWhere(m => m.type === 'revoked' && m.sid === sidOf(live)).catch(() => null)
  const cursors = [...client.messages, ...(during ? [during] : [])]
    .filter(m => m.type === 'revoked')
    .map(m => m.cursor as number)
  const all = [...client.messages.filter(m => m.type === 'revoked').map(m => m.sid), during?.sid]
  t.equal(new Set(all).size, 3001, 'every entry, the live one included')
  t.ok(
    cursors.every((c, i) => i === 0 || c > cursors[i - 1]!),
    'in cursor order, none twice',
  )
  client.close()
})

t.test('removing an app closes its connections with 4003', async t => {
  const server = await liveServer(t)
  const creds = await server.addApp('doomed')
  const other = await RawClient.hello(server.url, await server.addApp('kept'))
  const { client } = await RawClient.hello(server.url, creds)
  await server.app.ctx.apps.remove('doomed')
  const closed = await client.closedWith()
  t.equal(closed.code, CloseCode.AppRemoved)
  t.equal((await other.client.request({ type: 'ping' })).type, 'pong', 'other apps stay connected')
  const retry = await RawClient.open(server.url)
  retry.send({ type: 'hello', version: PROTOCOL_VERSION, app: creds.id, secret: creds.secret })
  t.equal((await retry.closedWith()).code, CloseCode.Unauthorized, 'its credentials no longer work')
  other.client.close()
})

t.test('app channel <name> on|off: an OpenID Connect client gets the channel, then loses it (4005)', async t => {
  const server = await liveServer(t)
  const { ctx } = server.app
  const [printed] = await runAppCommand(ctx, 'add', 'grafana', '--redirect-uri', 'https://grafana.example.org/cb')
  const creds = JSON.parse(printed!) as { id: string; secret: string }
  const hello = async () => {
    const raw = await RawClient.open(server.url)
    raw.send({ type: 'hello', version: PROTOCOL_VERSION, app: creds.id, secret: creds.secret })
    return raw
  }
  t.equal((await (await hello()).closedWith()).code, CloseCode.Forbidden, 'registered without --channel: refused')

  t.same(await runAppCommand(ctx, 'channel', 'grafana', 'on'), ['app grafana may now open the channel'])
  t.same(await runAppCommand(ctx, 'channel', 'grafana', 'on'), ['app grafana may already open the channel'])
  const { client } = await RawClient.hello(server.url, creds)
  const other = await RawClient.hello(server.url, await server.addApp('kept'))
  t.equal((await client.request({ type: 'ping' })).type, 'pong', 'welcome on the channel')

  t.same(await runAppCommand(ctx, 'channel', 'grafana', 'off'), [
    'app grafana may no longer open the channel; its connections are closed',
  ])
  t.match(await client.closedWith(), { code: CloseCode.Forbidden, reason: /^LOGIN_ERR_FORBIDDEN: / })
  t.equal((await other.client.request({ type: 'ping' })).type, 'pong', 'other apps stay connected')
  t.equal((await (await hello()).closedWith()).code, CloseCode.Forbidden, 'and it is refused again')
  t.match(await ctx.apps.find('grafana'), {
    channel: false,
    oidc: { redirectUris: ['https://grafana.example.org/cb'] },
  })

  const refusals: [string[], string, RegExp][] = [
    [['channel', 'kept', 'off'], 'LOGIN_ERR_CONFLICT', /kept is no OpenID Connect client/],
    [['channel', 'missing', 'on'], 'LOGIN_ERR_NOT_FOUND', /No app named missing/],
    [['channel', 'grafana', 'maybe'], 'LOGIN_ERR_BAD_REQUEST', /app channel <name> on\|off/],
    [['channel', 'grafana'], 'LOGIN_ERR_BAD_REQUEST', /usage/],
  ]
  for (const [args, code, message] of refusals)
    await t.rejects(runAppCommand(ctx, ...args), { code, message }, args.join(' '))
  other.client.close()
})

t.test('a key rotation is pushed as keys with the new JWKS', async t => {
  const server = await liveServer(t)
  const { client } = await RawClient.hello(server.url, await server.addApp())
  const { ctx } = server.app
  const kid = await ctx.keys.rotate(ctx.clock.now(), ctx.config.leaseSeconds)
  const keys = await client.next('keys')
  const kids = (keys.jwks as { keys: { kid: string }[] }).keys.map(k => k.kid)
  t.ok(kids.includes(kid), 'the new key is published')
  t.equal(kids.length, 2, 'the old one stays until its leases expire')

  // `modular-login keys rotate` runs in another process: the server hears of it through the database.
  const cliDatabase = new SqliteDatabase(sqlitePath(ctx.config.runDir))
  t.teardown(() => cliDatabase.close())
  const cli = await openKeys(cliDatabase, ctx.clock.now())
  const fromCli = await cli.rotate(ctx.clock.now(), ctx.config.leaseSeconds)
  const pushed = await client.next('keys')
  t.ok(
    (pushed.jwks as { keys: { kid: string }[] }).keys.some(k => k.kid === fromCli),
    'a rotation by another process is pushed too',
  )
  t.equal(ctx.keys.signing.kid, fromCli, 'and the server signs with the new key from then on')
  client.close()
})

t.test('server shutdown closes connections with 1001', async t => {
  const server = await liveServer(t)
  const { client } = await RawClient.hello(server.url, await server.addApp())
  await server.app.close()
  t.equal((await client.closedWith()).code, CloseCode.GoingAway)
})
