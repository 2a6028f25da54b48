import t from 'tap'
import * as client from 'openid-client'
import { clientSettings, type ClientSettingsInput } from '../../src/oidc/client-settings.js'
import { TRIES_PER_CODE, WRONG_CODES_PER_ADDRESS } from '../../src/oidc/device.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import { OidcStore } from '../../src/storage/oidc.js'
import { serveApp, type ServedApp } from '../helpers/app.js'
import { formTokenIn } from '../helpers/csrf.js'
import { Browser } from './fixture.js'

const SCOPE = 'openid profile email groups offline_access'

/** A client registered with `--device` (and whatever else), as a TV or command-line tool configures openid-client. */
async function deviceClient(server: ServedApp, name: string, settings: ClientSettingsInput = {}) {
  const app = await server.app.ctx.apps.add(name, clientSettings({ device: true, public: true, ...settings }))
  const auth = app.secret === null ? client.None() : client.ClientSecretBasic(app.secret)
  const rp = await client.discovery(new URL(issuerOf(server.config)), app.id, undefined, auth, {
    execute: [client.allowInsecureRequests],
  })
  return { app, rp }
}

/** The device's next poll, at once (openid-client would first wait the five seconds RFC 8628 asks for). */
function poll(rp: client.Configuration, started: client.DeviceAuthorizationResponse) {
  return client.pollDeviceAuthorizationGrant(rp, { ...started, interval: 0 })
}

/** The device's poll as raw HTTP: what the token endpoint answers now. */
async function pollOnce(server: ServedApp, clientId: string, deviceCode: string) {
  const response = await fetch(`${issuerOf(server.config)}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: deviceCode,
      client_id: clientId,
    }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** What a promise was rejected with (undefined when it was not). */
function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  )
}

/** Opens `url` in `browser` and answers the page's HTML. */
async function page(browser: Browser, url: string) {
  const response = await browser.fetch(url, { headers: { accept: 'text/html' } })
  return { status: response.status, html: await response.text() }
}

/** Submits the device page's form as a browser does (its form token included). */
async function submit(browser: Browser, server: ServedApp, html: string, fields: Record<string, string>) {
  const body = new URLSearchParams({ _csrf: formTokenIn(html), ...fields })
  const response = await browser.fetch(`${server.base}/login/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body,
  })
  return { status: response.status, html: await response.text() }
}

t.test('a TV signs in: the QR link opens the page, the person allows, the device polls its tokens', async t => {
  const server = await serveApp(t, { deviceCodeSeconds: 300 })
  const { app, rp } = await deviceClient(server, 'living-room-tv')
  const started = await client.initiateDeviceAuthorization(rp, { scope: SCOPE })
  t.equal(started.verification_uri, `${server.base}/login/device`, 'the page of this site')
  t.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
  t.equal(started.verification_uri_complete, `${server.base}/login/device?user_code=${started.user_code}`)
  t.equal(started.expires_in, 300, 'codes last LOGIN_DEVICE_CODE_SECONDS')
  t.match(await pollOnce(server, app.id, started.device_code), {
    status: 400,
    body: { error: 'authorization_pending' },
  })

  // Signed out, the QR link leads through the sign-in page and back.
  const browser = new Browser()
  const signIn = await browser.visit(started.verification_uri_complete!, `${server.base}/login?`)
  const next = signIn.url.searchParams.get('next')!
  t.equal(next, `/login/device?user_code=${started.user_code}`)
  const back = await browser.visit(`${server.base}/login/test/as?who=Tess&next=${encodeURIComponent(next)}`)
  t.equal(back.response?.status, 200)
  const confirm = await back.response!.text()
  t.match(confirm, /<strong>living-room-tv<\/strong> asks to sign in as you, <strong>Tess<\/strong>, on a device/)
  t.match(confirm, new RegExp(`<code id="shown-code">${started.user_code}</code>`))
  t.match(confirm, /<dt>Device<\/dt><dd>[^<]+<\/dd>/, 'what the device said it is')

  const allowed = await submit(browser, server, confirm, { user_code: started.user_code, decision: 'allow' })
  t.equal(allowed.status, 200)
  t.match(allowed.html, /is signed in as you on the device/)

  const tokens = await poll(rp, started)
  const tess = (await server.app.ctx.users.findByIdentity('test', 'Tess'))!
  t.match(tokens.claims(), { sub: tess.id, name: 'Tess', preferred_username: 'Tess', groups: [] })
  t.equal(tokens.scope?.split(' ').sort().join(' '), SCOPE.split(' ').sort().join(' '), 'the scopes asked for')
  t.ok(tokens.refresh_token)
  t.ok((await client.refreshTokenGrant(rp, tokens.refresh_token!)).access_token, 'refreshes like any client')
  t.match(await pollOnce(server, app.id, started.device_code), { status: 400, body: { error: 'invalid_grant' } })

  const again = await submit(browser, server, confirm, { user_code: started.user_code, decision: 'allow' })
  t.equal(again.status, 400, 'a code signs in once')
  t.match(again.html, /<p class="error" id="form-error" role="alert">no sign-in waits for this code/)

  // Signing out of the browser session signs the device out too: it was issued on that session.
  const [session] = await server.app.ctx.sessions.list(tess.id)
  await server.app.ctx.sessions.revoke(session!.sid)
  t.match(await refusal(client.refreshTokenGrant(rp, tokens.refresh_token!)), { error: 'invalid_grant' })
})

t.test('typing the code, declining, and the app --require: the device hears access_denied', async t => {
  const server = await serveApp(t)
  const { groups } = server.app.ctx
  await groups.tree.ensureNamespace('family', 'test', 'owner')
  const tv = await deviceClient(server, 'tv', { require: 'family' })
  const cookie = await server.signIn('Uma')
  const browser = new Browser(cookie)

  const form = await page(browser, `${server.base}/login/device`)
  t.equal(form.status, 200)
  t.match(form.html, /<input id="user_code" name="user_code"/)

  const declined = await client.initiateDeviceAuthorization(tv.rp, { scope: 'openid' })
  const typed = declined.user_code.toLowerCase().replace('-', ' ')
  const shown = await submit(browser, server, form.html, { user_code: typed })
  t.equal(shown.status, 200)
  t.match(shown.html, /<strong>tv<\/strong> asks to sign in as you/, 'dashes and case do not matter')
  const no = await submit(browser, server, shown.html, { user_code: declined.user_code, decision: 'deny' })
  t.match(no.html, /Nothing was signed in/)
  t.match(await refusal(poll(tv.rp, declined)), { error: 'access_denied' })

  const refused = await client.initiateDeviceAuthorization(tv.rp, { scope: 'openid' })
  const asked = await page(browser, refused.verification_uri_complete!)
  const outside = await submit(browser, server, asked.html, { user_code: refused.user_code, decision: 'allow' })
  t.equal(outside.status, 403)
  t.match(outside.html, /admits only members of <code>family<\/code>/)
  t.match(outside.html, /LOGIN_ERR_FORBIDDEN/)
  t.match(await refusal(poll(tv.rp, refused)), { error: 'access_denied' })

  const uma = (await server.app.ctx.users.findByIdentity('test', 'Uma'))!
  await groups.membership.grant(uma.id, 'family')
  const member = await client.initiateDeviceAuthorization(tv.rp, { scope: 'openid' })
  const json = await server.app.inject({
    method: 'POST',
    url: '/login/device',
    headers: { cookie, 'content-type': 'application/json' },
    payload: { user_code: member.user_code, decision: 'allow' },
  })
  t.same(json.json(), { approved: true, app: 'tv' }, 'the JSON twin decides too')
  t.equal((await poll(tv.rp, member)).claims()!.sub, uma.id)
})

t.test('the JSON twin, the form token, and a device client without --device', async t => {
  const server = await serveApp(t)
  const tv = await deviceClient(server, 'tv')
  const cookie = await server.signIn('Vic')
  const started = await client.initiateDeviceAuthorization(tv.rp, { scope: 'openid' })
  const described = await server.app.inject({
    url: `/login/device?user_code=${started.user_code}`,
    headers: { cookie, accept: 'application/json' },
  })
  t.match(described.json(), {
    user_code: started.user_code,
    app: 'tv',
    device: { ip: '127.0.0.1' },
    expires: Number,
  })
  t.equal(
    (await server.app.inject({ url: `/login/device?user_code=x`, headers: { accept: 'application/json' } })).statusCode,
    401,
  )

  const forged = await server.app.inject({
    method: 'POST',
    url: '/login/device',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ user_code: started.user_code, decision: 'allow' }).toString(),
  })
  t.equal(forged.statusCode, 403, 'a form post without the form token allows nothing')
  t.match(await pollOnce(server, tv.app.id, started.device_code), { body: { error: 'authorization_pending' } })
  const crossSite = await server.app.inject({
    method: 'POST',
    url: '/login/device',
    headers: { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
    payload: { user_code: started.user_code, decision: 'allow' },
  })
  t.match(crossSite.json(), { code: 'LOGIN_ERR_CSRF' })

  const web = await server.app.ctx.apps.add(
    'web',
    clientSettings({ redirectUris: ['http://127.0.0.1:9/cb'], public: true }),
  )
  const asWeb = await fetch(`${issuerOf(server.config)}/oidc/device/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: web.id, scope: 'openid' }),
  })
  t.match(
    await asWeb.json(),
    { error: 'invalid_request', error_description: /device_code is not allowed for this client/ },
    'only clients registered with --device',
  )
})

t.test('wrong codes are limited per address, tries per code; codes expire', async t => {
  const server = await serveApp(t)
  const tv = await deviceClient(server, 'tv')
  const cookie = await server.signIn('Wes')
  const look = (code: string, remoteAddress = '127.0.0.1') =>
    server.app.inject({
      url: `/login/device?user_code=${encodeURIComponent(code)}`,
      headers: { cookie, accept: 'application/json' },
      remoteAddress,
    })

  const started = await client.initiateDeviceAuthorization(tv.rp, { scope: 'openid' })
  for (let i = 1; i < TRIES_PER_CODE; i++) t.equal((await look(started.user_code)).statusCode, 200)
  const wrong = await look('BBBB-BBBB')
  t.equal(wrong.statusCode, 400)
  t.match(wrong.json(), { code: 'LOGIN_ERR_DEVICE_CODE', message: /no sign-in waits for this code/ })
  t.equal((await look(started.user_code)).statusCode, 200, `the ${TRIES_PER_CODE}th look at one code`)
  const tooOften = await look(started.user_code)
  t.equal(tooOften.statusCode, 429, 'and no more')
  t.match(tooOften.json(), { code: 'LOGIN_ERR_RATE_LIMITED', message: /this code was tried too often/ })

  // Wrong guesses, several at once: no more than the limit are looked up.
  const guesses = await Promise.all(
    Array.from({ length: WRONG_CODES_PER_ADDRESS + 5 }, (_, i) => look(`CCCC-${'BCDFGHJKLMNPQRST'[i]}BBB`)),
  )
  const statuses = guesses.map(g => g.statusCode)
  t.equal(statuses.filter(s => s === 400).length, WRONG_CODES_PER_ADDRESS - 1, 'one wrong code was typed before')
  t.equal(statuses.filter(s => s === 429).length, 6)
  const fresh = await client.initiateDeviceAuthorization(tv.rp, { scope: 'openid' })
  t.equal((await look(fresh.user_code)).statusCode, 429, 'then even a right code waits')

  t.equal((await look(fresh.user_code, '10.0.0.9')).statusCode, 200, 'another address is not held back')

  // A code past its time: the page does not know it, the device hears expired_token.
  const store = new OidcStore(server.app.ctx.db)
  const payload = (await store.find('DeviceCode', fresh.device_code, 0))!
  const past = Math.floor(Date.now() / 1000) - 1
  await store.upsert('DeviceCode', fresh.device_code, { ...payload, exp: past }, past)
  t.match(await pollOnce(server, tv.app.id, fresh.device_code), { body: { error: 'expired_token' } })
})
