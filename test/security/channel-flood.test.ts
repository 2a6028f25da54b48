// Floods over the realtime channel (docs/protocol.md, "Limits and close codes"): one app sending requests as fast
// as it can gets LOGIN_ERR_RATE_LIMITED replies beyond its budget, keeps its connection, and takes nothing from
// other apps or from HTTP clients.
import t from 'tap'
import { liveServer, RawClient, within } from '../helpers/realtime.js'

const RATE = 50
const FLOOD = 3000

t.test('an app flooding query is rate-limited on its own budget; other apps and HTTP are served', async t => {
  const server = await liveServer(t, { channelRateLimit: RATE })
  const cookie = await server.signIn('bob')
  const bob = (await server.app.ctx.users.findByIdentity('test', 'bob'))!
  await server.app.ctx.groups.tree.ensureNamespace('chat', 'test', '127.0.0.1')
  await server.app.ctx.groups.membership.grant(bob.id, 'chat/room')

  const floodApp = await server.addApp('flood')
  const otherApp = await server.addApp('other')
  // The administrator's namespace: both apps may ask about it once allowed to read it.
  for (const app of [floodApp, otherApp]) await server.app.ctx.groups.appScope.allow(app.id, 'chat', { read: true })
  const flood = (await RawClient.hello(server.url, floodApp)).client
  const other = (await RawClient.hello(server.url, otherApp)).client
  t.teardown(() => {
    flood.close()
    other.close()
  })
  const start = performance.now()
  for (let i = 0; i < FLOOD; i++) flood.send({ type: 'query', id: `f${i}`, user: bob.id, group: 'chat/room' })

  // Meanwhile another app asks, and a browser's request goes through forward-auth.
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => other.request({ type: 'query', user: bob.id, group: 'chat/room' }, 30_000)),
  )
  t.same(
    answers.map(answer => [answer.type, answer.member]),
    Array.from({ length: 20 }, () => ['member', true]),
    'the other app is answered, and not rate-limited: the budget is per app',
  )
  const check = await fetch(`${server.url}/login/check?group=chat%2Froom`, { headers: { cookie } })
  t.equal(check.status, 200, 'HTTP requests are served during the flood')

  const replies = () => flood.messages.filter(m => typeof m.id === 'string' && m.id.startsWith('f'))
  await within(60_000, () => replies().length >= FLOOD, 20)
  const elapsed = (performance.now() - start) / 1000
  const all = replies()
  t.equal(new Set(all.map(m => m.id)).size, FLOOD, 'every request got one reply, with its id')
  const answered = all.filter(m => m.type === 'member')
  const limited = all.filter(m => m.type === 'error' && m.code === 'LOGIN_ERR_RATE_LIMITED')
  t.equal(answered.length + limited.length, FLOOD, 'answered or refused as rate-limited, nothing else')
  t.ok(
    answered.length <= RATE + RATE * elapsed + 1,
    `${answered.length} answered in ${elapsed.toFixed(2)} s: at most a burst of ${RATE} and ${RATE} a second`,
  )
  t.ok(limited.length > 0, `${limited.length} refused with LOGIN_ERR_RATE_LIMITED`)
  t.match(limited[0], { message: /^Too many requests, retry in \d+ ms$/ })

  t.equal(flood.closed, null, 'the flooding connection is kept')
  await within(5_000, async () => (await flood.request({ type: 'ping' })).type === 'pong', 50)
  t.pass('and answers again once its budget refills')
})
