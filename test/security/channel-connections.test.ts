// One app opening many connections to /login/ws: their number is capped per app, and the request budget is the
// app's, shared by all its connections, not each connection's (docs/protocol.md, "Limits and close codes").
import t from 'tap'
import { CloseCode, PROTOCOL_VERSION } from 'modular-login-client/protocol'
import { serveApp } from '../helpers/app.js'
import { RawClient, within } from '../helpers/realtime.js'

const CAP = 3
const RATE = 10
const PINGS = 60

t.test('connections per app are capped, and their requests share one budget', async t => {
  const server = await serveApp(t, { channelConnectionsPerApp: CAP, channelRateLimit: RATE })
  const { ctx } = server.app
  const app = await ctx.apps.add('many')
  const open: RawClient[] = []
  t.teardown(() => open.forEach(c => c.close()))
  for (let i = 0; i < CAP; i++) open.push((await RawClient.hello(server.base, app)).client)

  const newest = await RawClient.open(server.base)
  open.push(newest)
  newest.send({ type: 'hello', version: PROTOCOL_VERSION, app: app.id, secret: app.secret })
  t.match(
    await newest.closedWith(),
    { code: CloseCode.TooManyConnections, reason: /^LOGIN_ERR_RATE_LIMITED: .*\b3\b/ },
    'the connection beyond the cap is refused, saying why',
  )
  const others = (await RawClient.hello(server.base, await ctx.apps.add('another'))).client
  open.push(others)
  t.pass("another app's connections do not count")
  t.equal(open.slice(0, CAP).filter(c => c.closed).length, 0, 'the connections already open stay open')

  open[0]!.close()
  await within(10_000, async () => {
    const again = await RawClient.open(server.base)
    open.push(again)
    again.send({ type: 'hello', version: PROTOCOL_VERSION, app: app.id, secret: app.secret })
    const first = await Promise.race([again.next('welcome').catch(() => null), again.closedWith().then(() => null)])
    return first !== null
  })
  t.pass('once one closes, another may open')

  // Every open connection of the app sends as fast as it can.
  const flooding = open.filter(c => !c.closed && c !== others)
  t.equal(flooding.length, CAP)
  const start = performance.now()
  flooding.forEach((c, n) => {
    for (let i = 0; i < PINGS; i++) c.send({ type: 'ping', id: `c${n}-${i}` })
  })
  const replies = () => flooding.flatMap(c => c.messages.filter(m => typeof m.id === 'string' && m.id.startsWith('c')))
  await within(60_000, () => replies().length >= CAP * PINGS, 20)
  const elapsed = (performance.now() - start) / 1000
  const answered = replies().filter(m => m.type === 'pong').length
  t.ok(
    answered <= RATE + RATE * elapsed + 1,
    `${answered} of ${CAP * PINGS} answered in ${elapsed.toFixed(2)} s over ${CAP} connections: ` +
      `at most one burst of ${RATE} and ${RATE} a second for the app`,
  )
  t.ok(
    replies().every(m => m.type === 'pong' || m.code === 'LOGIN_ERR_RATE_LIMITED'),
    'the rest are refused as rate-limited',
  )
  t.match(await others.request({ type: 'ping' }), { type: 'pong' }, "another app's budget is its own")
})
