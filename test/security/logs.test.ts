// Invitation ids and short codes are bearer links, OAuth and OpenID Connect requests carry bearer values, and device
// user codes are bearer-like: whoever reads the log must not be able to join, sign in, resume a sign-in or sign a
// device in with them.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { randomUUID } from 'node:crypto'
import { toShort } from '../../src/groups/shortcode.js'
import { clientSettings } from '../../src/oidc/client-settings.js'
import { leaseCookie, testConfig } from '../helpers/app.js'
import { startFakeProviders } from '../helpers/fake-providers.js'
import { openLink } from '../helpers/invitations.js'
import { consent, locationOf, startMockIssuer, startOAuthApp } from '../helpers/oauth.js'
import { REDIRECT_URI } from '../oidc/fixture.js'

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
    lines.some(line => line.includes('/login/access/accept/[redacted]')),
    'the paths are logged with the code left out',
  )
  const leaking = lines.filter(line => line.includes(long) || line.includes(short))
  t.same(leaking, [], 'no line holds the id or the short code')
})

/** A log line and what it reads as once percent-decoded, again and again. */
function decodings(line: string): string[] {
  const all = [line]
  for (;;) {
    let decoded: string
    try {
      decoded = decodeURIComponent(all[all.length - 1]!)
    } catch {
      return all
    }
    if (decoded === all[all.length - 1]) return all
    all.push(decoded)
  }
}

/** `text` with every character percent-encoded, as a visitor may send it. */
const everyCharEncoded = (text: string) =>
  [...Buffer.from(text)].map(byte => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')

t.test('bearer values in URLs never reach the log, whatever route carries them', async t => {
  const fake = await startFakeProviders(t)
  const issuer = await startMockIssuer(t)
  const lines: string[] = []
  const { app, base, browser } = await startOAuthApp(
    t,
    { ...fake.credentials, oidc: { corp: { issuer: issuer.issuer.url!, id: 'corp-client', secret: 'corp-secret' } } },
    { logLevel: 'trace' },
    { logStream: { write: line => void lines.push(line) } },
  )
  const owner = (await app.ctx.groups.tree.ensureNamespace('club', 'test', 'owner')).owner.id
  /** What must not be logged, in any form. */
  const secrets: string[] = []
  const hidden = (value: string) => {
    secrets.push(value, encodeURIComponent(value), everyCharEncoded(value))
    return value
  }

  // A signed-out invitee's sign-in buttons carry the invitation in `next`, through every provider's route.
  const routes = [
    (next: string) => `/login?next=${next}`,
    (next: string) => `/login/test?next=${next}`,
    (next: string) => `/login/test/as?who=invitee&next=${next}`,
    ...['google', 'github', 'facebook', 'oidc/corp'].flatMap(provider => [
      (next: string) => `/login/${provider}?next=${next}`,
      (next: string) => `/login/link/${provider}?next=${next}`,
    ]),
  ]
  let signIns = 0
  for (const route of routes) {
    const { id } = await app.ctx.groups.invitations.create(owner, openLink('club'))
    for (const code of [hidden(id), hidden(toShort(id))]) {
      for (const path of [`/login/access/accept/${code}`, `/login/access/accept/${everyCharEncoded(code)}`]) {
        const b = browser()
        let answer = await b.get(route(encodeURIComponent(path)))
        // The OAuth providers (fake ones on loopback) consent at once and send the browser back.
        if (answer.status === 302 && !locationOf(answer).href.startsWith(base))
          answer = await b.get(await consent(locationOf(answer)))
        if (answer.status === 303) {
          signIns++
          await b.get(locationOf(answer)) // the invitation itself
        }
      }
    }
  }
  t.ok(signIns >= 20, `the invitee signed in through the routes (${signIns} sign-ins)`)

  // The OpenID Provider: an interaction id in the path, the client's state and a request object in the query.
  const client = await app.ctx.apps.add('grafana', clientSettings({ redirectUris: [REDIRECT_URI] }))
  const authorize = (extra: Record<string, string> = {}) =>
    `/login/oidc/auth?${new URLSearchParams({
      client_id: client.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: hidden(`state-${randomUUID()}`),
      nonce: hidden(`nonce-${randomUUID()}`),
      ...extra,
    })}`
  const b = browser()
  const interaction = locationOf(await b.get(authorize()))
  t.match(interaction.pathname, /^\/login\/oidc\/interaction\/[\w-]+$/, 'sent to the interaction step')
  hidden(interaction.pathname.split('/').pop()!)
  const signIn = locationOf(await b.get(interaction))
  const signedIn = await b.get(
    `/login/test/as?who=client-user&next=${encodeURIComponent(signIn.searchParams.get('next')!)}`,
  )
  const resumed = locationOf(await b.get(locationOf(signedIn)))
  t.match(resumed.pathname, /^\/login\/oidc\/auth\/[\w-]+$/, 'the authorization resumes')
  const landed = locationOf(await b.get(resumed))
  t.ok(landed.href.startsWith(REDIRECT_URI), 'and the client gets its answer')
  hidden(landed.searchParams.get('code')!)
  await browser().get(authorize({ request: hidden(`eyJhbGciOiJub25lIn0.${randomUUID()}.`) }))

  t.ok(
    lines.some(line => line.includes('"url":"/login/access/accept/[redacted]"')),
    'a path parameter that is a bearer value is logged as [redacted]',
  )
  t.ok(
    lines.some(line => line.includes('/login/test/as?who=invitee&next=[redacted]')),
    'next is logged as [redacted], harmless query names as they are',
  )
  const leaking = lines.filter(line => decodings(line).some(text => secrets.some(secret => text.includes(secret))))
  t.same(leaking, [], 'no line holds an invitation code, interaction id, state, nonce, request object or code')
})

t.test('no device user code reaches the log, nor the device code', async t => {
  const lines: string[] = []
  const config = testConfig(t, { logLevel: 'trace' })
  const app = await buildApp(config, { clock: new ManualClock(), logStream: { write: line => void lines.push(line) } })
  t.teardown(() => app.close())
  const tv = await app.ctx.apps.add('tv', clientSettings({ device: true, public: true }))
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
    lines.some(line => line.includes('/login/device?user_code=[redacted]')),
    'the page is logged with the code left out',
  )
  const normalised = userCode.replace('-', '')
  const leaking = lines.filter(line =>
    decodings(line).some(
      text =>
        text.includes(userCode) ||
        text.includes(normalised) ||
        text.toUpperCase().includes(userCode) ||
        text.includes(deviceCode),
    ),
  )
  t.same(leaking, [], 'no line holds the user code (in any case, with or without its dash) or the device code')
})
