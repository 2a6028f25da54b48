import t from 'tap'
import * as client from 'openid-client'
import { Browser, oidcSetup, registerClient, signInTo, type OidcSetup } from './fixture.js'

/** What the introspection endpoint answers `caller` about `token` (RFC 7662). */
async function introspect(setup: OidcSetup, caller: { id: string; secret: string | null }, token: string) {
  const response = await fetch(`${setup.issuer}/oidc/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(caller.secret !== null && {
        authorization: `Basic ${Buffer.from(`${caller.id}:${caller.secret}`).toString('base64')}`,
      }),
    },
    body: new URLSearchParams({ token, ...(caller.secret === null && { client_id: caller.id }) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function userId(setup: OidcSetup, cookie: string): Promise<string> {
  return ((await setup.server.app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }).id
}

t.test('a registered app asks about a token: sub, client_id, scope, exp while it stands', async t => {
  const setup = await oidcSetup(t)
  const cookie = await setup.server.signIn('ivy')
  const tokens = await signInTo(setup, new Browser(cookie), 'openid profile groups')
  const answer = await client.tokenIntrospection(setup.rp, tokens.access_token)
  t.match(answer, {
    active: true,
    sub: await userId(setup, cookie),
    client_id: setup.app.id,
    scope: 'openid profile groups',
    exp: Number,
    iss: setup.issuer,
    token_type: 'Bearer',
  })
  t.match((await introspect(setup, setup.app, tokens.refresh_token!)).body, { active: true, client_id: setup.app.id })

  // A resource server: an app registered without any OpenID Connect option, asking with its own credentials.
  const api = await setup.server.app.ctx.apps.add('notes-api')
  t.match((await introspect(setup, api, tokens.access_token)).body, { active: true, client_id: setup.app.id })
  const api2 = await registerClient(setup.server, 'api-with-redirect')
  t.match((await introspect(setup, api2.app, tokens.access_token)).body, { active: true })
  const spa = await registerClient(setup.server, 'spa', { public: true })
  t.same(
    (await introspect(setup, spa.app, tokens.access_token)).body,
    { active: false },
    "a public client (no secret to prove who asks) learns nothing of another client's token",
  )
  const unauthenticated = await introspect(setup, { id: api.id, secret: 'wrong' }, tokens.access_token)
  t.equal(unauthenticated.status, 401)
  t.equal(unauthenticated.body.error, 'invalid_client')
  t.same((await introspect(setup, api, 'not-a-token')).body, { active: false })
  t.notOk('name' in (await introspect(setup, api, tokens.access_token)).body, 'no profile claims: RFC 7662 only')
})

t.test('active: false the moment the session behind the token ends, however it ends', async t => {
  const setup = await oidcSetup(t, { require: 'club' }, { idleSeconds: 600, leaseSeconds: 60 })
  const { server } = setup
  const { groups, sessions, accounts } = server.app.ctx
  await groups.tree.ensureNamespace('club', 'test', 'owner')
  const api = await server.app.ctx.apps.add('api')
  const inject = server.app.inject.bind(server.app)

  const endings: [string, (cookie: string, id: string) => Promise<unknown>][] = [
    ['logout', cookie => inject({ method: 'POST', url: '/login/logout', headers: { cookie } })],
    [
      'revocation from the sessions page',
      async (cookie, id) => sessions.revoke((await sessions.list(id))[0]!.sid, 'session_list'),
    ],
    ['account deletion', async (_cookie, id) => accounts.delete(id)],
    ['idle timeout', async () => server.clock.advance(601)],
    [
      'losing the --require membership',
      async (_cookie, id) => groups.membership.remove((await groups.membership.current(id))[0]!.id),
    ],
  ]
  for (const [how, end] of endings) {
    await t.test(how, async t => {
      const cookie = await server.signIn(`m-${how}`)
      const id = await userId(setup, cookie)
      await groups.membership.grant(id, 'club')
      const tokens = await signInTo(setup, new Browser(cookie), 'openid offline_access')
      t.match((await introspect(setup, api, tokens.access_token)).body, { active: true, sub: id })
      await end(cookie, id)
      // No wait for the revocation feed or the sweep: the answer looks at the session itself.
      t.same((await introspect(setup, api, tokens.access_token)).body, { active: false }, 'the access token')
      t.same((await introspect(setup, api, tokens.refresh_token!)).body, { active: false }, 'the refresh token')
    })
  }
})
