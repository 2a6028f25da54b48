// Behind a reverse proxy, the address a session records and the per-IP sign-in limit counts must be the visitor's
// as the proxy saw it: neither the proxy's own (one limit shared by everyone) nor whatever the visitor wrote in an
// X-Forwarded-For header of their own (a session address of their choosing, and a fresh limit per request).
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { freePort, serveApp, startApp, type ServedApp } from '../helpers/app.js'
import { getFrom, nginxMissing, startNginx } from '../helpers/nginx.js'

/** What `LOGIN_TRUST_PROXY` becomes, read as the server reads it. */
const trusting = (value: string) => loadConfig({ LOGIN_TRUST_PROXY: value }, { credentialsPath: null }).trustProxy

/** The addresses recorded by the sessions of the `test` account `who`. */
async function sessionAddresses(served: Pick<ServedApp, 'app'>, who: string): Promise<string[]> {
  const user = await served.app.ctx.users.findByIdentity('test', who)
  if (!user) return []
  return (await served.app.ctx.sessions.list(user.id)).map(session => session.ip)
}

const missing = nginxMissing()
t.test('through the documented nginx block with LOGIN_TRUST_PROXY=1', { skip: missing ?? false }, async t => {
  const port = await freePort()
  const limit = 4
  const served = await serveApp(t, {
    publicUrl: `http://localhost:${port}`,
    trustProxy: trusting('1'),
    rateLimit: limit,
  })
  await startNginx(t, port, Number(new URL(served.base).port), await freePort())
  // Visitors connect to nginx from addresses of their own: nginx itself reaches the login server from 127.0.0.1.
  const signIn = (from: string, who: string, forged?: string) =>
    getFrom(from, `http://127.0.0.1:${port}/login/test/as?who=${who}`, {
      host: `localhost:${port}`,
      ...(forged ? { 'x-forwarded-for': forged } : {}),
    })

  t.equal((await signIn('127.0.0.2', 'mallory', '203.0.113.9')).status, 303, 'signed in')
  t.same(await sessionAddresses(served, 'mallory'), ['127.0.0.2'], 'the session holds the address nginx saw')

  const statuses: number[] = []
  for (let i = 0; i < limit + 3; i++) statuses.push((await signIn('127.0.0.2', 'mallory', `198.51.100.${i}`)).status)
  t.same(
    statuses,
    [...Array<number>(limit - 1).fill(303), ...Array<number>(4).fill(429)],
    'a new X-Forwarded-For on every attempt does not escape the per-IP limit',
  )
  t.notOk(
    (await sessionAddresses(served, 'mallory')).some(ip => ip !== '127.0.0.2'),
    'no session holds a forged address',
  )

  t.equal((await signIn('127.0.0.3', 'alice')).status, 303, 'another visitor has a limit of their own')
  t.same(await sessionAddresses(served, 'alice'), ['127.0.0.3'], "and their own address, not nginx's")
})

t.test('LOGIN_TRUST_PROXY: a hop count or the proxies, never every hop', async t => {
  const forwarded = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7, 10.0.0.5' }
  const cases: { setting: string; ip: string }[] = [
    { setting: 'off', ip: '127.0.0.1' },
    { setting: '1', ip: '10.0.0.5' },
    { setting: '2', ip: '198.51.100.7' },
    { setting: '127.0.0.1', ip: '10.0.0.5' },
    { setting: '127.0.0.0/8, 10.0.0.0/8', ip: '198.51.100.7' },
    { setting: 'loopback', ip: '10.0.0.5' },
  ]
  for (const { setting, ip } of cases) {
    const { app } = await startApp(t, { trustProxy: trusting(setting) })
    const who = `visitor-${cases.findIndex(c => c.setting === setting)}`
    const response = await app.inject({
      url: `/login/test/as?who=${who}`,
      remoteAddress: '127.0.0.1',
      headers: forwarded,
    })
    t.equal(response.statusCode, 303)
    t.same(await sessionAddresses({ app }, who), [ip], `LOGIN_TRUST_PROXY=${setting}: the session holds ${ip}`)
  }

  for (const setting of ['true', 'yes', 'on']) {
    t.throws(
      () => trusting(setting),
      { code: 'LOGIN_ERR_CONFIG', message: /LOGIN_TRUST_PROXY .*every hop.*1 for one proxy/ },
      `${setting} is refused, with what to write instead`,
    )
  }
  for (const setting of ['-1', '10.0.0.300', 'proxy.example.org', '10.0.0.0/33'])
    t.throws(
      () => trusting(setting),
      { code: 'LOGIN_ERR_CONFIG', message: /LOGIN_TRUST_PROXY/ },
      `${setting} is refused`,
    )
})
