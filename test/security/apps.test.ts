// A client application trying to act outside its namespaces over /login/ws.
import t from 'tap'
import { appCommand } from '../../src/cli/apps.js'
import { liveServer, RawClient } from '../helpers/realtime.js'

t.test('an app manages only the namespaces it created or was allowed on', async t => {
  const server = await liveServer(t)
  const chatApp = await server.addApp('chat-app')
  const otherApp = await server.addApp('other-app')
  const chat = (await RawClient.hello(server.url, chatApp)).client
  const other = (await RawClient.hello(server.url, otherApp)).client
  t.teardown(() => {
    chat.close()
    other.close()
  })
  await server.signIn('alice')
  const alice = (await server.app.ctx.users.findByIdentity('test', 'alice'))!.id

  const created = await chat.request({ type: 'ensure', path: 'chat', owner: 'test:owner' })
  t.equal(created.type, 'ensured', 'a namespace that does not exist yet becomes the app creating it')
  const granted = await chat.request({ type: 'grant', user: alice, path: 'chat/room' })
  t.equal(granted.type, 'granted', 'and it grants inside it')
  const membership = (granted.membership as { id: string }).id

  const attacks: [string, Record<string, unknown>][] = [
    [
      'ensure itself an owner of a namespace it does not manage',
      { type: 'ensure', path: 'chat', owner: 'test:mallory' },
    ],
    ['ensure a subgroup of it', { type: 'ensure', path: 'chat/mine', owner: 'test:mallory' }],
    ['grant power 2 in it', { type: 'grant', user: alice, path: 'chat', deauthorizes: 2 }],
    ['remove a membership of it', { type: 'remove', membership }],
    ['ask about a membership in it', { type: 'query', user: alice, group: 'chat/room' }],
  ]
  for (const [what, request] of attacks) {
    const reply = await other.request(request)
    t.match(reply, { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' }, `another app cannot ${what}`)
  }
  t.ok(await server.app.ctx.groups.membership.isMember(alice, 'chat/room'), 'nothing was removed')
  t.notOk(await server.app.ctx.users.findByIdentity('test', 'mallory'), 'nobody became an owner')

  await server.app.ctx.groups.tree.ensureNamespace('admin-made', 'test', 'root')
  t.match(
    await chat.request({ type: 'grant', user: alice, path: 'admin-made' }),
    { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
    'a namespace the administrator made is nobody else’s either',
  )

  const lines: string[] = []
  const print = (line: string) => lines.push(line)
  await t.rejects(
    appCommand(['allow', 'other-app', 'chat'], server.app.ctx, print),
    { code: 'LOGIN_ERR_CONFLICT' },
    "nor does an admin hand it another app's namespace without saying so",
  )
  await appCommand(['allow', 'other-app', 'admin-made'], server.app.ctx, print)
  const granted2 = await other.request({ type: 'grant', user: alice, path: 'admin-made/room' })
  t.match(granted2, { type: 'granted' }, 'once an admin allows it, it may')
  const second = (granted2.membership as { id: string }).id
  t.match(await other.request({ type: 'remove', membership: second }), { type: 'removed', memberships: [second] })
  await appCommand(['list'], server.app.ctx, print)
  t.match(lines.join('\n'), /other-app\t.*namespaces admin-made \(allowed\)/)
  t.match(lines.join('\n'), /chat-app\t.*namespaces chat \(created\)/)

  await appCommand(['deny', 'other-app', 'admin-made'], server.app.ctx, print)
  t.match(
    await other.request({ type: 'grant', user: alice, path: 'admin-made/room' }),
    { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
    'and once denied, no longer',
  )
})

t.test('an app allowed on a namespace may remove an owner, but never the last', async t => {
  const server = await liveServer(t)
  const app = await server.addApp('ops')
  const client = (await RawClient.hello(server.url, app)).client
  t.teardown(() => client.close())
  const ensured = await client.request({ type: 'ensure', path: 'team', owner: 'test:first' })
  t.match(
    await client.request({ type: 'remove', membership: ensured.membership }),
    { type: 'error', code: 'LOGIN_ERR_CONFLICT' },
    'the last owner stays',
  )
})
