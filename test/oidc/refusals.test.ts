import t from 'tap'
import * as client from 'openid-client'
import { Browser, REDIRECT_URI, authorizationRequest, oidcSetup, registerClient, signInTo } from './fixture.js'

/** The token endpoint's answer to a raw form, as an app with a bug (or an attacker) would send it. */
async function tokenRequest(
  issuer: string,
  form: Record<string, string>,
  auth?: { id: string; secret: string },
): Promise<{ status: number; body: { error?: string } }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`
  const response = await fetch(`${issuer}/oidc/token`, { method: 'POST', headers, body: new URLSearchParams(form) })
  return { status: response.status, body: (await response.json()) as { error?: string } }
}

/** The authorization code a signed-in browser brings back, and the verifier that goes with it. */
async function codeFor(setup: Awaited<ReturnType<typeof oidcSetup>>, browser: Browser) {
  const { url, checks } = await authorizationRequest(setup.rp, 'openid profile')
  const landed = await browser.visit(url)
  return { code: landed.url.searchParams.get('code')!, verifier: checks.pkceCodeVerifier, landed, checks }
}

t.test('the token endpoint refuses a wrong secret, a replayed code and a missing PKCE verifier', async t => {
  const setup = await oidcSetup(t)
  const { issuer, app } = setup
  const creds = { id: app.id, secret: app.secret! }
  const browser = new Browser(await setup.server.signIn('eve'))
  const exchange = (code: string, verifier?: string) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    ...(verifier === undefined ? {} : { code_verifier: verifier }),
  })

  const first = await codeFor(setup, browser)
  const wrongSecret = await tokenRequest(issuer, exchange(first.code, first.verifier), {
    ...creds,
    secret: 'x' + creds.secret,
  })
  t.equal(wrongSecret.status, 401)
  t.equal(wrongSecret.body.error, 'invalid_client')
  const noSecret = await tokenRequest(issuer, { ...exchange(first.code, first.verifier), client_id: app.id })
  t.equal(noSecret.body.error, 'invalid_client', 'a confidential client must authenticate')

  const noVerifier = await tokenRequest(issuer, exchange(first.code), creds)
  t.equal(noVerifier.status, 400)
  t.equal(noVerifier.body.error, 'invalid_grant', 'a code asked for with a challenge needs its verifier')

  const second = await codeFor(setup, browser)
  const wrongVerifier = await tokenRequest(issuer, exchange(second.code, first.verifier), creds)
  t.equal(wrongVerifier.body.error, 'invalid_grant', 'and the right one')

  const third = await codeFor(setup, browser)
  const tokens = await client.authorizationCodeGrant(setup.rp, third.landed.url, third.checks)
  const replay = await tokenRequest(issuer, exchange(third.code, third.verifier), creds)
  t.equal(replay.status, 400)
  t.equal(replay.body.error, 'invalid_grant', 'a code works once')
  const info = await fetch(`${issuer}/oidc/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(info.status, 401, 'and its replay revokes what the first exchange got')
  const refresh = await tokenRequest(
    issuer,
    { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
    creds,
  )
  t.equal(refresh.body.error, 'invalid_grant')

  const otherClient = await registerClient(setup.server, 'other')
  const fourth = await codeFor(setup, browser)
  const stolen = await tokenRequest(issuer, exchange(fourth.code, fourth.verifier), {
    id: otherClient.app.id,
    secret: otherClient.app.secret!,
  })
  t.equal(stolen.body.error, 'invalid_grant', "another client cannot use this client's code")
})

t.test('the authorization endpoint refuses unregistered redirect URIs, unknown clients and form_post', async t => {
  const setup = await oidcSetup(t)
  const browser = new Browser(await setup.server.signIn('mallory'))

  for (const [redirect, why] of [
    ['http://127.0.0.1:9/callback/', 'a trailing slash'],
    ['http://127.0.0.1:9/CALLBACK', 'another case'],
    ['http://127.0.0.1:9/callback?x=1', 'an added query'],
    ['http://localhost:9/callback', 'another host'],
  ] as const) {
    const { url } = await authorizationRequest(setup.rp, 'openid', { redirect_uri: redirect })
    const { response } = await browser.visit(url, 'http://never/')
    t.equal(response?.status, 400, `${why}: no redirect at all`)
    const page = await response!.text()
    t.match(page, /LOGIN_ERR_OIDC_REQUEST/)
    t.match(page, /redirect_uri did not match/)
    t.notMatch(page, /<script(?![^>]*\bsrc=)/i, 'a page of ours, without inline script')
  }

  const unknown = new URL(`${setup.issuer}/oidc/auth`)
  unknown.search = new URLSearchParams({
    client_id: 'nobody',
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid',
  }).toString()
  const page = await browser.fetch(unknown, { headers: { accept: 'text/html' } })
  t.equal(page.status, 400)
  t.match(await page.text(), /invalid_client|client is invalid/)

  for (const [params, error] of [
    // Refused before the response type is even looked at: it would answer in the fragment.
    [{ response_type: 'token' }, 'invalid_request'],
    [{ response_type: 'code id_token' }, 'invalid_request'],
    [{ response_type: 'none' }, 'unsupported_response_type'],
    [{ scope: 'openid', prompt: 'select_account' }, 'invalid_request'],
  ] as const) {
    const { url } = await authorizationRequest(setup.rp, 'openid', params)
    const landed = await browser.visit(url)
    // An implicit response type would answer in the fragment: the error comes back where that client would look.
    const answer = landed.url.hash ? new URLSearchParams(landed.url.hash.slice(1)) : landed.url.searchParams
    t.equal(answer.get('error'), error, JSON.stringify(params))
    t.notOk(answer.get('code') ?? answer.get('access_token') ?? answer.get('id_token'), 'and nothing else')
  }

  const { url } = await authorizationRequest(setup.rp, 'openid', { response_mode: 'form_post' })
  const formPost = await browser.visit(url, 'http://never/')
  t.equal(formPost.response?.status, 400)
  const body = await formPost.response!.text()
  t.match(body, /response_mode must be query/)
  t.notMatch(body, /<script(?![^>]*\bsrc=)/i, 'no inline script')
})

t.test('a public client must use PKCE', async t => {
  const setup = await oidcSetup(t, { public: true })
  const browser = new Browser(await setup.server.signIn('pat'))
  const url = client.buildAuthorizationUrl(setup.rp, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's' })
  const landed = await browser.visit(url)
  t.equal(landed.url.searchParams.get('error'), 'invalid_request')
  t.match(landed.url.searchParams.get('error_description'), /PKCE/)
})

t.test('--require: non-members are refused (a page here, access_denied to the app); members pass', async t => {
  const setup = await oidcSetup(t, { require: 'chat/staff' })
  const { server } = setup
  const { groups } = server.app.ctx
  await groups.tree.ensureNamespace('chat', 'test', 'owner')

  const outsider = new Browser(await server.signIn('oscar'))
  const { url, checks } = await authorizationRequest(setup.rp)
  const shown = await outsider.visit(url)
  t.equal(shown.response?.status, 403, 'a page on our side')
  t.match(shown.url.pathname, /^\/login\/oidc\/interaction\//)
  const page = await shown.response!.text()
  t.match(page, /<strong>grafana<\/strong> admits only members of <code>chat\/staff<\/code>/)
  t.match(page, /LOGIN_ERR_FORBIDDEN/)
  const back = /id="return" href="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&')
  const returned = await outsider.visit(back)
  t.equal(returned.url.searchParams.get('error'), 'access_denied', 'its link takes the user back to the app')
  t.notMatch(returned.url.href, /chat/, 'which group the app requires stays here')
  t.equal(returned.url.searchParams.get('state'), checks.expectedState)

  const silent = await authorizationRequest(setup.rp, 'openid', { prompt: 'none' })
  t.equal((await outsider.visit(silent.url)).url.searchParams.get('error'), 'access_denied', 'prompt=none: no page')

  const cookie = await server.signIn('stella')
  const stella = (await server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }
  const member = new Browser(cookie)
  await groups.membership.grant(stella.id, 'chat/staff/night')
  const subgroupOnly = await member.visit((await authorizationRequest(setup.rp)).url)
  t.equal(subgroupOnly.response?.status, 403, 'a member of a subgroup only is still refused')
  await groups.membership.grant(stella.id, 'chat')
  const allowed = await authorizationRequest(setup.rp)
  const landed = await member.visit(allowed.url)
  t.ok(landed.url.searchParams.get('code'), 'a member of chat (and so of chat/staff) signs in')
  t.ok((await client.authorizationCodeGrant(setup.rp, landed.url, allowed.checks)).access_token)
})

t.test('an interaction that expired or belongs to another browser is a clear error', async t => {
  const setup = await oidcSetup(t)
  const browser = new Browser()
  const { url } = await authorizationRequest(setup.rp)
  const signIn = await browser.visit(url, `${setup.server.base}/login?`)
  const next = signIn.url.searchParams.get('next')!
  const stranger = new Browser(await setup.server.signIn('stranger'))
  const response = await stranger.fetch(`${setup.server.base}${next}`, { headers: { accept: 'text/html' } })
  t.equal(response.status, 400)
  t.match(await response.text(), /LOGIN_ERR_OIDC_REQUEST[\s\S]*|expired or was already used/)
})

t.test('a token revoked by its client (RFC 7009), or of a removed app, no longer works', async t => {
  const setup = await oidcSetup(t)
  const browser = new Browser(await setup.server.signIn('rita'))
  const first = await signInTo(setup, browser)
  await client.tokenRevocation(setup.rp, first.refresh_token!)
  const refused = await client.refreshTokenGrant(setup.rp, first.refresh_token!).then(
    () => null,
    (error: unknown) => error,
  )
  t.match(refused, { error: 'invalid_grant' }, 'a revoked refresh token is refused')

  const second = await signInTo(setup, browser)
  const apps = setup.server.app.ctx.apps
  await apps.remove('grafana')
  const gone = await tokenRequest(
    setup.issuer,
    { grant_type: 'refresh_token', refresh_token: second.refresh_token! },
    { id: setup.app.id, secret: setup.app.secret! },
  )
  t.same([gone.status, gone.body.error], [401, 'invalid_client'], 'a removed app cannot refresh')
  const info = await fetch(`${setup.issuer}/oidc/userinfo`, {
    headers: { authorization: `Bearer ${second.access_token}` },
  })
  t.equal(info.status, 401, 'nor use its access tokens')
})
