// /login/check's 401 names where to sign in (X-Login-Redirect), with `next` =
// the URL the proxy asked about, rebuilt from its headers and validated like any `next`.
import t from 'tap'
import { startApp } from '../helpers/app.js'

const cases: { name: string; headers: Record<string, string>; next: string | null }[] = [
  {
    name: 'nginx X-Original-URL keeps the whole query',
    headers: { 'x-original-url': 'http://localhost/app/?x=1&y=2' },
    next: 'http://localhost/app/?x=1&y=2',
  },
  {
    name: 'nginx X-Original-URI on Host, scheme of the public URL',
    headers: { 'x-original-uri': '/app/?x=1&y=2#', host: 'app.localhost:8443' },
    next: 'http://app.localhost:8443/app/?x=1&y=2#',
  },
  {
    name: 'Traefik and Caddy: X-Forwarded-Proto, -Host and -Uri',
    headers: {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.localhost',
      'x-forwarded-uri': '/chat/?q=a%20b&room=%C3%A9t%C3%A9',
      host: '127.0.0.1:8000',
    },
    next: 'https://app.localhost/chat/?q=a%20b&room=%C3%A9t%C3%A9',
  },
  {
    name: 'lists of proxies: the client-facing one is first',
    headers: {
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'app.localhost, inner',
      'x-forwarded-uri': '/a',
    },
    next: 'https://app.localhost/a',
  },
  { name: 'no proxy headers: sign in without next', headers: {}, next: null },
  { name: 'another site is not a next', headers: { 'x-original-url': 'https://evil.example/' }, next: null },
  {
    name: 'a forged host is not a next either',
    headers: { 'x-forwarded-host': 'localhost.evil.example', 'x-forwarded-uri': '/' },
    next: null,
  },
  {
    name: 'nor a scheme other than http(s)',
    headers: { 'x-forwarded-proto': 'javascript', 'x-forwarded-uri': '/' },
    next: null,
  },
  {
    name: 'a path that looks protocol-relative stays on the host asked about',
    headers: { 'x-forwarded-uri': '//evil.example/', host: 'localhost' },
    next: 'http://localhost//evil.example/',
  },
]

t.test('a signed-out check answers 401 with the sign-in URL for the original request', async t => {
  const { app, config } = await startApp(t)
  for (const { name, headers, next } of cases) {
    const response = await app.inject({ url: '/login/check', headers })
    t.equal(response.statusCode, 401, name)
    t.equal(response.json().code, 'LOGIN_ERR_UNAUTHENTICATED', name)
    const redirect = new URL(String(response.headers['x-login-redirect']))
    t.equal(`${redirect.origin}${redirect.pathname}`, `${config.publicUrl}/login`, `${name}: the sign-in page`)
    t.equal(redirect.searchParams.get('next'), next, `${name}: next`)
  }
})

t.test('following X-Login-Redirect and signing in lands on the original URL, query intact', async t => {
  const { app, config, signIn } = await startApp(t)
  const original = 'http://localhost/app/?x=1&y=2&z=%2F'
  const check = await app.inject({ url: '/login/check', headers: { 'x-original-url': original } })
  const signInPage = new URL(String(check.headers['x-login-redirect']))
  const page = await app.inject({
    url: `${signInPage.pathname}${signInPage.search}`,
    headers: { accept: 'application/json' },
  })
  t.equal(page.statusCode, 200)
  const testProvider = (page.json().providers as { id: string; url: string }[]).find(p => p.id === 'test')!
  const next = new URL(testProvider.url, config.publicUrl).searchParams.get('next')!
  const done = await app.inject({ url: `/login/test/as?who=alice&next=${encodeURIComponent(next)}` })
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, original, 'back where the visitor was going')

  const cookie = await signIn('bob')
  const ok = await app.inject({ url: '/login/check', headers: { cookie, 'x-original-url': original } })
  t.equal(ok.statusCode, 200)
  t.notOk('x-login-redirect' in ok.headers, 'a signed-in check names no sign-in URL')
})
