import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { leaseToken, sidOf, startApp } from '../helpers/app.js'
import { formToken } from '../helpers/csrf.js'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

async function me(app: FastifyInstance, cookie: string) {
  return app.inject({ url: '/login/me', headers: { cookie } })
}

t.test('/login lists the providers on offer', async t => {
  const cases: { debug: boolean; next?: string; providers: unknown[] }[] = [
    { debug: true, providers: [{ id: 'test', label: 'Test account', url: '/login/test?next=%2F' }] },
    {
      debug: true,
      next: '/app/page?x=1',
      providers: [{ id: 'test', label: 'Test account', url: '/login/test?next=%2Fapp%2Fpage%3Fx%3D1' }],
    },
    { debug: false, providers: [] },
  ]
  for (const { debug, next, providers } of cases) {
    const { app } = await startApp(t, { debug })
    const url = next === undefined ? '/login' : `/login?next=${encodeURIComponent(next)}`
    const asJson = await app.inject({ url, headers: { accept: 'application/json' } })
    t.equal(asJson.statusCode, 200)
    t.same(
      asJson.json(),
      { providers, passkeys: { sign_in: true, sign_up: false } },
      `JSON, debug ${debug}, next ${next}`,
    )

    const page = await app.inject({ url, headers: { accept: 'text/html' } })
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /^text\/html/)
    if (providers.length)
      t.match(
        page.body,
        /<a class="button" href="\/login\/test\?next=[^"]+" data-provider="test">Continue with Test account<\/a>/,
      )
    else t.match(page.body, /No sign-in provider is configured/)
  }
})

t.test('/login with no provider: a passkey-only site is not called unconfigured', async t => {
  const passkeysOnly = await startApp(t, { debug: false, passkeySignup: 'open' })
  const page = await passkeysOnly.app.inject({ url: '/login', headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 200)
  t.notMatch(page.body, /No sign-in provider is configured/)
  t.match(page.body, /id="passkeys-only">This site signs in with passkeys/)
  t.match(page.body, /id="passkey-sign-up"/, 'the way to make an account is on the page')
  const closed = await startApp(t, { debug: false, passkeySignup: 'invited' })
  const closedPage = await closed.app.inject({ url: '/login', headers: { accept: 'text/html' } })
  t.match(closedPage.body, /No sign-in provider is configured: only an account that has a passkey can sign in/)
})

t.test('/login when already signed in goes straight to next', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  const response = await app.inject({ url: '/login?next=/app', headers: { cookie } })
  t.equal(response.statusCode, 302)
  t.equal(response.headers.location, '/app')
})

t.test('an invalid ?next on /login is a 400: a page for browsers, JSON otherwise', async t => {
  const { app } = await startApp(t)
  const nexts = [
    '//evil.com',
    'https://evil.com/',
    'javascript:alert(1)',
    '/\\evil.com',
    'http://localhost.evil.com/',
    'http://user@localhost/',
    'evil.com',
  ]
  const accepts: [string | undefined, 'html' | 'json'][] = [
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'],
    ['application/json', 'json'],
    [undefined, 'json'],
    ['*/*', 'json'],
  ]
  for (const next of nexts) {
    for (const [accept, kind] of accepts) {
      const response = await app.inject({
        url: `/login?next=${encodeURIComponent(next)}`,
        headers: accept ? { accept } : {},
      })
      const label = `${JSON.stringify(next)}, Accept ${accept ?? 'none'}`
      t.equal(response.statusCode, 400, label)
      if (kind === 'html') {
        t.match(response.headers['content-type'], /^text\/html/, label)
        t.match(response.body, /<code id="error-code">LOGIN_ERR_BAD_NEXT<\/code>/)
        t.match(response.body, /<p class="error" id="error-message">Invalid next URL: [^<]+<\/p>/)
      } else {
        t.match(response.headers['content-type'], /^application\/json/, label)
        t.match(
          response.json(),
          { statusCode: 400, error: 'Bad Request', code: 'LOGIN_ERR_BAD_NEXT', message: /^Invalid next URL: / },
          label,
        )
      }
    }
  }
  const repeated = await app.inject({ url: '/login?next=/a&next=/b' })
  t.match(repeated.json(), { statusCode: 400, code: 'LOGIN_ERR_BAD_NEXT' }, 'next given twice')
})

t.test('/login/me: the user, or 401 (a redirect to /login for a page load)', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  t.match((await me(app, cookie)).json(), { id: /^[0-9a-f-]{36}$/, name: 'alice', picture: '' })
  const anonymous = await app.inject({ url: '/login/me' })
  t.match(anonymous.json(), { statusCode: 401, code: 'LOGIN_ERR_UNAUTHENTICATED' })
  const navigation = await app.inject({ url: '/login/me?x=1', headers: { accept: 'text/html' } })
  t.equal(navigation.statusCode, 302)
  t.equal(navigation.headers.location, `/login?next=${encodeURIComponent('/login/me?x=1')}`)
})

t.test("/login/sessions lists the user's active sessions and marks the current one", async t => {
  const { app, signIn } = await startApp(t)
  const laptop = await signIn('alice', { 'user-agent': 'Laptop Browser' })
  const phone = await signIn('alice', { 'user-agent': 'Phone Browser' })
  const revoked = await signIn('alice', { 'user-agent': 'Old Browser' })
  await signIn('bob', { 'user-agent': 'Bob Browser' })
  await app.inject({ method: 'POST', url: '/login/logout', headers: { cookie: revoked, ...json }, payload: '{}' })

  const response = await app.inject({ url: '/login/sessions', headers: { cookie: laptop } })
  t.equal(response.statusCode, 200)
  const list = response.json() as { sid: string; current: boolean; user_agent: string }[]
  t.same(list.map(s => s.sid).sort(), [sidOf(laptop), sidOf(phone)].sort(), "only the user's active sessions")
  for (const session of list) {
    t.match(session, { ip: '127.0.0.1', created: Number, refreshed: Number })
    t.equal(
      session.current,
      session.sid === sidOf(laptop),
      `${session.user_agent}: current only for the asking session`,
    )
    t.equal(session.user_agent, session.sid === sidOf(laptop) ? 'Laptop Browser' : 'Phone Browser')
  }
  const fromPhone = (await app.inject({ url: '/login/sessions', headers: { cookie: phone } })).json()
  t.same(
    fromPhone.filter((s: { current: boolean }) => s.current).map((s: { sid: string }) => s.sid),
    [sidOf(phone)],
  )

  const page = await app.inject({ url: '/login/view/sessions', headers: { cookie: laptop } })
  t.equal(page.statusCode, 200)
  t.match(page.headers['cache-control'], /no-store/)
  t.match(page.body, new RegExp(`data-sid="${sidOf(laptop)}">[\\s\\S]*?This device`))
  t.match(page.body, new RegExp(`action="/login/deauthorize/${sidOf(phone)}"`), 'the other session has a revoke button')
  t.notMatch(page.body, new RegExp(`action="/login/deauthorize/${sidOf(laptop)}"`), 'the current one has none')
  t.match(page.body, /id="identities">[\s\S]*Test account[\s\S]*alice/, 'sign-in methods are listed')
  t.equal((await app.inject({ url: '/login/sessions' })).json().code, 'LOGIN_ERR_UNAUTHENTICATED')
})

t.test("/login/deauthorize/:sid revokes one of the user's own sessions only", async t => {
  const { app, signIn } = await startApp(t)
  const cases: {
    name: string
    target: (s: Record<string, string>) => string
    as: string
    status: number
    code?: string
    revokes?: string
  }[] = [
    {
      name: "someone else's session",
      as: 'alice',
      target: s => sidOf(s.bob!),
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    {
      name: 'a sid that never existed',
      as: 'alice',
      target: () => 'no-such-session',
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    {
      name: 'an own session already revoked',
      as: 'alice',
      target: s => sidOf(s.aliceOld!),
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    {
      name: 'an own other session',
      as: 'alice',
      target: s => sidOf(s.alicePhone!),
      status: 200,
      revokes: 'alicePhone',
    },
    { name: 'the current session itself', as: 'alice', target: s => sidOf(s.alice!), status: 200, revokes: 'alice' },
  ]
  for (const { name, as, target, status, code, revokes } of cases) {
    const sessions: Record<string, string> = {
      alice: await signIn('alice'),
      alicePhone: await signIn('alice'),
      aliceOld: await signIn('alice'),
      bob: await signIn('bob'),
    }
    await app.inject({
      method: 'POST',
      url: '/login/logout',
      headers: { cookie: sessions.aliceOld!, ...json },
      payload: '{}',
    })
    const sid = target(sessions)
    const response = await app.inject({
      method: 'POST',
      url: `/login/deauthorize/${encodeURIComponent(sid)}`,
      headers: { cookie: sessions[as]!, ...json },
      payload: '{}',
    })
    t.equal(response.statusCode, status, name)
    if (code) t.match(response.json(), { code, message: 'No such active session of yours' }, name)
    else t.same(response.json(), { revoked: sid }, name)
    for (const key of ['alice', 'alicePhone', 'bob']) {
      t.equal(
        (await me(app, sessions[key]!)).statusCode,
        key === revokes ? 401 : 200,
        `${name}: ${key} ${key === revokes ? 'signed out' : 'still signed in'}`,
      )
    }
  }

  const anonymous = await app.inject({
    method: 'POST',
    url: '/login/deauthorize/whatever',
    headers: json,
    payload: '{}',
  })
  t.match(anonymous.json(), { statusCode: 401, code: 'LOGIN_ERR_UNAUTHENTICATED' }, 'signed out: 401')

  const cookie = await signIn('carol')
  const other = await signIn('carol')
  const token = await formToken(app, cookie)
  const refused = await app.inject({
    method: 'POST',
    url: `/login/deauthorize/${sidOf(other)}`,
    headers: { cookie, ...form },
    payload: '',
  })
  t.match(refused.json(), { statusCode: 403, code: 'LOGIN_ERR_CSRF' }, 'a form post without its token is refused')
  t.equal((await me(app, other)).statusCode, 200)
  const posted = await app.inject({
    method: 'POST',
    url: `/login/deauthorize/${sidOf(other)}`,
    headers: { cookie, ...form },
    payload: `_csrf=${token}`,
  })
  t.equal(posted.statusCode, 303, 'the sessions page form goes back to the page')
  t.equal(posted.headers.location, '/login/view/sessions')
  t.equal((await me(app, other)).statusCode, 401)
})

t.test('/login/logout revokes the session, clears the cookie and goes to a validated next', async t => {
  const { app, signIn } = await startApp(t)
  type Case = {
    name: string
    method: 'GET' | 'POST'
    url: string
    kind?: 'json' | 'form'
    status: number
    location?: string
    body?: unknown
    code?: string
  }
  const cases: Case[] = [
    { name: 'GET without next', method: 'GET', url: '/login/logout', status: 303, location: '/login' },
    {
      name: 'GET with a relative next',
      method: 'GET',
      url: '/login/logout?next=%2Fbye%3Fx%3D1',
      status: 303,
      location: '/bye?x=1',
    },
    {
      name: 'GET with a next on a subdomain of the site',
      method: 'GET',
      url: '/login/logout?next=http%3A%2F%2Fapp.localhost%3A3000%2Fx',
      status: 303,
      location: 'http://app.localhost:3000/x',
    },
    { name: 'POST JSON', method: 'POST', url: '/login/logout', kind: 'json', status: 200, body: { signedOut: true } },
    {
      name: 'POST form with its token',
      method: 'POST',
      url: '/login/logout?next=%2Fbye',
      kind: 'form',
      status: 303,
      location: '/bye',
    },
    {
      name: 'GET with an off-site next',
      method: 'GET',
      url: '/login/logout?next=https%3A%2F%2Fevil.com%2F',
      status: 400,
      code: 'LOGIN_ERR_BAD_NEXT',
    },
    {
      name: 'GET with a protocol-relative next',
      method: 'GET',
      url: '/login/logout?next=%2F%2Fevil.com',
      status: 400,
      code: 'LOGIN_ERR_BAD_NEXT',
    },
    {
      name: 'GET with next given twice',
      method: 'GET',
      url: '/login/logout?next=%2Fa&next=%2Fb',
      status: 400,
      code: 'LOGIN_ERR_BAD_NEXT',
    },
    {
      name: 'POST JSON with a bad next',
      method: 'POST',
      url: '/login/logout?next=javascript%3Aalert(1)',
      kind: 'json',
      status: 400,
      code: 'LOGIN_ERR_BAD_NEXT',
    },
  ]
  for (const c of cases) {
    const cookie = await signIn('alice')
    // A GET link from one of the site's own pages (others ask first: test/security/csrf.test.ts).
    const headers: Record<string, string> = { cookie, ...(c.method === 'GET' ? { 'sec-fetch-site': 'same-site' } : {}) }
    let payload: string | undefined
    if (c.kind === 'json') {
      Object.assign(headers, json)
      payload = '{}'
    }
    if (c.kind === 'form') {
      Object.assign(headers, form)
      payload = `_csrf=${await formToken(app, cookie)}`
    }
    const response = await app.inject({ method: c.method, url: c.url, headers, payload })
    t.equal(response.statusCode, c.status, c.name)
    const setCookie = String(response.headers['set-cookie'] ?? '')
    if (c.code) {
      // The GET route answers a page (links from apps); POST answers JSON.
      if (c.method === 'GET') t.match(response.body, new RegExp(`id="error-code">${c.code}<`), c.name)
      else t.match(response.json(), { code: c.code }, c.name)
      t.equal(setCookie, '', `${c.name}: the cookie stays`)
      t.equal((await me(app, cookie)).statusCode, 200, `${c.name}: and the session too`)
      continue
    }
    if (c.location) t.equal(response.headers.location, c.location, c.name)
    if (c.body) t.same(response.json(), c.body, c.name)
    t.match(
      setCookie,
      /^login=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax/,
      `${c.name}: cookie cleared`,
    )
    t.equal((await me(app, cookie)).statusCode, 401, `${c.name}: session revoked`)
  }

  const signedOut = await app.inject({ method: 'POST', url: '/login/logout', headers: json, payload: '{}' })
  t.same(signedOut.json(), { signedOut: false }, 'signing out while signed out is harmless')
  const crossSite = await signIn('alice')
  const asked = await app.inject({
    url: '/login/logout',
    headers: { cookie: crossSite, 'sec-fetch-site': 'cross-site' },
  })
  t.equal(asked.statusCode, 200, 'another site cannot sign people out through the GET link: the page asks')
  t.match(asked.body, /Sign out\?/)
  t.equal((await me(app, crossSite)).statusCode, 200)
})

t.test('/login/delete removes the account: every session dead, the user gone', async t => {
  for (const kind of ['json', 'form'] as const) {
    const { app, signIn } = await startApp(t)
    const cookie = await signIn('alice')
    const other = await signIn('alice')
    const bob = await signIn('bob')
    const user = (await me(app, cookie)).json()

    const page = await app.inject({ url: '/login/view/delete', headers: { cookie } })
    t.match(
      page.body,
      /<form method="post" action="\/login\/delete"[^>]*>[\s\S]*name="_csrf" value="[^"]+"/,
      'the confirmation page carries the form token',
    )

    if (kind === 'form') {
      // The page asks for the account's name: anything else deletes nothing.
      for (const typed of ['', 'bob', 'alicex']) {
        const refused = await app.inject({
          method: 'POST',
          url: '/login/delete',
          headers: { cookie, ...form },
          payload: `_csrf=${await formToken(app, cookie)}&confirm_name=${typed}`,
        })
        t.equal(refused.statusCode, 400, `name ${JSON.stringify(typed)}: refused`)
        t.match(refused.body, /id="form-error" role="alert">Type your name, alice, to confirm; nothing was deleted./)
        t.equal((await me(app, cookie)).statusCode, 200, `name ${JSON.stringify(typed)}: still signed in`)
      }
    }
    const response =
      kind === 'json'
        ? await app.inject({ method: 'POST', url: '/login/delete', headers: { cookie, ...json }, payload: '{}' })
        : await app.inject({
            method: 'POST',
            url: '/login/delete',
            headers: { cookie, ...form },
            payload: `_csrf=${await formToken(app, cookie)}&confirm_name=%20ALICE%20`,
          })
    if (kind === 'json') t.same(response.json(), { deleted: user.id })
    else t.equal(response.headers.location, '/login', 'the form goes back to the sign-in page')
    t.match(String(response.headers['set-cookie']), /^login=;/, `${kind}: cookie cleared`)

    for (const session of [cookie, other])
      t.equal((await me(app, session)).statusCode, 401, `${kind}: every session of the user is dead`)
    t.equal((await me(app, bob)).statusCode, 200, 'other users are untouched')
    t.equal(await app.ctx.users.get(user.id), undefined, 'the user row is gone')
    t.same(await app.ctx.users.identities(user.id), [], 'and the identities with it')
    t.same(await app.ctx.sessions.list(user.id), [])
    const again = await signIn('alice')
    t.not((await me(app, again)).json().id, user.id, 'signing in again makes a new account')
  }
  const { app } = await startApp(t)
  t.match((await app.inject({ method: 'POST', url: '/login/delete', headers: json, payload: '{}' })).json(), {
    statusCode: 401,
    code: 'LOGIN_ERR_UNAUTHENTICATED',
  })
})

t.test('/login/check answers forward-auth by status and headers only', async t => {
  const { app, signIn } = await startApp(t)
  const names = ['alice', 'Zoë Ünïcode', 'Ádám & Éva "quoted" <tag>', '山田 太郎', 'emoji 🙂', 'semi;colon,comma=eq']
  for (const name of names) {
    const cookie = await signIn(name)
    const response = await app.inject({ url: '/login/check', headers: { cookie, accept: 'text/html' } })
    t.equal(response.statusCode, 200, name)
    t.equal(response.body, '', 'no body')
    t.equal(response.headers['x-login-user'], (await me(app, cookie)).json().id)
    t.equal(response.headers['x-login-name'], encodeURIComponent(name), `${name}: percent-encoded`)
    t.equal(decodeURIComponent(String(response.headers['x-login-name'])), name)
  }
  const refusals: [string, Record<string, string>][] = [
    ['no cookie', {}],
    ['an empty cookie', { cookie: 'login=' }],
    ['a garbage cookie', { cookie: 'login=garbage' }],
    ['a cookie under another name', { cookie: `other=${leaseToken(await signIn('alice'))}` }],
  ]
  for (const [name, headers] of refusals) {
    // Browsers hit it too (a page load through nginx auth_request): still a bare 401, never a redirect.
    const response = await app.inject({ url: '/login/check', headers: { ...headers, accept: 'text/html' } })
    t.equal(response.statusCode, 401, name)
    t.match(response.json(), { code: 'LOGIN_ERR_UNAUTHENTICATED' }, name)
    t.equal(response.headers['x-login-user'], undefined)
  }
  const cookie = await signIn('alice')
  const outsider = await app.inject({ url: '/login/check?group=no-such-group', headers: { cookie } })
  t.equal(outsider.statusCode, 403, 'a group the user does not hold')
  t.match(outsider.json(), { code: 'LOGIN_ERR_FORBIDDEN' })
})

t.test('/login/deauthorize-others signs out every other session of the user, and only those', async t => {
  const { app, signIn } = await startApp(t)
  const laptop = await signIn('dana')
  const phone = await signIn('dana')
  const tablet = await signIn('dana')
  const erin = await signIn('erin')
  const response = await app.inject({
    method: 'POST',
    url: '/login/deauthorize-others',
    headers: { cookie: laptop, ...json },
    payload: '{}',
  })
  t.equal(response.statusCode, 200)
  t.same((response.json().revoked as string[]).sort(), [sidOf(phone), sidOf(tablet)].sort())
  for (const cookie of [phone, tablet]) t.equal((await me(app, cookie)).statusCode, 401, 'the others are signed out')
  t.equal((await me(app, laptop)).statusCode, 200, 'this one stays')
  t.equal((await me(app, erin)).statusCode, 200, 'other users are untouched')
  const alone = await app.inject({
    method: 'POST',
    url: '/login/deauthorize-others',
    headers: { cookie: laptop, ...json },
    payload: '{}',
  })
  t.same(alone.json(), { revoked: [] })
  const signedOut = await app.inject({ method: 'POST', url: '/login/deauthorize-others', headers: json, payload: '{}' })
  t.equal(signedOut.json().code, 'LOGIN_ERR_UNAUTHENTICATED')
})
