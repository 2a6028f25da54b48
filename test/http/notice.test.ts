import t from 'tap'
import { startApp } from '../helpers/app.js'
import { formTokenIn } from '../helpers/csrf.js'
import type { Teardown } from '../helpers/teardown.js'

const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }

/** Signs `who` in twice (two devices) and signs the second out through the sessions page's form. */
async function revokeOther(t: Teardown) {
  const testApp = await startApp(t)
  const { app, signIn } = testApp
  const cookie = await signIn('alice', {
    'user-agent': 'Mozilla/5.0 (Windows NT 10.0; rv:127.0) Gecko/20100101 Firefox/127.0',
  })
  await signIn('alice', {
    'user-agent':
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1',
  })
  const page = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  const token = formTokenIn(page.body)
  const sid = new RegExp(`action="/login/deauthorize/([^"]+)"`).exec(page.body)![1]!
  const posted = await app.inject({
    method: 'POST',
    url: `/login/deauthorize/${sid}`,
    headers: { ...form, cookie },
    payload: `_csrf=${token}`,
  })
  const set = ([] as string[]).concat(posted.headers['set-cookie'] as string | string[])
  const notice = set.find(c => c.startsWith('login-notice='))!
  return { ...testApp, cookie, notice: notice.split(';')[0]!, attributes: notice }
}

t.test('a form action leaves a one-line notice for the next page, shown once', async t => {
  const { app, cookie, notice, attributes } = await revokeOther(t)
  t.match(attributes, /; Max-Age=60; Path=\/login; HttpOnly; SameSite=Lax/, 'short-lived, HttpOnly, for /login only')
  const page = await app.inject({ url: '/login/view/sessions', headers: { cookie: `${cookie}; ${notice}` } })
  t.match(page.body, '<p class="notice" id="notice" role="status">Signed out Safari on iPhone.</p>')
  t.match(String(page.headers['set-cookie']), /login-notice=; Max-Age=0/, 'reading it clears it')
  const again = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.notMatch(again.body, /id="notice"/)
})

t.test('a notice nobody signed, or a stale one, is not shown', async t => {
  const { app, clock, cookie, notice } = await revokeOther(t)
  const [payload, signature] = notice.slice('login-notice='.length).split('.') as [string, string]
  const forged = Buffer.from(JSON.stringify({ text: 'Your bank details are needed', exp: clock.now() + 60 })).toString(
    'base64url',
  )
  const attempts = [
    `login-notice=${forged}.${signature}`,
    `login-notice=${payload}.${signature.slice(1)}x`,
    `login-notice=${payload}`,
    'login-notice=%%%',
  ]
  for (const attempt of attempts) {
    const page = await app.inject({ url: '/login/view/sessions', headers: { cookie: `${cookie}; ${attempt}` } })
    t.equal(page.statusCode, 200)
    t.notMatch(page.body, /id="notice"/, attempt)
  }
  clock.advance(61)
  const stale = await app.inject({ url: '/login/view/sessions', headers: { cookie: `${cookie}; ${notice}` } })
  t.notMatch(stale.body, /id="notice"/, 'a minute later it is gone')
})
