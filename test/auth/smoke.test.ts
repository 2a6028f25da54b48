import t from 'tap'
import { startApp } from '../helpers/app.js'

t.test('sign in and see me', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  const me = await app.inject({ url: '/login/me', headers: { cookie } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().name, 'alice')
  const page = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.equal(page.statusCode, 200, page.body)
  const login = await app.inject({ url: '/login', headers: { accept: 'text/html' } })
  t.equal(login.statusCode, 200, login.body)
  t.match(login.body, /data-provider="test"/)
})
