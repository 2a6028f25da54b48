import t, { type Test } from 'tap'
import * as client from 'openid-client'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import type { ClientSettingsInput } from '../../src/oidc/client-settings.js'
import { Browser, oidcSetup, registerClient, signInTo, type OidcSetup, type Tokens } from './fixture.js'
import { logoutReceiver } from './logout-receiver.js'

/** Checks a logout token as a relying party must (OpenID Connect Back-Channel Logout 1.0, section 2.6). */
async function checkLogoutToken(t: Test, token: string, setup: Pick<OidcSetup, 'issuer' | 'app'>, idToken: Tokens) {
  const jwks = createRemoteJWKSet(new URL(`${setup.issuer}/oidc/jwks`))
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: setup.issuer,
    audience: setup.app.id,
    typ: 'logout+jwt',
    algorithms: ['RS256'],
  })
  const claims = idToken.claims()!
  t.same(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} }, 'the logout event')
  t.equal(payload.sub, claims.sub, 'sub of the ID token')
  t.equal(payload.sid, claims.sid, 'sid of the ID token')
  t.type(payload.jti, 'string')
  t.notOk('nonce' in payload, 'never a nonce')
  t.equal(protectedHeader.alg, 'RS256')
}

/** Refreshing fails with invalid_grant and the access token no longer opens userinfo. */
async function checkEnded(t: Test, setup: OidcSetup, tokens: Tokens) {
  const refused = await client.refreshTokenGrant(setup.rp, tokens.refresh_token!).then(
    () => null,
    (error: unknown) => error,
  )
  t.match(refused, { error: 'invalid_grant' }, 'refresh refused with invalid_grant')
  await t.rejects(client.fetchUserInfo(setup.rp, tokens.access_token, tokens.claims()!.sub), 'userinfo refused')
}

async function userId(setup: OidcSetup, cookie: string): Promise<string> {
  return ((await setup.server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }).id
}

t.test('ending a session ends what it issued: refresh fails, back-channel logout tokens go out once', async t => {
  const receiver = await logoutReceiver(t)
  const setup = await oidcSetup(t, { backchannelLogoutUri: receiver.uri })
  const { server } = setup
  const inject = server.app.inject.bind(server.app)

  const endings: [string, (cookie: string) => Promise<void>][] = [
    [
      'logout',
      async cookie => {
        t.equal((await inject({ method: 'POST', url: '/login/logout', headers: { cookie } })).statusCode, 200)
      },
    ],
    [
      'revocation from the sessions page of another session',
      async cookie => {
        const sid = (await inject({ url: '/login/sessions', headers: { cookie } })).json()[0].sid as string
        const other = await server.signIn('frank')
        const revoked = await inject({ method: 'POST', url: `/login/deauthorize/${sid}`, headers: { cookie: other } })
        t.equal(revoked.statusCode, 200)
      },
    ],
    [
      'account deletion',
      async cookie => {
        t.equal((await inject({ method: 'POST', url: '/login/delete', headers: { cookie } })).statusCode, 200)
      },
    ],
  ]
  const ended: [string, string][] = []
  for (const [how, end] of endings) {
    await t.test(how, async t => {
      const cookie = await server.signIn('frank')
      const tokens = await signInTo(setup, new Browser(cookie))
      t.ok((await client.refreshTokenGrant(setup.rp, tokens.refresh_token!)).access_token, 'refresh works before')
      t.type(tokens.claims()!.sid, 'string', 'a client with a back-channel URI gets sid in its ID tokens')
      await end(cookie)
      await checkLogoutToken(t, await receiver.next(), setup, tokens)
      await checkEnded(t, setup, tokens)
      ended.push([how, tokens.claims()!.sid as string])
    })
  }
  // Closing the server waits for the logout tokens being sent (src/oidc/endings.ts): no more can come after.
  await server.app.close()
  const sids = receiver.tokens.map(token => decodeJwt(token).sid)
  for (const [how, sid] of ended) t.equal(sids.filter(s => s === sid).length, 1, `${how}: exactly one logout token`)
  t.equal(sids.length, endings.length, 'and none for anything else')
})

t.test('losing the membership that --require names stops refreshes', async t => {
  const setup = await oidcSetup(t, { require: 'chat/staff' })
  const { groups } = setup.server.app.ctx
  await groups.tree.ensureNamespace('chat', 'test', 'owner')
  const cookie = await setup.server.signIn('gina')
  const granted = await groups.membership.grant(await userId(setup, cookie), 'chat/staff')
  const tokens = await signInTo(setup, new Browser(cookie))
  t.ok((await client.refreshTokenGrant(setup.rp, tokens.refresh_token!)).access_token)
  await groups.membership.remove(granted.id)
  await checkEnded(t, setup, tokens)
  t.equal(
    (await setup.server.app.inject({ url: '/login/check', headers: { cookie } })).statusCode,
    200,
    'the session itself lives on',
  )
})

t.test('timeouts end what a session issued too', async t => {
  const receiver = await logoutReceiver(t)

  await t.test('idle: the next refresh finds the session over', async t => {
    const setup = await oidcSetup(t, { backchannelLogoutUri: receiver.uri }, { leaseSeconds: 60, idleSeconds: 600 })
    const tokens = await signInTo(setup, new Browser(await setup.server.signIn('hal')))
    setup.server.clock.advance(601)
    await checkEnded(t, setup, tokens)
    await checkLogoutToken(t, await receiver.next(), setup, tokens)
  })

  await t.test('absolute: the sweep finds it without anyone asking', async t => {
    const setup = await oidcSetup(t, { backchannelLogoutUri: receiver.uri }, { maxAgeSeconds: 3600 })
    const tokens = await signInTo(setup, new Browser(await setup.server.signIn('ida')))
    setup.server.clock.advance(3601)
    // The sweep runs every 5 seconds.
    await checkLogoutToken(t, await receiver.next(10_000), setup, tokens)
    await checkEnded(t, setup, tokens)
  })
})

/** A user signed in to two clients, grafana and gitea, in one browser. */
async function twoClients(t: Test, grafana: ClientSettingsInput, gitea: ClientSettingsInput) {
  const setup = await oidcSetup(t, grafana)
  const other = { server: setup.server, ...(await registerClient(setup.server, 'gitea', gitea)) }
  const cookie = await setup.server.signIn('jack')
  const browser = new Browser(cookie)
  return {
    setup,
    gitea: other,
    cookie,
    browser,
    tokens: [await signInTo(setup, browser), await signInTo(other, browser)],
  }
}

/** Submits the logout page's form, as its "Yes" (or "Continue") button does, or its "No" button. */
async function answer(browser: Browser, page: string, origin: string, logout: boolean): Promise<Response> {
  const action = /<form id="logout" method="post" action="([^"]+)"/.exec(page)![1]!
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!
  return browser.fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ xsrf, ...(logout && { logout: 'yes' }) }),
  })
}

t.test('RP-initiated logout ends the session here and returns to a registered post-logout URI', async t => {
  const grafanaReceiver = await logoutReceiver(t)
  const giteaReceiver = await logoutReceiver(t)
  const signedOut = 'http://127.0.0.1:9/signed-out'
  const { setup, gitea, cookie, browser, tokens } = await twoClients(
    t,
    { backchannelLogoutUri: grafanaReceiver.uri, postLogoutRedirectUris: [signedOut] },
    { backchannelLogoutUri: giteaReceiver.uri },
  )
  const [grafanaTokens, giteaTokens] = tokens as [Tokens, Tokens]

  const unregistered = client.buildEndSessionUrl(setup.rp, {
    id_token_hint: grafanaTokens.id_token!,
    post_logout_redirect_uri: 'http://127.0.0.1:9/elsewhere',
  })
  const refused = await browser.visit(unregistered, 'http://never/')
  t.equal(refused.response?.status, 400, 'an unregistered post-logout URI is refused')

  const url = client.buildEndSessionUrl(setup.rp, {
    id_token_hint: grafanaTokens.id_token!,
    post_logout_redirect_uri: signedOut,
    state: 'bye',
  })
  const asked = await browser.visit(url, 'http://never/')
  t.equal(asked.response?.status, 200, 'a page asks first')
  const page = await asked.response!.text()
  t.match(page, /asked by <strong>grafana<\/strong>/)
  t.notMatch(page, /<script(?![^>]*\bsrc=)/i, 'no inline script')
  const confirmed = await answer(browser, page, setup.server.base, true)
  t.equal(confirmed.status, 303)
  t.equal(confirmed.headers.get('location'), `${signedOut}?state=bye`, 'back to the app, with its state')
  t.notOk(browser.cookies.has(setup.server.config.cookieName), 'the lease cookie is cleared')
  const check = await setup.server.app.inject({ url: '/login/check', headers: { cookie } })
  t.equal(check.statusCode, 401, 'the session is over for every app of the site')

  await checkLogoutToken(t, await grafanaReceiver.next(), setup, grafanaTokens)
  await checkLogoutToken(t, await giteaReceiver.next(), gitea, giteaTokens)
  await checkEnded(t, setup, grafanaTokens)
  await checkEnded(t, gitea, giteaTokens)

  const again = await browser.visit(url, 'http://never/')
  const signedOutPage = await again.response!.text()
  t.match(signedOutPage, /You are signed out/, 'someone already signed out gets a page, not a script')
  t.notMatch(signedOutPage, /<script(?![^>]*\bsrc=)/i, 'no inline script')
  const onward = await answer(browser, signedOutPage, setup.server.base, true)
  t.equal(onward.headers.get('location'), `${signedOut}?state=bye`, 'and its button goes back to the app')

  // Closing the server waits for the logout tokens being sent (src/oidc/endings.ts): no more can come after.
  await setup.server.app.close()
  t.same([grafanaReceiver.tokens.length, giteaReceiver.tokens.length], [1, 1], 'one logout token per client')
})

t.test('"No, stay signed in" signs out of the app that asked, not of the site', async t => {
  const signedOut = 'http://127.0.0.1:9/signed-out'
  const { setup, gitea, cookie, browser, tokens } = await twoClients(t, { postLogoutRedirectUris: [signedOut] }, {})
  const [grafanaTokens, giteaTokens] = tokens as [Tokens, Tokens]
  const url = client.buildEndSessionUrl(setup.rp, {
    id_token_hint: grafanaTokens.id_token!,
    post_logout_redirect_uri: signedOut,
  })
  const page = await (await browser.visit(url, 'http://never/')).response!.text()
  const stay = await answer(browser, page, setup.server.base, false)
  t.equal(stay.headers.get('location'), signedOut)
  const check = await setup.server.app.inject({ url: '/login/check', headers: { cookie } })
  t.equal(check.statusCode, 200, 'still signed in')
  await checkEnded(t, setup, grafanaTokens)
  const refreshed = await client.refreshTokenGrant(gitea.rp, giteaTokens.refresh_token!)
  t.ok(refreshed.access_token, 'the other app is untouched')
})
