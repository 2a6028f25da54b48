// Invitation ids and short codes are bearer links, device user codes bearer-like: whoever reads the log must not be
// able to join or sign a device in with them.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { clientSettings } from '../../src/oidc/client-settings.js'
import { AppService } from '../../src/realtime/apps.js'
import { leaseCookie, testConfig } from '../helpers/app.js'

t.test('no invitation id or short code reaches the log', async t => {
  const lines: string[] = []
  const config = testConfig(t, { logLevel: 'trace' })
  const app = await buildApp(config, { clock: new ManualClock(), logStream: { write: line => void lines.push(line) } })
  t.teardown(() => app.close())
  const signIn = async (who: string) =>
    leaseCookie(config, (await app.inject({ url: `/login/test/as?who=${who}` })).headers['set-cookie'])
  await app.ctx.groups.tree.ensureNamespace('club', 'test', 'owner')
  const owner = await signIn('owner')
  const guest = await signIn('guest')
  const json = { 'content-type': 'application/json' }

  const created = await app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { cookie: owner, ...json },
    payload: JSON.stringify({ invitations: [{ accessing: 'club' }] }),
  })
  const { long, short } = created.json() as { long: string; short: string }
  for (const code of [long, short]) {
    for (const url of [
      `/login/access/accept/${code}`,
      `/login/access/qr/accept/${code}`,
      `/login/access/qr/img/${code}`,
      `/login/access/accept/${code}?x=1`,
      `/login/access/accept/${code}/no-such-page`,
    ]) {
      await app.inject({ url, headers: { cookie: guest } })
      await app.inject({ url, headers: { cookie: owner } })
    }
  }
  await app.inject({
    method: 'POST',
    url: `/login/access/add/${short}`,
    headers: { cookie: guest, ...json },
    payload: '{}',
  })
  await app.inject({
    method: 'POST',
    url: `/login/access/add/${short}`,
    headers: { cookie: guest, ...json },
    payload: '{}',
  })
  for (const who of [guest, owner, owner]) {
    await app.inject({
      method: 'POST',
      url: '/login/access/cancel',
      headers: { cookie: who, ...json },
      payload: JSON.stringify({ invitations: [long] }),
    })
  }

  t.ok(lines.length > 20, `the requests were logged (${lines.length} lines)`)
  t.ok(
    lines.some(line => line.includes('/login/access/accept/…')),
    'the paths are logged with the code left out',
  )
  const leaking = lines.filter(line => line.includes(long) || line.includes(short))
  t.same(leaking, [], 'no line holds the id or the short code')
})

t.test('no device user code reaches the log, nor the device code', async t => {
  const lines: string[] = []
  const config = testConfig(t, { logLevel: 'trace' })
  const app = await buildApp(config, { clock: new ManualClock(), logStream: { write: line => void lines.push(line) } })
  t.teardown(() => app.close())
  await new AppService(app.ctx).add('tv', clientSettings({ device: true, public: true }))
  const tv = (await new AppService(app.ctx).find('tv'))!
  const started = await app.inject({
    method: 'POST',
    url: '/login/oidc/device/auth',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `client_id=${tv.id}&scope=openid`,
  })
  const { user_code: userCode, device_code: deviceCode } = started.json() as { user_code: string; device_code: string }
  const cookie = leaseCookie(config, (await app.inject({ url: '/login/test/as?who=tess' })).headers['set-cookie'])
  const encoded = encodeURIComponent(`/login/device?user_code=${userCode}`)
  for (const url of [`/login/device?user_code=${userCode}`, `/login/device?x=1&user_code=${userCode}&y=2`])
    for (const cookies of [{}, { cookie }]) await app.inject({ url, headers: { accept: 'text/html', ...cookies } })
  await app.inject({ url: `/login?next=${encoded}`, headers: { accept: 'text/html' } })
  await app.inject({ url: `/login/test/as?who=tess&next=${encoded}` })
  await app.inject({ url: `/login/device?user_code=${userCode.toLowerCase()}-wrong`, headers: { cookie } })
  await app.inject({
    method: 'POST',
    url: '/login/oidc/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `client_id=${tv.id}&grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=${deviceCode}`,
  })

  t.ok(
    lines.some(line => line.includes('/login/device?user_code=…')),
    'the page is logged with the code left out',
  )
  const normalised = userCode.replace('-', '')
  const leaking = lines.filter(
    line =>
      line.includes(userCode) ||
      line.includes(normalised) ||
      line.toUpperCase().includes(userCode) ||
      line.includes(deviceCode),
  )
  t.same(leaking, [], 'no line holds the user code (in any case, with or without its dash) or the device code')
})
