import t from 'tap'
import {
  defaultProfiles,
  startFakeProviders,
  type FakeProviders,
  type PresetName,
} from '../../helpers/fake-providers.js'
import { begin, consent, locationOf, startOAuthApp, type Browser, type OAuthApp } from '../../helpers/oauth.js'

const LEASE = 'login'

interface Expected {
  providerUserId: string
  name: string
  picture: string
  scope: string
  /** The address the provider vouched for. */
  email: string
  /** The handle first given here. */
  handle: string
}

const expected: Record<PresetName, Expected> = {
  google: {
    providerUserId: '1078',
    name: 'Grace Google',
    picture: 'https://lh3.example/grace.png',
    scope: 'openid profile email',
    email: 'grace@example.com',
    handle: 'Grace.Google',
  },
  // No display name on GitHub: the login stands in.
  github: {
    providerUserId: 'MDQ6VXNlcjE=',
    name: 'octo',
    picture: 'https://avatars.example/octo.png',
    scope: 'user:email',
    // The primary verified one of its emails API, not an older or unconfirmed one.
    email: 'octo@example.org',
    // From the login, not the name.
    handle: 'octo',
  },
  facebook: {
    providerUserId: '10211',
    name: 'Fay Book',
    picture: 'https://fb.example/fay.jpg',
    scope: 'public_profile email',
    email: 'fay@example.net',
    handle: 'Fay.Book',
  },
}

async function me(browser: Browser): Promise<{ id: string; name: string; picture: string }> {
  const response = await browser.get('/login/me')
  if (response.status !== 200) throw new Error(`not signed in: ${response.status}`)
  return response.json() as Promise<{ id: string; name: string; picture: string }>
}

t.test('each preset signs in over HTTP: PKCE, profile mapping, next', async t => {
  const fake = await startFakeProviders(t)
  const { app, base, browser } = await startOAuthApp(t, fake.credentials)

  for (const preset of ['google', 'github', 'facebook'] as const) {
    await t.test(preset, async t => {
      const b = browser()
      const authorize = await begin(b, `/login/${preset}?next=${encodeURIComponent(`/after/${preset}?x=1`)}`)
      t.ok(authorize.href.startsWith(fake.credentials[preset].base_url + '/'), 'the browser goes to the provider')
      const q = authorize.searchParams
      t.equal(q.get('redirect_uri'), `${base}/login/${preset}/continue`)
      t.equal(q.get('client_id'), fake.credentials[preset].id)
      t.equal(q.get('response_type'), 'code')
      t.equal(q.get('code_challenge_method'), 'S256')
      t.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/)
      t.match(q.get('state'), /^[A-Za-z0-9_-]{43}$/)
      t.equal(q.get('scope'), expected[preset].scope)
      t.notOk(authorize.href.includes('next'), 'next stays on the server, not in the provider URL')

      const done = await b.get(await consent(authorize))
      t.equal(done.status, 303, await done.clone().text())
      t.equal(done.headers.get('location'), `/after/${preset}?x=1`)
      t.ok(b.cookie(LEASE), 'a lease cookie is set')

      const user = await me(b)
      t.match(user, { name: expected[preset].name, picture: expected[preset].picture })
      t.equal(
        (await app.ctx.users.findByIdentity(preset, expected[preset].providerUserId))?.id,
        user.id,
        'the identity is keyed by the provider user id',
      )
      t.same(
        await app.ctx.users.contact(user.id),
        { handle: expected[preset].handle, addresses: [expected[preset].email], picked: null },
        'the vouched address is kept with the identity, and a handle is given',
      )
      const request = fake.tokenRequests.at(-1)!
      t.equal(request.preset, preset)
      t.match(request.body.get('code_verifier'), /^[A-Za-z0-9_-]{43}$/, 'the PKCE verifier went to the token endpoint')
    })
  }
})

t.test('the sign-in page offers exactly the configured providers', async t => {
  const fake = await startFakeProviders(t)
  const { browser } = await startOAuthApp(t, { github: fake.credentials.github })
  const b = browser()
  const listed = (await (await b.get('/login', { accept: 'application/json' })).json()) as {
    providers: { id: string; label: string; url: string }[]
  }
  t.same(
    listed.providers.map(p => [p.id, p.label]),
    [
      ['test', 'Test account'],
      ['github', 'GitHub'],
    ],
  )
  t.equal(listed.providers[1]!.url, '/login/github?next=%2F')
  const page = await (await b.get('/login', { accept: 'text/html' })).text()
  t.match(page, /<a class="button" href="\/login\/github\?next=%2F" data-provider="github">Continue with GitHub<\/a>/)
  t.notMatch(page, /google|facebook/i)

  for (const path of [
    '/login/google',
    '/login/google/continue?code=a&state=b',
    '/login/link/facebook',
    '/login/oidc/corp',
    '/login/oidc/corp/continue',
  ]) {
    const response = await b.get(path)
    t.equal(response.status, 404, path)
    t.equal(((await response.json()) as { code: string }).code, 'LOGIN_ERR_UNKNOWN_PROVIDER', path)
  }
})

t.test('signing in again reaches the same account with name and picture refreshed', async t => {
  const fake = await startFakeProviders(t)
  const { browser } = await startOAuthApp(t, fake.credentials)
  const first = browser()
  await first.get(await consent(await begin(first, '/login/github')))
  const before = await me(first)

  fake.profiles.github = {
    ...(defaultProfiles().github as object),
    name: 'Octo Cat',
    avatar_url: 'https://avatars.example/new.png',
  }
  const second = browser()
  await second.get(await consent(await begin(second, '/login/github')))
  const after = await me(second)
  t.equal(after.id, before.id)
  t.equal(after.name, 'Octo Cat')
  t.equal(after.picture, 'https://avatars.example/new.png')
})

t.test('a session present before sign-in is replaced, never upgraded', async t => {
  const fake = await startFakeProviders(t)
  const { app, browser } = await startOAuthApp(t, fake.credentials)
  const b = browser()
  t.equal((await b.get('/login/test/as?who=alice')).status, 303)
  const alice = await me(b)
  const aliceLease = b.cookie(LEASE)
  t.equal((await app.ctx.sessions.list(alice.id)).length, 1)

  const done = await b.get(await consent(await begin(b, '/login/facebook')))
  t.equal(done.status, 303)
  t.not(b.cookie(LEASE), aliceLease, 'a new lease')
  t.equal((await me(b)).name, 'Fay Book')
  t.equal((await app.ctx.sessions.list(alice.id)).length, 0, "alice's session was revoked, not turned into Fay's")
})

t.test('the same person signing in again keeps the session: what apps were given on it lives on', async t => {
  const fake = await startFakeProviders(t)
  const { app, browser, clock } = await startOAuthApp(t, fake.credentials)
  const b = browser()
  await b.get(await consent(await begin(b, '/login/facebook')))
  const fay = await me(b)
  const [session] = await app.ctx.sessions.list(fay.id)
  clock.advance(120)
  const again = await b.get(await consent(await begin(b, '/login/facebook')))
  t.equal(again.status, 303)
  const after = await app.ctx.sessions.list(fay.id)
  t.same(
    after.map(s => s.sid),
    [session!.sid],
    'one session, the same one',
  )
  t.equal(after[0]!.authenticated, session!.created + 120, 'it records when the person proved who they are again')
  t.equal((await me(b)).id, fay.id, 'the renewed lease signs in')
})

t.test('addresses a provider did not vouch for are not kept; an emails API that fails fails the sign-in', async t => {
  const fake = await startFakeProviders(t)
  const { app, browser } = await startOAuthApp(t, fake.credentials)
  const unconfirmed: [PresetName, () => void][] = [
    ['google', () => (fake.profiles.google = { ...(defaultProfiles().google as object), email_verified: false })],
    [
      'github',
      () =>
        (fake.githubEmails = [
          { email: 'octo@example.org', primary: true, verified: false, visibility: null },
          { email: 'octo@other.example', primary: false, verified: true, visibility: null },
        ]),
    ],
    ['facebook', () => (fake.profiles.facebook = { ...(defaultProfiles().facebook as object), email: undefined })],
  ]
  for (const [preset, unvouch] of unconfirmed) {
    const b = browser()
    await b.get(await consent(await begin(b, `/login/${preset}`)))
    const user = await me(b)
    t.same((await app.ctx.users.contact(user.id))?.addresses, [expected[preset].email], `${preset}: vouched at first`)
    unvouch()
    await b.get(await consent(await begin(b, `/login/${preset}`)))
    t.same((await app.ctx.users.contact(user.id))?.addresses, [], `${preset}: no longer, so no longer kept`)
  }

  fake.emails = 'fail'
  const b = browser()
  const failed = await b.get(await consent(await begin(b, '/login/github')), { accept: 'application/json' })
  t.equal(failed.status, 502)
  t.match(await failed.json(), { code: 'LOGIN_ERR_PROVIDER', message: /GitHub's emails API answered HTTP 500/ })
})

interface Failure {
  name: string
  preset: PresetName
  /** How the fake providers misbehave; they behave otherwise. */
  fake?: Partial<Pick<FakeProviders, 'token' | 'profile'>>
  /** What the preset's profile API answers instead of its usual profile. */
  profile?: unknown
  /** The code in the callback URL is one the provider never issued. */
  forgedCode?: true
  message: RegExp
}

// Failures that are a provider not answering wait this long: short, so that each costs a second of the suite,
// yet ample for the fake providers on loopback (in this process) to answer the steps before the one that hangs.
const TIMEOUT_MS = 1000

/** A provider's endpoint fails, hangs (the app gives up after {@link TIMEOUT_MS}) or drops the connection. */
const misbehaving: [string, PresetName, Failure['fake'], RegExp][] = [
  ['token endpoint answers 500', 'google', { token: 'fail' }, /token endpoint answered HTTP 500 \(server_error\)/],
  [
    'token endpoint times out',
    'google',
    { token: 'hang' },
    new RegExp(`token endpoint did not answer within ${TIMEOUT_MS} ms`),
  ],
  ['token endpoint drops the connection', 'facebook', { token: 'refuse' }, /token endpoint could not be reached/],
  [
    'profile API times out',
    'google',
    { profile: 'hang' },
    new RegExp(`profile API did not answer within ${TIMEOUT_MS} ms`),
  ],
  ['profile API answers 500', 'github', { profile: 'fail' }, /profile API answered HTTP 500/],
]

const failures: Failure[] = [
  ...misbehaving.map(([name, preset, fake, message]) => ({ name, preset, fake, message })),
  {
    name: 'token endpoint refuses the code (400)',
    preset: 'facebook',
    forgedCode: true,
    message: /answered HTTP 400 \(invalid_grant\)/,
  },
  {
    name: 'GitHub refuses the code with HTTP 200',
    preset: 'github',
    forgedCode: true,
    message: /sent no access token \(bad_verification_code\)/,
  },
  {
    name: 'profile lacks the id',
    preset: 'github',
    profile: { login: 'octo', avatar_url: 'https://a.example/x.png' },
    message: /profile has no user id \(node_id\)/,
  },
  {
    name: 'profile lacks the id (Facebook)',
    preset: 'facebook',
    profile: { name: 'Fay' },
    message: /profile has no user id \(id\)/,
  },
]

t.test('provider failures: a clear error, no session, the existing one untouched', async t => {
  const fake = await startFakeProviders(t)
  const app: OAuthApp = await startOAuthApp(t, fake.credentials)
  const impatient: OAuthApp = await startOAuthApp(t, fake.credentials, { providerTimeoutMs: TIMEOUT_MS })

  for (const failure of failures) {
    await t.test(failure.name, async t => {
      Object.assign(fake, { token: 'ok', profile: 'ok', profiles: defaultProfiles() }, failure.fake)
      if (failure.profile) fake.profiles[failure.preset] = failure.profile
      const hangs = Object.values(failure.fake ?? {}).includes('hang')
      const server = hangs ? impatient : app
      const b = server.browser()
      await b.get(`/login/test/as?who=${encodeURIComponent(failure.name)}`)
      const bob = await me(b)
      const bobLease = b.cookie(LEASE)

      const callback = await consent(await begin(b, `/login/${failure.preset}?next=/after`))
      if (failure.forgedCode) callback.searchParams.set('code', 'forged')
      const response = await b.get(callback)
      t.equal(response.status, 502)
      const body = (await response.json()) as { code: string; message: string }
      t.equal(body.code, 'LOGIN_ERR_PROVIDER')
      t.match(body.message, failure.message)
      t.notMatch(body.message, new RegExp(fake.credentials[failure.preset].secret), 'the secret is never shown')

      t.equal(b.cookie(LEASE), bobLease, 'the lease cookie is untouched')
      t.equal((await me(b)).id, bob.id, 'still signed in as before')
      t.equal((await server.app.ctx.sessions.list(bob.id)).length, 1)
      t.equal(
        await server.app.ctx.users.findByIdentity(failure.preset, expected[failure.preset].providerUserId),
        undefined,
        'no account was created',
      )
    })
  }
})

t.test('a failure in a browser is a readable page', async t => {
  const fake = await startFakeProviders(t)
  const { browser } = await startOAuthApp(t, fake.credentials)
  fake.token = 'fail'
  const b = browser()
  const callback = await consent(await begin(b, '/login/google'))
  const page = await b.get(callback, { accept: 'text/html,application/xhtml+xml' })
  t.equal(page.status, 502)
  t.match(page.headers.get('content-type'), /^text\/html/)
  const html = await page.text()
  t.match(html, /<code id="error-code">LOGIN_ERR_PROVIDER<\/code>/)
  t.match(html, /Google&#39;s token endpoint answered HTTP 500/)
  t.equal(b.cookie(LEASE), undefined, 'no session')
  t.equal(
    locationOf(await b.get('/login/view/sessions', { accept: 'text/html' })).pathname,
    '/login',
    'still signed out',
  )
})
