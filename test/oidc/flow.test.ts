import t from 'tap'
import * as client from 'openid-client'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { createLoginClient } from 'modular-login-client'
import { Browser, REDIRECT_URI, authorizationRequest, oidcSetup, registerClient, signInTo } from './fixture.js'

t.test('discovery: issuer <public url>/login, code flow only, the supported methods and algorithms', async t => {
  const { server, issuer } = await oidcSetup(t)
  t.equal(issuer, `${server.base}/login`)
  const response = await fetch(`${issuer}/.well-known/openid-configuration`)
  t.equal(response.status, 200)
  const document = (await response.json()) as Record<string, unknown>
  t.match(document, {
    issuer,
    authorization_endpoint: `${issuer}/oidc/auth`,
    token_endpoint: `${issuer}/oidc/token`,
    userinfo_endpoint: `${issuer}/oidc/userinfo`,
    end_session_endpoint: `${issuer}/oidc/session/end`,
    jwks_uri: `${issuer}/oidc/jwks`,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  })
  t.same(document.response_types_supported, ['code'], 'no implicit or hybrid flow')
  t.same(document.response_modes_supported, ['query'])
  t.same(document.grant_types_supported, [
    'authorization_code',
    'refresh_token',
    'urn:ietf:params:oauth:grant-type:device_code',
  ])
  t.match(document, {
    device_authorization_endpoint: `${issuer}/oidc/device/auth`,
    introspection_endpoint: `${issuer}/oidc/token/introspection`,
  })
  t.same(document.code_challenge_methods_supported, ['S256'])
  t.same(document.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none'])
  t.same(document.id_token_signing_alg_values_supported, ['RS256', 'EdDSA'], 'no none, no HMAC')
  t.same(document.scopes_supported, ['openid', 'offline_access', 'profile', 'email', 'groups'])
  t.notOk('registration_endpoint' in document, 'no dynamic registration')

  type Jwks = { keys: { kty: string; alg: string; kid: string; d?: string }[] }
  const idTokenKeys = (await (await fetch(document.jwks_uri as string)).json()) as Jwks
  const siteKeys = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as Jwks
  t.same(
    idTokenKeys.keys.map(k => `${k.kty}/${k.alg}`),
    ['RSA/RS256', 'OKP/EdDSA'],
    'jwks_uri: the ID-token keys',
  )
  t.notOk(
    idTokenKeys.keys.some(k => k.kid === server.app.ctx.keys.signing.kid || 'd' in k),
    'no lease key there, and no private half',
  )
  t.same(
    siteKeys.keys.map(k => `${k.kty}/${k.alg}/${k.kid}`),
    [`OKP/EdDSA/${server.app.ctx.keys.signing.kid}`],
    "and the site's lease key set has none of them",
  )
})

t.test('a signed-in user: code + PKCE, a valid ID token, userinfo, refresh; nobody is asked anything', async t => {
  const setup = await oidcSetup(t)
  const { server, issuer, app } = setup
  const cookie = await server.signIn('Alice Liddell')
  const me = (await server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }
  const browser = new Browser(cookie)

  const { url, checks } = await authorizationRequest(setup.rp)
  const landed = await browser.visit(url)
  t.notOk(landed.response, 'no page on the way: straight back to the app')
  t.equal(`${landed.url.origin}${landed.url.pathname}`, REDIRECT_URI)
  t.equal(landed.url.searchParams.get('state'), checks.expectedState)
  t.equal(landed.url.searchParams.get('iss'), issuer)

  // openid-client checks the ID token's signature, issuer, audience, nonce and times.
  const tokens = await client.authorizationCodeGrant(setup.rp, landed.url, checks)
  const claims = tokens.claims()!
  t.match(claims, { iss: issuer, aud: app.id, sub: me.id, name: 'Alice Liddell', nonce: checks.expectedNonce })
  t.same(claims.groups, [], 'groups is always there with the groups scope')
  t.notOk('picture' in claims, 'no empty picture')
  t.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256')
  // And independently, against the published key set.
  const jwks = createRemoteJWKSet(new URL(`${issuer}/oidc/jwks`))
  const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: app.id, algorithms: ['RS256'] })
  t.equal(payload.sub, me.id)

  const userinfo = await client.fetchUserInfo(setup.rp, tokens.access_token, me.id)
  t.same(userinfo, { sub: me.id, name: 'Alice Liddell', preferred_username: 'Alice.Liddell', groups: [] })

  t.ok(tokens.refresh_token, 'offline_access: a refresh token, without a consent screen')
  const refreshed = await client.refreshTokenGrant(setup.rp, tokens.refresh_token!)
  t.equal(refreshed.claims()!.sub, me.id)
  t.match(await client.fetchUserInfo(setup.rp, refreshed.access_token, me.id), { name: 'Alice Liddell' })

  const bare = await signInTo(setup, browser, 'openid')
  t.same(
    Object.keys(await client.fetchUserInfo(setup.rp, bare.access_token, me.id)),
    ['sub'],
    'without profile or groups, only sub',
  )
})

t.test('the groups claim lists memberships inside the namespaces the app manages, and no others', async t => {
  const setup = await oidcSetup(t, {}, {})
  const { server, app } = setup
  const { groups } = server.app.ctx
  const cookie = await server.signIn('bob')
  const bob = (await server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }
  await groups.tree.ensureNamespace('grafana', 'test', 'owner')
  await groups.tree.ensureNamespace('chat', 'test', 'owner')
  await groups.tree.ensureNamespace('secret', 'test', 'owner')
  await groups.appScope.allow(app.id, 'grafana')
  await groups.appScope.allow(app.id, 'chat')
  await groups.membership.grant(bob.id, 'grafana/admins')
  await groups.membership.grant(bob.id, 'grafana/admins')
  await groups.membership.grant(bob.id, 'chat/staff')
  await groups.membership.grant(bob.id, 'secret/club')
  await groups.membership.grant(bob.id, 'chatter/room')

  const tokens = await signInTo(setup, new Browser(cookie))
  const expected = ['chat/staff', 'grafana/admins']
  t.same(tokens.claims()!.groups, expected, 'in the ID token')
  t.same((await client.fetchUserInfo(setup.rp, tokens.access_token, bob.id)).groups, expected, 'and from userinfo')

  const other = await registerClient(server, 'gitea')
  t.same((await signInTo(other, new Browser(cookie))).claims()!.groups, [], 'an app without namespaces sees none')

  const removed = (await groups.membership.current(bob.id)).find(m => m.path === 'chat/staff')!
  await groups.membership.remove(removed.id)
  const later = await client.refreshTokenGrant(setup.rp, tokens.refresh_token!)
  t.same(later.claims()!.groups, ['grafana/admins'], 'current memberships only: a refresh sees the removal')
})

t.test(
  'a signed-out user goes through the sign-in page and comes back; prompt=none answers login_required',
  async t => {
    const setup = await oidcSetup(t)
    const browser = new Browser()

    const silent = await authorizationRequest(setup.rp, 'openid', { prompt: 'none' })
    const refused = await browser.visit(silent.url)
    t.equal(refused.url.searchParams.get('error'), 'login_required')
    t.equal(refused.url.searchParams.get('state'), silent.checks.expectedState)

    const { url, checks } = await authorizationRequest(setup.rp)
    const signInPage = await browser.visit(url, `${setup.server.base}/login?`)
    const next = signInPage.url.searchParams.get('next')!
    t.match(next, /^\/login\/oidc\/interaction\/[\w-]+$/, 'our own sign-in page, with the way back')
    // The test provider's form, as a person would submit it.
    const landed = await browser.visit(`${setup.server.base}/login/test/as?who=carol&next=${encodeURIComponent(next)}`)
    t.notOk(landed.response)
    const tokens = await client.authorizationCodeGrant(setup.rp, landed.url, checks)
    t.equal(tokens.claims()!.name, 'carol')
    t.equal(typeof tokens.claims()!.auth_time, 'undefined', 'auth_time only when asked for')

    const again = await authorizationRequest(setup.rp, 'openid', { prompt: 'none', max_age: '3600' })
    const quiet = await browser.visit(again.url)
    t.ok(quiet.url.searchParams.get('code'), 'now prompt=none signs in silently')
    const second = await client.authorizationCodeGrant(setup.rp, quiet.url, again.checks)
    const session = (await setup.server.app.ctx.sessions.list(second.claims()!.sub))[0]!
    t.equal(second.claims()!.auth_time, session.created, 'auth_time is when the user signed in here')
  },
)

t.test('client_secret_post, and a public client with PKCE', async t => {
  const setup = await oidcSetup(t)
  const { server } = setup
  const cookie = await server.signIn('dave')

  const post = await registerClient(server, 'post', {}, secret => client.ClientSecretPost(secret!))
  t.ok((await signInTo(post, new Browser(cookie))).access_token, 'the secret may come in the body')

  const spa = await registerClient(server, 'spa', { public: true })
  t.equal(spa.app.secret, null, 'a public client has no secret')
  const tokens = await signInTo(spa, new Browser(cookie))
  t.ok(tokens.refresh_token)
  t.ok((await client.refreshTokenGrant(spa.rp, tokens.refresh_token!)).access_token)
})

t.test('EdDSA ID tokens for a client that asks, signed with a key of their own: never a lease', async t => {
  const setup = await oidcSetup(t)
  const { server, issuer } = setup
  const { users, clock, keys } = server.app.ctx
  const cookie = await server.signIn('dora')
  // Shaped like a lease as far as an ID token can be: a picture, and a sid (the client has a back-channel URI).
  await users.upsertFromProfile(
    { provider: 'test', providerUserId: 'dora', name: 'dora', picture: 'https://images.example.org/d.png' },
    clock.now(),
  )
  const modern = await registerClient(server, 'modern', {
    idTokenAlg: 'EdDSA',
    backchannelLogoutUri: 'http://127.0.0.1:9/backchannel',
  })
  const signed = await signInTo(modern, new Browser(cookie), 'openid profile')
  const header = decodeProtectedHeader(signed.id_token!)
  t.equal(header.alg, 'EdDSA')
  t.not(header.kid, keys.signing.kid, 'not the lease key')
  const jwks = createRemoteJWKSet(new URL(`${issuer}/oidc/jwks`))
  await jwtVerify(signed.id_token!, jwks, { issuer, audience: modern.app.id, algorithms: ['EdDSA'] })
  t.pass("verified with the provider's key set")

  // What an app on the site checks a lease cookie with: the client library and /login/check.
  const login = createLoginClient({
    server: server.base,
    app: await server.app.ctx.apps.add('site'),
    logger: false,
  })
  t.teardown(() => login.close())
  await login.ready()
  t.match(await login.authenticate({ cookie }), { status: 'ok' }, 'a lease is a lease')
  const asLease = `${server.config.cookieName}=${signed.id_token}`
  t.match(await login.authenticate({ cookie: asLease }), { status: 'unauthenticated' }, 'the ID token is not')
  const check = await server.app.inject({ url: '/login/check', headers: { cookie: asLease } })
  t.equal(check.statusCode, 401)
})
