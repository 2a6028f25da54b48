import t from 'tap'
import { createLoginClient } from 'modular-login-client'
import { liveServer, within } from '../helpers/realtime.js'

// Long enough that only a push, never the cache's own expiry, can explain a changed answer within the test.
const MEMBERSHIP_TTL_MS = 10 * 60 * 1000

t.test("an app's cached 'not a member' ends the moment someone joins; its 'member' when access expires", async t => {
  const server = await liveServer(t)
  const app = await server.addApp()
  const login = createLoginClient({ server: server.url, app, logger: false, membershipTtlMs: MEMBERSHIP_TTL_MS })
  t.teardown(() => login.close())
  await login.ready()
  await server.app.ctx.groups.tree.ensureNamespace('club', 'test', 'boss')
  // The administrator's namespace: the app hears of it once allowed to read it (docs/protocol.md, "Apps are scoped").
  await server.app.ctx.groups.appScope.allow(app.id, 'club', { read: true })
  const cookie = await server.signIn('guest')
  const guest = (await server.app.ctx.users.findByIdentity('test', 'guest'))!.id

  t.match(await login.authenticate({ cookie, group: 'club' }), { status: 'forbidden' }, 'not a member yet (cached)')
  const link = await server.app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { cookie: await server.signIn('boss'), 'content-type': 'application/json' },
    payload: JSON.stringify({ invitations: [{ accessing: 'club', access_duration: 60 }] }),
  })
  t.equal(link.statusCode, 200)
  const accepted = await server.app.inject({
    method: 'POST',
    url: `/login/access/add/${link.json().short}`,
    headers: { cookie, 'content-type': 'application/json' },
    payload: '{}',
  })
  t.equal(accepted.statusCode, 200, 'the guest accepts')
  await within(10_000, async () => (await login.authenticate({ cookie, group: 'club' })).status === 'ok')
  t.pass("the app's next requests pass")

  // The access ends after 60 s of the server's clock: the expiry is pushed like any other change.
  server.clock.advance(61)
  await within(10_000, async () => (await login.authenticate({ cookie, group: 'club' })).status === 'forbidden')
  t.pass('once it expired, the app refuses again')
  t.notOk(await server.app.ctx.groups.membership.isMember(guest, 'club'))

  t.match(await login.authenticate({ cookie, group: 'club/vip' }), { status: 'forbidden' }, 'cached again')
  await server.app.ctx.groups.membership.grant(guest, 'club/vip')
  await within(10_000, async () => (await login.authenticate({ cookie, group: 'club/vip' })).status === 'ok')
  t.pass('a direct grant is pushed too')
})
