// What an app may learn over /login/ws: an OpenID Connect client may not open the channel unless registered
// with --channel; `query` answers only about the app's namespaces and those it may read; membership pushes
// reach only the apps that manage or may read the namespace (session revocations reach every app); the
// OpenID Connect `groups` claim lists only the client's own namespaces. On both storage engines.
import t from 'tap'
import * as client from 'openid-client'
import { CloseCode, PROTOCOL_VERSION } from 'modular-login-client/protocol'
import { serveApp, sidOf, type ServedApp } from '../helpers/app.js'
import { runAppCommand } from '../helpers/app-command.js'
import { storageEngines } from '../helpers/engines.js'
import { RawClient } from '../helpers/realtime.js'
import { Browser, REDIRECT_URI, signInTo } from '../oidc/fixture.js'

const { engines, skipped } = await storageEngines(t)
if (skipped) t.comment(`PostgreSQL left out: ${skipped}`)

/** `app add` as an operator runs it; answers the credentials it printed. */
async function register(server: ServedApp, ...args: string[]) {
  const [line] = await runAppCommand(server.app.ctx, 'add', ...args)
  return JSON.parse(line!) as { id: string; secret: string; issuer: string }
}

/** The membership pushes a connection received, by membership id. */
function membershipPushes(connection: RawClient): unknown[] {
  return connection.messages.filter(m => m.type === 'membership').map(m => m.membership)
}

for (const { engine, serverSettings } of engines) {
  t.test(`${engine}: an app learns only about its own namespaces and those it may read`, async t => {
    const server = await serveApp(t, await serverSettings())
    const { ctx } = server.app
    const connections: RawClient[] = []
    t.teardown(() => connections.forEach(c => c.close()))
    const hello = async (credentials: { id: string; secret: string }) => {
      const { client: connection } = await RawClient.hello(server.base, credentials)
      connections.push(connection)
      return connection
    }

    const grafana = await register(server, 'grafana', '--redirect-uri', REDIRECT_URI)
    const refused = await RawClient.open(server.base)
    connections.push(refused)
    refused.send({ type: 'hello', version: PROTOCOL_VERSION, app: grafana.id, secret: grafana.secret })
    t.match(
      await refused.closedWith(),
      { code: CloseCode.Forbidden, reason: /^LOGIN_ERR_FORBIDDEN: / },
      'an OpenID Connect client registered without --channel is refused on the channel',
    )
    const wiki = await register(server, 'wiki', '--redirect-uri', REDIRECT_URI, '--namespace', 'wiki', '--channel')
    const wikiChannel = await hello(wiki)
    t.pass('one registered with --channel is welcome')

    const chat = await hello(await ctx.apps.add('chat'))
    const other = await hello(await ctx.apps.add('other'))
    const alice = await server.signIn('alice')
    const aliceId = (await ctx.users.findByIdentity('test', 'alice'))!.id
    const ensured = await chat.request({ type: 'ensure', path: 'chat', owner: 'test:owner' })
    t.match(ensured, { type: 'ensured' })
    const room = (await chat.request({ type: 'grant', user: aliceId, path: 'chat/room' })).membership as { id: string }
    await ctx.groups.tree.ensureNamespace('hr', 'test', 'boss')
    const payroll = await ctx.groups.membership.grant(aliceId, 'hr/payroll')
    const editors = await ctx.groups.membership.grant(aliceId, 'wiki/editors')

    t.match(await chat.request({ type: 'query', user: aliceId, group: 'chat/room' }), { member: true })
    const outside: [RawClient, string, string][] = [
      [other, 'chat/room', "another app's namespace"],
      [chat, 'hr/payroll', "the administrator's namespace"],
      [chat, '!hr/payroll | chat/room', 'an expression that names one'],
      [chat, 'nowhere/yet', 'a namespace that does not exist'],
    ]
    for (const [connection, group, what] of outside) {
      t.match(
        await connection.request({ type: 'query', user: aliceId, group }),
        { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
        `query refuses ${what}`,
      )
    }

    // Pushes go out in cursor order: once a later session revocation arrived, an earlier push would have too.
    const marker = async () => {
      const cookie = await server.signIn(`marker-${Math.random()}`)
      const sid = sidOf(cookie)
      await server.app.inject({ method: 'POST', url: '/login/logout', headers: { cookie } })
      for (const connection of [chat, other, wikiChannel])
        await connection.nextWhere(m => m.type === 'revoked' && m.sid === sid, undefined, 'the marker revocation')
    }
    await marker()
    t.pass('session revocations reach every app')
    t.same(
      membershipPushes(chat),
      [ensured.membership, room.id],
      'the app hears of the owner and the grant in its namespace, not of the grant in hr',
    )
    t.same(membershipPushes(other), [], 'another app hears of neither')
    t.same(membershipPushes(wikiChannel), [editors.id], 'the namespace an app claimed at registration is its own')

    t.match(
      await runAppCommand(ctx, 'allow', 'chat', 'hr', '--read'),
      [/app chat may now read the namespace hr/],
      'an admin lets the app read a namespace',
    )
    t.match(await chat.request({ type: 'query', user: aliceId, group: 'hr/payroll' }), { member: true })
    t.match(
      await chat.request({ type: 'grant', user: aliceId, path: 'hr/payroll' }),
      { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
      'reading is not managing',
    )
    await ctx.groups.membership.remove(payroll.id)
    await marker()
    t.same(
      membershipPushes(chat),
      [ensured.membership, room.id, payroll.id],
      'changes in a namespace it reads reach it',
    )
    t.same(membershipPushes(other), [])

    const replayed = await hello(await ctx.apps.add('late'))
    t.same(membershipPushes(replayed), [], 'a replay holds no pushes about namespaces the app may not see')
    t.ok(
      replayed.messages.some(m => m.type === 'revoked'),
      'and every session revocation of the last lease lifetime',
    )

    // The OpenID Connect side: the groups claim lists the client's own namespaces, not those it may read.
    await runAppCommand(ctx, 'allow', 'wiki', 'hr', '--read')
    await ctx.groups.membership.grant(aliceId, 'hr/staff')
    const rp = await client.discovery(new URL(wiki.issuer), wiki.id, undefined, client.ClientSecretBasic(wiki.secret), {
      execute: [client.allowInsecureRequests],
    })
    t.same(
      (await signInTo({ rp }, new Browser(alice))).claims()!.groups,
      ['wiki/editors'],
      "the groups claim holds only the client's own namespace",
    )
  })
}
