import t from 'tap'
import { generateKeyPair, SignJWT } from 'jose'
import type { MutableRedirectUri, MutableResponse, MutableToken, OAuth2Server } from 'oauth2-mock-server'
import { startApp } from '../../helpers/app.js'
import {
  begin,
  Browser,
  consent,
  startMockIssuer,
  startOAuthApp,
  writeCredentials,
  type OAuthApp,
} from '../../helpers/oauth.js'
import type { Teardown } from '../../helpers/teardown.js'

const CLIENT = 'mock-client'
const LEASE = 'login'

// One provider for the whole file (an RSA key is slow to make); each test removes the hooks it adds.
const mock = await startMockIssuer(t)

function credentials(mock: OAuth2Server) {
  return {
    oidc: {
      mock: {
        issuer: mock.issuer.url!,
        id: CLIENT,
        secret: 'mock-secret',
        scope: 'openid profile email',
        label: 'Mock ID',
      },
    },
  }
}

/** Changes every ID token the mock issues until the test ends (access tokens carry no `aud` and are left alone). */
function onIdToken(t: Teardown, mock: OAuth2Server, edit: (payload: MutableToken['payload']) => void): void {
  const listener = (token: MutableToken) => {
    if ('aud' in token.payload) edit(token.payload)
  }
  mock.service.on('beforeTokenSigning', listener)
  t.teardown(() => mock.service.off('beforeTokenSigning', listener))
}

function on<T>(
  t: Teardown,
  mock: OAuth2Server,
  event: 'beforeResponse' | 'beforeUserinfo' | 'beforeAuthorizeRedirect',
  listener: (value: T) => void,
): void {
  mock.service.on(event, listener)
  t.teardown(() => mock.service.off(event, listener))
}

async function me(browser: Browser): Promise<{ id: string; name: string; picture: string } | null> {
  const response = await browser.get('/login/me')
  return response.status === 200 ? (response.json() as Promise<{ id: string; name: string; picture: string }>) : null
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { code: string; message: string }
  return { status: response.status, code: body.code, message: body.message }
}

t.test('OpenID Connect: discovery, authorization, token, JWKS and userinfo', async t => {
  const { app, base, browser } = await startOAuthApp(t, credentials(mock))
  let userinfoCalls = 0
  on<MutableResponse>(t, mock, 'beforeUserinfo', response => {
    userinfoCalls++
    response.body = { sub: 'johndoe', name: 'John Doe', picture: 'https://idp.example/jd.png' }
  })

  const b = browser()
  const authorize = await begin(b, '/login/oidc/mock?next=/dashboard')
  t.equal(authorize.origin + authorize.pathname, `${mock.issuer.url}/authorize`, 'the endpoint came from discovery')
  const q = authorize.searchParams
  t.equal(q.get('redirect_uri'), `${base}/login/oidc/mock/continue`)
  t.equal(q.get('scope'), 'openid profile email')
  t.equal(q.get('code_challenge_method'), 'S256')
  t.match(q.get('nonce'), /^[A-Za-z0-9_-]{22}$/)

  const done = await b.get(await consent(authorize))
  t.equal(done.status, 303, await done.clone().text())
  t.equal(done.headers.get('location'), '/dashboard')
  const user = await me(b)
  t.match(user, { name: 'John Doe', picture: 'https://idp.example/jd.png' })
  t.equal((await app.ctx.users.findByIdentity('oidc:mock', 'johndoe'))?.id, user!.id)
  t.equal(userinfoCalls, 1, 'the ID token had no name: userinfo was asked')

  const listed = (await (await browser().get('/login', { accept: 'application/json' })).json()) as {
    providers: { id: string; label: string }[]
  }
  t.same(
    listed.providers.find(p => p.id === 'oidc:mock'),
    { id: 'oidc:mock', label: 'Mock ID', url: '/login/oidc/mock?next=%2F' },
  )
})

t.test('the ID token wins over userinfo, which is not asked when the token says it all', async t => {
  const { app, browser } = await startOAuthApp(t, credentials(mock))
  onIdToken(t, mock, payload =>
    Object.assign(payload, {
      name: 'Token Name',
      picture: 'https://idp.example/token.png',
      email: 'token@idp.example',
      email_verified: true,
      preferred_username: 'tokenhandle',
    }),
  )
  let userinfoCalls = 0
  on<MutableResponse>(t, mock, 'beforeUserinfo', () => {
    userinfoCalls++
  })
  const b = browser()
  t.equal((await b.get(await consent(await begin(b, '/login/oidc/mock')))).status, 303)
  const user = (await me(b))!
  t.match(user, { name: 'Token Name', picture: 'https://idp.example/token.png' })
  t.equal(userinfoCalls, 0)
  t.same(
    await app.ctx.users.contact(user.id),
    { handle: 'tokenhandle', addresses: ['token@idp.example'], picked: null },
    'email_verified: the address is kept; the handle comes from preferred_username',
  )
})

t.test('an address the provider did not say it verified is not kept', async t => {
  const { app, browser } = await startOAuthApp(t, credentials(mock))
  onIdToken(t, mock, payload => Object.assign(payload, { name: 'N', picture: 'https://idp.example/n.png' }))
  on<MutableResponse>(t, mock, 'beforeUserinfo', response => {
    response.body = { sub: 'johndoe', email: 'unsure@idp.example', email_verified: false }
  })
  const b = browser()
  t.equal((await b.get(await consent(await begin(b, '/login/oidc/mock')))).status, 303)
  t.same((await app.ctx.users.contact((await me(b))!.id))?.addresses, [])
})

t.test('two sign-ins under way in one browser (two tabs) both complete', async t => {
  const { browser } = await startOAuthApp(t, credentials(mock))
  const b = browser()
  const first = await consent(await begin(b, '/login/oidc/mock?next=/one'))
  const second = await consent(await begin(b, '/login/oidc/mock?next=/two'))
  t.equal((await b.get(second)).headers.get('location'), '/two')
  t.equal((await b.get(first)).headers.get('location'), '/one')
})

t.test('the flow cookie binds the flow to the browser, and nothing else', async t => {
  const { browser } = await startOAuthApp(t, credentials(mock))
  const b = browser()
  const response = await b.get('/login/oidc/mock?next=/x')
  const cookies = response.headers.getSetCookie()
  t.equal(cookies.length, 1, 'one cookie, whatever next holds')
  t.match(cookies[0], /^login-flow=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/)
  t.notMatch(cookies[0], /\/x|state|verifier/)
})

t.test('under https the flow cookie is a Secure __Host- cookie', async t => {
  const { app } = await startApp(t, {
    publicUrl: 'https://login.example.com',
    credentialsPath: writeCredentials(t, credentials(mock)),
  })
  const response = await app.inject({ url: '/login/oidc/mock' })
  t.equal(response.statusCode, 302)
  t.match(
    response.headers['set-cookie'],
    /^__Host-login-flow=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
  )
  t.equal(
    new URL(response.headers.location!).searchParams.get('redirect_uri'),
    'https://login.example.com/login/oidc/mock/continue',
  )
})

t.test('a bad next is refused before leaving, and checked again on return', async t => {
  const first = await startOAuthApp(t, credentials(mock), { allowedRedirectHosts: ['apps.example.com'] })
  const b = first.browser()
  const refused = await b.get('/login/oidc/mock?next=https://evil.example/')
  t.equal(refused.status, 400)
  t.equal((await errorOf(refused)).code, 'LOGIN_ERR_BAD_NEXT')

  // The server restarts with a narrower allow-list while the user is at the provider.
  const callback = await consent(await begin(b, '/login/oidc/mock?next=https://apps.example.com/home'))
  const second = await startOAuthApp(t, credentials(mock), { runDir: first.config.runDir })
  const later = new Browser(second.base)
  later.setCookie('login-flow', b.cookie('login-flow')!)
  const response = await later.get(callback.pathname + callback.search)
  t.equal(response.status, 400)
  t.equal((await errorOf(response)).code, 'LOGIN_ERR_BAD_NEXT')
  t.equal(later.cookie(LEASE), undefined)
})

interface Case {
  name: string
  /** Runs after the flow started (the authorization URL is known) and before the provider answers. */
  arrange?(t: Teardown, mock: OAuth2Server, authorize: URL): Promise<void> | void
  /** Changes the callback URL, or what the browser has, before it returns. */
  tamper?(callback: URL, browser: Browser, app: OAuthApp): void
  status: number
  code: string
  message: RegExp
}

/** The provider misbehaved. */
const PROVIDER = { status: 502, code: 'LOGIN_ERR_PROVIDER' }
/** The callback does not belong to a sign-in under way in this browser. */
const STATE = { status: 400, code: 'LOGIN_ERR_OAUTH_STATE' }

/** Every ID token the mock issues carries `claims`. */
const idTokenWith =
  (claims: Partial<MutableToken['payload']>): Case['arrange'] =>
  (t, mock) =>
    onIdToken(t, mock, payload => Object.assign(payload, claims))

/** The authorization endpoint sends the browser back with this error instead of a code. */
const authorizationError =
  (params: Record<string, string>): Case['arrange'] =>
  (t, mock) =>
    on<MutableRedirectUri>(t, mock, 'beforeAuthorizeRedirect', redirect => {
      redirect.url.searchParams.delete('code')
      for (const [name, value] of Object.entries(params)) redirect.url.searchParams.set(name, value)
    })

/** The mock's token endpoint (`beforeResponse`) or userinfo answers are changed by `edit`. */
const answers =
  (event: 'beforeResponse' | 'beforeUserinfo', edit: (response: MutableResponse) => void): Case['arrange'] =>
  (t, mock) =>
    on<MutableResponse>(t, mock, event, edit)

/** ID tokens carrying a claim of another sign-in, client or issuer, and what the refusal says. */
const foreignClaims: [Partial<MutableToken['payload']>, RegExp][] = [
  [{ nonce: 'someone-else' }, /issued for another sign-in \(nonce mismatch\)/],
  [{ aud: 'other-client' }, /ID token was rejected: unexpected "aud" claim value/],
  [{ iss: 'https://evil.example' }, /ID token was rejected: unexpected "iss" claim value/],
]

const cases: Case[] = [
  {
    name: 'the user denies consent',
    status: 401,
    code: 'LOGIN_ERR_ACCESS_DENIED',
    message: /cancelled at the provider: The user said no/,
    arrange: authorizationError({ error: 'access_denied', error_description: 'The user said no' }),
  },
  {
    name: 'the provider reports another error',
    ...PROVIDER,
    message: /Mock ID answered temporarily_unavailable/,
    arrange: authorizationError({ error: 'temporarily_unavailable' }),
  },
  {
    name: 'state mismatch',
    ...STATE,
    message: /unknown, was already used/,
    tamper: u => u.searchParams.set('state', 'A'.repeat(43)),
  },
  { name: 'state missing', ...STATE, message: /sent no state/, tamper: u => u.searchParams.delete('state') },
  {
    name: 'state repeated',
    ...STATE,
    message: /state appears more than once/,
    tamper: u => u.searchParams.append('state', 'x'),
  },
  {
    name: 'no flow cookie (cookies blocked)',
    ...STATE,
    message: /no sign-in under way/,
    tamper: (_u, b) => b.forget('login-flow'),
  },
  {
    name: 'the flow expired',
    ...STATE,
    message: /took more than 10 minutes/,
    tamper: (_u, _b, app) => app.clock.advance(601),
  },
  {
    name: 'expired ID token',
    ...PROVIDER,
    message: /Mock ID's ID token has expired/,
    arrange: (t, mock) =>
      onIdToken(t, mock, p => {
        p.iat = Math.floor(Date.now() / 1000) - 7200
        p.exp = p.iat + 3600
      }),
  },
  {
    name: 'forged ID token (signed with another key under the same kid)',
    ...PROVIDER,
    message: /signature does not verify/,
    arrange: async (t, mock, authorize) => {
      const { privateKey } = await generateKeyPair('RS256')
      const kid = (mock.issuer.keys.toJSON()[0] as { kid: string }).kid
      const forged = await new SignJWT({ sub: 'johndoe', nonce: authorize.searchParams.get('nonce') })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(mock.issuer.url!)
        .setAudience(CLIENT)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey)
      on<MutableResponse>(t, mock, 'beforeResponse', response => {
        ;(response.body as Record<string, unknown>).id_token = forged
      })
    },
  },
  ...foreignClaims.map(([claims, message]) => ({
    name: `ID token with ${JSON.stringify(claims)}`,
    ...PROVIDER,
    message,
    arrange: idTokenWith(claims),
  })),
  {
    name: 'token endpoint refuses the code',
    ...PROVIDER,
    message: /token endpoint answered HTTP 400 \(invalid_grant\)/,
    arrange: answers('beforeResponse', response =>
      Object.assign(response, { statusCode: 400, body: { error: 'invalid_grant' } }),
    ),
  },
  {
    name: 'token endpoint sends no ID token',
    ...PROVIDER,
    message: /sent no ID token/,
    arrange: answers('beforeResponse', response => delete (response.body as Record<string, unknown>).id_token),
  },
  {
    name: 'a code the provider never issued',
    ...PROVIDER,
    message: /token endpoint answered HTTP 400 \(invalid_request\)/,
    tamper: u => u.searchParams.set('code', 'not-issued'),
  },
  {
    name: 'userinfo without the id',
    ...PROVIDER,
    message: /userinfo has no user id \(sub\)/,
    arrange: answers('beforeUserinfo', response => (response.body = { name: 'Nobody' })),
  },
  {
    name: 'userinfo about someone else',
    ...PROVIDER,
    message: /userinfo describes another user/,
    arrange: answers('beforeUserinfo', response => (response.body = { sub: 'mallory', name: 'Mallory' })),
  },
]

t.test('failures: the error code, no session, the existing session untouched', async t => {
  const app = await startOAuthApp(t, credentials(mock))

  for (const [index, c] of cases.entries()) {
    await t.test(c.name, async t => {
      const b = app.browser()
      await b.get(`/login/test/as?who=case-${index}`)
      const before = await me(b)
      const lease = b.cookie(LEASE)

      const authorize = await begin(b, '/login/oidc/mock?next=/after')
      await c.arrange?.(t, mock, authorize)
      const callback = await consent(authorize)
      c.tamper?.(callback, b, app)
      const answer = await errorOf(await b.get(callback))
      t.equal(answer.code, c.code)
      t.equal(answer.status, c.status)
      t.match(answer.message, c.message)

      t.equal(b.cookie(LEASE), lease, 'the lease cookie is untouched')
      t.equal((await me(b))?.id, before!.id, 'still signed in as before')
      t.equal(
        await app.app.ctx.users.findByIdentity('oidc:mock', 'johndoe'),
        undefined,
        'nobody signed in through the provider',
      )
    })
  }
})

t.test('state is single-use: replaying a completed callback fails', async t => {
  const { browser } = await startOAuthApp(t, credentials(mock))
  const b = browser()
  const callback = await consent(await begin(b, '/login/oidc/mock'))
  t.equal((await b.get(callback)).status, 303)
  const lease = b.cookie(LEASE)
  const replay = await errorOf(await b.get(callback))
  t.equal(replay.code, 'LOGIN_ERR_OAUTH_STATE')
  t.equal(b.cookie(LEASE), lease, 'the session of the first callback stays')
})

t.test('a callback carried to another browser (login CSRF) finds no flow, and does not spoil the real one', async t => {
  const { browser } = await startOAuthApp(t, credentials(mock))
  const attacker = browser()
  const victim = browser()
  const callback = await consent(await begin(attacker, '/login/oidc/mock'))
  await begin(victim, '/login/oidc/mock') // the victim has a flow cookie of their own
  const forced = await errorOf(await victim.get(callback))
  t.equal(forced.code, 'LOGIN_ERR_OAUTH_STATE')
  t.equal(victim.cookie(LEASE), undefined, 'the victim is not signed in as the attacker')
  t.equal((await attacker.get(callback)).status, 303, 'the flow still belongs to the browser that started it')
})
