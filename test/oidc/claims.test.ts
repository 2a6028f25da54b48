import t from 'tap'
import * as client from 'openid-client'
import { Browser, authorizationRequest, oidcSetup, signInTo } from './fixture.js'

t.test('claims apps need: preferred_username with profile, email and email_verified with email', async t => {
  const setup = await oidcSetup(t)
  const { server } = setup
  const { users, clock } = server.app.ctx
  const cookie = await server.signIn('Dana Scully')
  const id = ((await server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }).id
  const browser = new Browser(cookie)

  const bare = await signInTo(setup, browser, 'openid profile email')
  t.match(bare.claims(), { sub: id, name: 'Dana Scully', preferred_username: 'Dana.Scully' })
  t.notOk('email' in bare.claims()!, 'no address vouched for: no email claim, never a made-up one')
  t.notOk('email_verified' in bare.claims()!)

  await users.link(id, 'google', 'g-dana', clock.now(), 'dana@fbi.example')
  await users.link(id, 'github', 'gh-dana', clock.now() + 1, 'scully@github.example')
  const both = await signInTo(setup, browser, 'openid profile email')
  t.match(both.claims(), { email: 'dana@fbi.example', email_verified: true }, 'the first vouched address by default')
  t.same(await client.fetchUserInfo(setup.rp, both.access_token, id), {
    sub: id,
    name: 'Dana Scully',
    preferred_username: 'Dana.Scully',
    email: 'dana@fbi.example',
    email_verified: true,
  })

  await server.app.ctx.addresses.pick(id, 'scully@github.example')
  await server.app.ctx.handles.choose(id, 'scully')
  const refreshed = await client.refreshTokenGrant(setup.rp, both.refresh_token!)
  t.match(refreshed.claims(), { email: 'scully@github.example', preferred_username: 'scully' }, 'as picked now')

  const onlyEmail = await signInTo(setup, browser, 'openid email')
  t.notOk('preferred_username' in onlyEmail.claims()!, 'the handle belongs to the profile scope')
  t.notOk('name' in onlyEmail.claims()!)
  t.equal(onlyEmail.claims()!.email, 'scully@github.example')
  const onlyProfile = await signInTo(setup, browser, 'openid profile')
  t.notOk('email' in onlyProfile.claims()!, 'the address belongs to the email scope')
})

t.test('an account made before handles is given one when an app first asks', async t => {
  const setup = await oidcSetup(t)
  const { users, db } = setup.server.app.ctx
  const cookie = await setup.server.signIn('old timer')
  const id = ((await setup.server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }).id
  // As migration 0011 leaves existing accounts.
  await db.sql.run('UPDATE users SET handle = NULL WHERE id = ?', [id])
  t.equal((await users.contact(id))?.handle, null)
  const tokens = await signInTo(setup, new Browser(cookie), 'openid profile')
  t.equal(tokens.claims()!.preferred_username, 'old.timer')
  t.equal((await users.contact(id))?.handle, 'old.timer', 'and keeps it')
})

t.test('prompt=login and max_age: the person signs in again, auth_time moves on, the session stays', async t => {
  const setup = await oidcSetup(t)
  const { server } = setup
  // oidc-provider reads max_age against the wall clock: with the server's clock a minute behind it, the
  // sign-in is over a second old at once, without waiting; each case below moves the server's clock on.
  server.clock.advance(-60)
  const cookie = await server.signIn('eve')
  const browser = new Browser(cookie)
  const [session] = await server.app.ctx.sessions.list((await server.app.ctx.users.findByIdentity('test', 'eve'))!.id)
  const first = await signInTo(setup, browser, 'openid')

  const cases: Record<string, string>[] = [{ max_age: '1' }, { prompt: 'login' }]
  for (const extra of cases) {
    await t.test(JSON.stringify(extra), async t => {
      server.clock.advance(5)
      const { url, checks } = await authorizationRequest(setup.rp, 'openid', extra)
      const asked = await browser.visit(url, `${server.base}/login?`)
      t.equal(asked.url.searchParams.get('prompt'), 'login', 'the sign-in page, although signed in')
      const next = asked.url.searchParams.get('next')!
      const page = await browser.fetch(asked.url, { headers: { accept: 'text/html' } })
      t.match(await page.text(), /An app asks you to prove it is you again/)
      const landed = await browser.visit(`${server.base}/login/test/as?who=eve&next=${encodeURIComponent(next)}`)
      t.notOk(landed.response, 'then back to the app')
      const tokens = await client.authorizationCodeGrant(setup.rp, landed.url, checks)
      t.equal(tokens.claims()!.auth_time, server.clock.now(), 'auth_time: the sign-in just made')
      t.equal(tokens.claims()!.sub, first.claims()!.sub)
      t.same(
        (await server.app.ctx.sessions.list(tokens.claims()!.sub)).map(s => s.sid),
        [session!.sid],
        'the same session: other apps signed in on it are not signed out',
      )
    })
  }
  t.ok((await client.refreshTokenGrant(setup.rp, first.refresh_token!)).access_token, 'the first grant lives on')

  const quiet = await authorizationRequest(setup.rp, 'openid', { max_age: '3600' })
  t.ok((await browser.visit(quiet.url)).url.searchParams.get('code'), 'a max_age not passed asks nothing')
})

t.test('an ID token hint naming someone else: login_required, not a loop', async t => {
  const setup = await oidcSetup(t)
  const frank = await signInTo(setup, new Browser(await setup.server.signIn('frank')), 'openid')
  const browser = new Browser(await setup.server.signIn('grace'))
  const { url, checks } = await authorizationRequest(setup.rp, 'openid', { id_token_hint: frank.id_token! })
  const landed = await browser.visit(url)
  t.equal(landed.url.searchParams.get('error'), 'login_required')
  t.equal(landed.url.searchParams.get('state'), checks.expectedState)
})
