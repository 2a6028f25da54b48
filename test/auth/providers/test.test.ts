import t from 'tap'
import { leaseCookie, startApp } from '../../helpers/app.js'

const errorCode = (body: string) => /id="error-code">([A-Z_]+)</.exec(body)?.[1]

t.test('outside debug mode the test provider answers 403 LOGIN_ERR_DEBUG_ONLY and is not offered', async t => {
  const { app } = await startApp(t, { debug: false })
  for (const url of [
    '/login/test',
    '/login/test?next=/x',
    '/login/test/as?who=alice',
    '/login/test/as?who=alice&next=/x',
  ]) {
    for (const accept of ['text/html', 'application/json']) {
      const response = await app.inject({ url, headers: { accept } })
      t.equal(response.statusCode, 403, `${url} (${accept})`)
      t.equal(errorCode(response.body), 'LOGIN_ERR_DEBUG_ONLY', 'answered as a page: these are browser routes')
      t.equal(response.headers['set-cookie'], undefined, 'nobody is signed in')
    }
  }
  t.same((await app.inject({ url: '/login', headers: { accept: 'application/json' } })).json().providers, [])
  t.equal(await app.ctx.users.findByIdentity('test', 'alice'), undefined)
})

t.test('the sign-in form keeps next', async t => {
  const { app } = await startApp(t)
  const page = await app.inject({ url: '/login/test?next=%2Fapp%3Fa%3D1%26b%3D%22' })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<form method="get" action="\/login\/test\/as">/)
  t.match(page.body, /<input type="hidden" name="next" value="\/app\?a=1&amp;b=%22">/, 'normalised and escaped')
  const bad = await app.inject({ url: '/login/test?next=%2F%2Fevil.com' })
  t.equal(bad.statusCode, 400)
  t.equal(errorCode(bad.body), 'LOGIN_ERR_BAD_NEXT')
})

t.test('/login/test/as signs in as the name typed', async t => {
  const { app, config } = await startApp(t)
  const cases: { who: string; next?: string; name?: string; location?: string; status: number; code?: string }[] = [
    { who: 'alice', status: 303, name: 'alice', location: '/' },
    { who: '  spaced  ', status: 303, name: 'spaced', location: '/' },
    { who: 'Zoë 山田 🙂', next: '/app/x?y=1', status: 303, name: 'Zoë 山田 🙂', location: '/app/x?y=1' },
    {
      who: 'x'.repeat(64),
      next: 'http://app.localhost:3000/',
      status: 303,
      name: 'x'.repeat(64),
      location: 'http://app.localhost:3000/',
    },
    { who: '', status: 400, code: 'LOGIN_ERR_BAD_REQUEST' },
    { who: '   ', status: 400, code: 'LOGIN_ERR_BAD_REQUEST' },
    { who: 'x'.repeat(65), status: 400, code: 'LOGIN_ERR_BAD_REQUEST' },
    { who: 'bell\u0007', status: 400, code: 'LOGIN_ERR_BAD_REQUEST' },
    { who: 'two\nlines', status: 400, code: 'LOGIN_ERR_BAD_REQUEST' },
    { who: 'rtl\u202eoverride', status: 400, code: 'LOGIN_ERR_BAD_REQUEST' },
    { who: 'alice', next: 'https://evil.com/', status: 400, code: 'LOGIN_ERR_BAD_NEXT' },
  ]
  for (const { who, next, name, location, status, code } of cases) {
    const url = `/login/test/as?who=${encodeURIComponent(who)}${next === undefined ? '' : `&next=${encodeURIComponent(next)}`}`
    const response = await app.inject({ url })
    const label = `who=${JSON.stringify(who.length > 20 ? `${who.slice(0, 10)}… (${who.length})` : who)} next=${next}`
    t.equal(response.statusCode, status, label)
    if (code) {
      t.equal(errorCode(response.body), code, label)
      t.equal(response.headers['set-cookie'], undefined)
      continue
    }
    t.equal(response.headers.location, location, label)
    const cookie = leaseCookie(config, response.headers['set-cookie'])
    t.match((await app.inject({ url: '/login/me', headers: { cookie } })).json(), { name, picture: '' }, label)
  }
  const twice = await app.inject({ url: '/login/test/as?who=a&who=b' })
  t.equal(twice.statusCode, 400, 'who given twice')
  t.equal(errorCode(twice.body), 'LOGIN_ERR_BAD_REQUEST')
})

t.test('the same name is the same account; the identity is test:<name>', async t => {
  const { app, signIn } = await startApp(t)
  const first = (await app.inject({ url: '/login/me', headers: { cookie: await signIn('alice') } })).json()
  const second = (await app.inject({ url: '/login/me', headers: { cookie: await signIn('alice') } })).json()
  const bob = (await app.inject({ url: '/login/me', headers: { cookie: await signIn('bob') } })).json()
  t.equal(second.id, first.id)
  t.not(bob.id, first.id)
  t.match(await app.ctx.users.identities(first.id), [{ provider: 'test', providerUserId: 'alice', userId: first.id }])
})
