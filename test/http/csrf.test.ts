import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { sidOf, startApp } from '../helpers/app.js'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

/** The form tokens of a page, one per POST form. */
async function pageTokens(
  app: FastifyInstance,
  url: string,
  cookie: string,
): Promise<{ forms: number; tokens: string[] }> {
  const body = (await app.inject({ url, headers: { cookie } })).body
  return {
    forms: (body.match(/<form[^>]*method="post"/g) ?? []).length,
    tokens: [...body.matchAll(/<input type="hidden" name="_csrf" value="([^"]*)">/g)].map(m => m[1]!),
  }
}

/** The state-changing endpoints of the foundation; each is tried with its own fresh session. */
const endpoints: Record<string, (cookie: string, other: string) => string> = {
  'POST /login/logout': () => '/login/logout',
  'POST /login/deauthorize/:sid': (_cookie, other) => `/login/deauthorize/${sidOf(other)}`,
  'POST /login/delete': () => '/login/delete',
}

t.test('a cross-site Origin or Sec-Fetch-Site is refused; same-site and non-browser clients pass', async t => {
  const cases: { name: string; headers: Record<string, string>; allowed: boolean }[] = [
    { name: 'no Origin, no Sec-Fetch-Site (API client)', headers: {}, allowed: true },
    { name: 'Sec-Fetch-Site: same-origin', headers: { 'sec-fetch-site': 'same-origin' }, allowed: true },
    { name: 'Sec-Fetch-Site: same-site', headers: { 'sec-fetch-site': 'same-site' }, allowed: true },
    {
      name: 'Sec-Fetch-Site: same-site from a subdomain of the site',
      headers: { 'sec-fetch-site': 'same-site', origin: 'https://app.localhost' },
      allowed: true,
    },
    {
      name: 'Sec-Fetch-Site: same-site, but an Origin off the configured site',
      headers: { 'sec-fetch-site': 'same-site', origin: 'https://evil.com' },
      allowed: false,
    },
    { name: 'Sec-Fetch-Site: none (typed by the user)', headers: { 'sec-fetch-site': 'none' }, allowed: true },
    { name: 'Sec-Fetch-Site: cross-site', headers: { 'sec-fetch-site': 'cross-site' }, allowed: false },
    {
      name: 'Sec-Fetch-Site: cross-site wins over a same-site Origin',
      headers: { 'sec-fetch-site': 'cross-site', origin: 'http://localhost' },
      allowed: false,
    },
    { name: 'Origin: this server', headers: { origin: 'http://localhost:80' }, allowed: true },
    { name: 'Origin: the site on another port', headers: { origin: 'http://localhost:3000' }, allowed: true },
    { name: 'Origin: a subdomain of the site', headers: { origin: 'https://app.localhost' }, allowed: true },
    { name: 'Origin: an allowed redirect host', headers: { origin: 'https://partner.org' }, allowed: true },
    { name: 'Origin: another site', headers: { origin: 'https://evil.com' }, allowed: false },
    { name: 'Origin: a look-alike suffix', headers: { origin: 'http://localhost.evil.com' }, allowed: false },
    { name: 'Origin: a look-alike prefix', headers: { origin: 'http://evillocalhost' }, allowed: false },
    { name: 'Origin: a subdomain of an allowed host', headers: { origin: 'https://x.partner.org' }, allowed: false },
    { name: 'Origin: an IP address', headers: { origin: 'http://192.0.2.1' }, allowed: false },
    { name: 'Origin: null (sandboxed frame, data: URL)', headers: { origin: 'null' }, allowed: false },
    { name: 'Origin: garbage', headers: { origin: 'not a url' }, allowed: false },
  ]
  const { app, signIn } = await startApp(t, { allowedRedirectHosts: ['partner.org'] })
  for (const [endpoint, path] of Object.entries(endpoints)) {
    for (const { name, headers, allowed } of cases) {
      const cookie = await signIn('alice')
      const other = await signIn('alice')
      const response = await app.inject({
        method: 'POST',
        url: path(cookie, other),
        headers: { cookie, ...json, ...headers },
        payload: '{}',
      })
      const label = `${endpoint}, ${name}`
      if (allowed) {
        t.equal(response.statusCode, 200, label)
        continue
      }
      t.equal(response.statusCode, 403, label)
      t.match(response.json(), { code: 'LOGIN_ERR_CSRF', message: /^Cross-site request refused: / }, label)
      const still = await app.inject({ url: '/login/check', headers: { cookie: other } })
      t.equal(still.statusCode, 200, `${label}: nothing happened`)
    }
  }
})

t.test('HTML forms carry a token bound to the session', async t => {
  const { app, signIn } = await startApp(t)
  const alice = await signIn('alice')
  const aliceAgain = await signIn('alice')
  for (const url of ['/login/view/sessions', '/login/view/delete']) {
    const { forms, tokens } = await pageTokens(app, url, alice)
    t.ok(forms > 0, `${url} has POST forms`)
    t.equal(tokens.length, forms, `${url}: every POST form carries a token`)
    t.equal(new Set(tokens).size, 1, 'the same token for the whole page')
    t.match(tokens[0], /^[\w-]{43}$/)
  }
  const [mine] = (await pageTokens(app, '/login/view/sessions', alice)).tokens
  const [theirs] = (await pageTokens(app, '/login/view/sessions', aliceAgain)).tokens
  t.not(mine, theirs, 'each session has its own token')
  t.equal((await pageTokens(app, '/login/view/sessions', alice)).tokens[0], mine, 'stable for the session')
})

t.test('a signed-in browser form post needs its token', async t => {
  const { app, signIn } = await startApp(t)
  const cases: {
    name: string
    payload: (token: string, foreign: string) => string
    type?: string
    allowed: boolean
  }[] = [
    { name: 'the right token', payload: token => `_csrf=${token}`, allowed: true },
    {
      name: 'the right token among other fields',
      payload: token => `a=1&_csrf=${encodeURIComponent(token)}&b=2`,
      allowed: true,
    },
    { name: 'no token', payload: () => 'a=1', allowed: false },
    { name: 'an empty token', payload: () => '_csrf=', allowed: false },
    { name: 'a wrong token', payload: token => `_csrf=${token.slice(1)}x`, allowed: false },
    { name: 'a shorter token', payload: token => `_csrf=${token.slice(1)}`, allowed: false },
    { name: 'the token of another session', payload: (_token, foreign) => `_csrf=${foreign}`, allowed: false },
    { name: 'the token twice', payload: token => `_csrf=${token}&_csrf=${token}`, allowed: false },
    { name: 'text/plain (a form enctype)', type: 'text/plain', payload: token => `_csrf=${token}`, allowed: false },
  ]
  for (const { name, payload, type, allowed } of cases) {
    const cookie = await signIn('alice')
    const [token] = (await pageTokens(app, '/login/view/sessions', cookie)).tokens
    const [foreign] = (await pageTokens(app, '/login/view/sessions', await signIn('alice'))).tokens
    const response = await app.inject({
      method: 'POST',
      url: '/login/logout',
      headers: {
        cookie,
        'content-type': type ?? form['content-type'],
        'sec-fetch-site': 'same-origin',
        origin: 'http://localhost',
      },
      payload: payload(token!, foreign!),
    })
    const after = (await app.inject({ url: '/login/check', headers: { cookie } })).statusCode
    if (allowed) {
      t.equal(response.statusCode, 303, name)
      t.equal(after, 401, `${name}: signed out`)
    } else {
      t.equal(response.statusCode, 403, name)
      t.match(response.json(), { code: 'LOGIN_ERR_CSRF', message: /form token is missing or stale/ }, name)
      t.equal(after, 200, `${name}: still signed in`)
    }
  }
})

t.test('what needs no token: JSON from API clients, forms without a session, safe methods', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  const api = await app.inject({ method: 'POST', url: '/login/logout', headers: { cookie, ...json }, payload: '{}' })
  t.same(api.json(), { signedOut: true }, 'a JSON call without Origin (curl, an app server) works without a token')

  const anonymousForm = await app.inject({ method: 'POST', url: '/login/logout', headers: form, payload: '' })
  t.equal(anonymousForm.statusCode, 303, 'a form post without a session has no ambient credential to abuse')

  const other = await signIn('alice')
  for (const method of ['GET', 'HEAD'] as const) {
    const read = await app.inject({
      method,
      url: '/login/me',
      headers: { cookie: other, 'sec-fetch-site': 'cross-site', origin: 'https://evil.com' },
    })
    t.equal(read.statusCode, 200, `${method} is not state-changing`)
  }
})
