import t from 'tap'
import * as client from 'openid-client'
import { freePort } from '../helpers/free-port.js'
import { spawnTs } from '../helpers/realtime.js'
import { PATIENCE_MS, within } from '../helpers/wait.js'
import { Browser, oidcSetup, signInTo } from './fixture.js'
import { logoutReceiver } from './logout-receiver.js'
import { decodeJwt } from 'jose'

const SESSIONS = 6

/** How far a server's revocation feed has read, from its metrics port's `GET /ready` (docs/operating.md). */
async function feedCursor(metrics: string): Promise<number> {
  return ((await (await fetch(`${metrics}/ready`)).json()) as { checks: { feed: { cursor: number } } }).checks.feed
    .cursor
}

t.test('several server processes sharing the database: each logout token is sent once', async t => {
  const receiver = await logoutReceiver(t)
  const setup = await oidcSetup(t, { backchannelLogoutUri: receiver.uri })
  const { server } = setup
  // Two more server processes on the same run/ folder and public URL, as nodes behind one name.
  const others = await Promise.all(
    [1, 2].map(async () => {
      const port = await freePort()
      const metricsPort = await freePort()
      const child = await spawnTs(
        t,
        'src/main.ts',
        {
          LOGIN_RUN_DIR: server.config.runDir,
          LOGIN_PUBLIC_URL: server.base,
          LOGIN_DEBUG: '1',
          LOGIN_LOG_LEVEL: 'info',
          LOGIN_HOST: '127.0.0.1',
          LOGIN_PORT: String(port),
          LOGIN_RATE_LIMIT: '100000',
          LOGIN_METRICS_PORT: String(metricsPort),
        },
        // Generous: a busy machine takes long to start a server.
        { ready: line => line.includes('"msg":"modular-login ready"'), timeoutMs: 100_000 },
      )
      return { base: `http://127.0.0.1:${port}`, metrics: `http://127.0.0.1:${metricsPort}`, child }
    }),
  )
  const bases = [server.base, ...others.map(other => other.base)]

  const sids: string[] = []
  for (let i = 0; i < SESSIONS; i++) {
    const cookie = await server.signIn(`user${i}`)
    const tokens = await signInTo(setup, new Browser(cookie))
    sids.push(tokens.claims()!.sid as string)
    // Signing out through each process in turn: every process hears of it, one sends.
    const base = bases[i % bases.length]!
    const out = await fetch(`${base}/login/logout`, { method: 'POST', headers: { cookie } })
    t.equal(out.status, 200, `signed out through process ${(i % bases.length) + 1}`)
    t.equal(decodeJwt(await receiver.next()).sid, sids[i], 'its logout token arrives')
    const refused = await client.refreshTokenGrant(setup.rp, tokens.refresh_token!).then(
      () => null,
      (error: unknown) => error,
    )
    t.match(refused, { error: 'invalid_grant' })
  }
  // Once every process has read the whole revocation log, stopping them waits for the logout tokens they are
  // sending (src/oidc/endings.ts): then every token that was going to come has come.
  const head = await server.app.ctx.revocations.head()
  await within(PATIENCE_MS, async () => {
    const cursors = await Promise.all(others.map(({ metrics }) => feedCursor(metrics)))
    return [server.app.ctx.feed.position, ...cursors].every(cursor => cursor >= head)
  })
  await Promise.all(others.map(({ child }) => child.kill('SIGTERM')))
  await server.app.close()
  t.same(
    receiver.tokens.map(token => decodeJwt(token).sid),
    sids,
    'one logout token per session, no more',
  )
})
