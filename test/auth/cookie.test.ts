import t from 'tap'
import type { Config } from '../../src/config.js'
import { startApp } from '../helpers/app.js'

/** One Set-Cookie header as name, value and attributes (lower-cased names; flags map to true). */
function parseSetCookie(header: string) {
  const [pair, ...rest] = header.split(/;\s*/)
  const at = pair!.indexOf('=')
  const attributes: Record<string, string | true> = {}
  for (const part of rest) {
    const eq = part.indexOf('=')
    if (eq < 0) attributes[part.toLowerCase()] = true
    else attributes[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1)
  }
  return { name: pair!.slice(0, at), value: pair!.slice(at + 1), attributes }
}

function cookiesOf(setCookie: string | string[] | number | undefined, name: string) {
  return ([] as string[])
    .concat((setCookie ?? []) as string[])
    .map(parseSetCookie)
    .filter(c => c.name === name)
}

const cases: { name: string; config: Partial<Config>; expect: Record<string, string | true | undefined> }[] = [
  {
    name: 'plain http on localhost: host-only, not Secure',
    config: {},
    expect: {
      path: '/',
      httponly: true,
      samesite: 'Lax',
      secure: undefined,
      domain: undefined,
      'max-age': String(180 * 86400),
    },
  },
  {
    name: 'https on a site: Secure, shared with the whole site',
    config: { publicUrl: 'https://login.example.com', site: 'example.com' },
    expect: { path: '/', httponly: true, samesite: 'Lax', secure: true, domain: 'example.com' },
  },
  {
    name: 'http on a site: the domain, but not Secure',
    config: { publicUrl: 'http://login.example.com:8000', site: 'example.com' },
    expect: { secure: undefined, domain: 'example.com', httponly: true, samesite: 'Lax' },
  },
  {
    name: 'another cookie name and an absolute timeout',
    config: { cookieName: 'sso', maxAgeSeconds: 7200 },
    expect: { 'max-age': '7200', httponly: true, samesite: 'Lax' },
  },
]

t.test('the lease cookie: HttpOnly, SameSite=Lax, Secure under https, the site domain', async t => {
  for (const { name, config: overrides, expect } of cases) {
    const { app, config, clock } = await startApp(t, { leaseSeconds: 60, ...overrides })
    const signIn = await app.inject({ url: '/login/test/as?who=alice' })
    const [set] = cookiesOf(signIn.headers['set-cookie'], config.cookieName)
    t.ok(set, `${name}: set at sign-in`)
    t.match(set!.value, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'holding the lease JWT')
    for (const [attribute, value] of Object.entries(expect)) {
      t.equal(set!.attributes[attribute], value, `${name}: sign-in ${attribute}`)
    }
    const cookie = `${config.cookieName}=${set!.value}`

    clock.advance(61)
    const renewal = await app.inject({ url: '/login/me', headers: { cookie } })
    const [renewed] = cookiesOf(renewal.headers['set-cookie'], config.cookieName)
    t.not(renewed?.value, set!.value, `${name}: renewed`)
    t.same(renewed?.attributes, set!.attributes, `${name}: a renewed lease has the same attributes`)

    const logout = await app.inject({
      method: 'POST',
      url: '/login/logout',
      headers: { cookie, 'content-type': 'application/json' },
      payload: '{}',
    })
    const [cleared] = cookiesOf(logout.headers['set-cookie'], config.cookieName)
    t.equal(cleared?.value, '', `${name}: cleared at logout`)
    t.equal(cleared?.attributes['max-age'], '0')
    // A browser only drops a cookie when the clearing one names the same domain and path.
    for (const attribute of ['domain', 'path', 'secure', 'httponly', 'samesite']) {
      t.equal(cleared?.attributes[attribute], set!.attributes[attribute], `${name}: cleared with the same ${attribute}`)
    }
  }
})

t.test('a cookie the server cannot use is cleared with the same attributes', async t => {
  const { app, config } = await startApp(t, { publicUrl: 'https://login.example.com', site: 'example.com' })
  const response = await app.inject({ url: '/login/me', headers: { cookie: `${config.cookieName}=not-a-lease` } })
  t.equal(response.statusCode, 401)
  const [cleared] = cookiesOf(response.headers['set-cookie'], config.cookieName)
  t.match(cleared, {
    value: '',
    attributes: { 'max-age': '0', domain: 'example.com', path: '/', secure: true, httponly: true, samesite: 'Lax' },
  })
  const none = await app.inject({ url: '/login/me' })
  t.equal(none.headers['set-cookie'], undefined, 'no cookie, nothing to clear')
})
