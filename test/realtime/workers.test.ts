// LOGIN_WORKERS=2: apps connected to either worker hear of revocations made through either.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { freePort, sidOf, signInOverHttp, testConfig } from '../helpers/app.js'
import { RawClient, spawnTs } from '../helpers/realtime.js'

t.test("two workers on one port relay each other's revocations", async t => {
  const config = testConfig(t)
  const setup = await buildApp(config, { logger: false })
  const creds = await setup.ctx.apps.add('workers')
  await setup.close()

  const port = await freePort()
  let ready = 0
  await spawnTs(
    t,
    '../../src/main.ts',
    {
      LOGIN_RUN_DIR: config.runDir,
      LOGIN_DEBUG: '1',
      LOGIN_LOG_LEVEL: 'info',
      LOGIN_RATE_LIMIT: '100000',
      LOGIN_HOST: '127.0.0.1',
      LOGIN_PORT: String(port),
      LOGIN_WORKERS: '2',
    },
    { ready: line => line.includes('"msg":"modular-login ready"') && ++ready === 2 },
  )
  const url = `http://127.0.0.1:${port}`

  // Round-robin hands successive connections to alternate workers.
  const clients = await Promise.all(Array.from({ length: 6 }, () => RawClient.hello(url, creds).then(c => c.client)))
  t.teardown(() => clients.forEach(c => c.close()))

  for (const who of ['ann', 'ben']) {
    const cookie = await signInOverHttp(url, who)
    const sid = sidOf(cookie)
    const start = performance.now()
    t.equal((await fetch(`${url}/login/logout`, { method: 'POST', headers: { cookie } })).status, 200)
    const pushed = await Promise.all(clients.map(c => c.next('revoked')))
    t.ok(
      pushed.every(m => m.sid === sid),
      `every connection, on either worker, heard of ${who}'s logout`,
    )
    t.comment(`within ${(performance.now() - start).toFixed(0)} ms`)
  }
})
