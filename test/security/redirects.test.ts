// `next` values with encoded spaces: ordinary folder names pass, spaces that a tolerant parser could drop to
// make `//host` do not.
import t from 'tap'
import { startApp } from '../helpers/app.js'

t.test('a path with an encoded space is a fine place to go back to', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  for (const next of ['/path/with%20space', '/my%20files/report%20v2.pdf']) {
    const response = await app.inject({ url: `/login?next=${encodeURIComponent(next)}`, headers: { cookie } })
    t.equal(response.statusCode, 302, next)
    t.equal(response.headers.location, next, `${next}: sent there as it is`)
  }
})

t.test('spaces that could turn into another host are still refused', async t => {
  const { app } = await startApp(t)
  for (const next of ['/%20/evil.com', '/%20%20/evil.com', '/%20%2F/evil.com', '/%09/evil.com', '/ /evil.com']) {
    const response = await app.inject({ url: `/login?next=${encodeURIComponent(next)}` })
    t.equal(response.statusCode, 400, next)
    t.equal(response.json().code, 'LOGIN_ERR_BAD_NEXT', next)
  }
})
