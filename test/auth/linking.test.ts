import t from 'tap'
import { formTokenIn } from '../helpers/csrf.js'
import { startFakeProviders } from '../helpers/fake-providers.js'
import { begin, consent, locationOf, startOAuthApp, type Browser } from '../helpers/oauth.js'
import type { Teardown } from '../helpers/teardown.js'

const GITHUB_ID = 'MDQ6VXNlcjE='
const LEASE = 'login'

type Identities = {
  identities: { provider: string; provider_user_id: string }[]
  linkable: { id: string; url: string }[]
}

async function json<T>(response: Response): Promise<T> {
  return response.json() as Promise<T>
}

async function userId(browser: Browser): Promise<string> {
  return (await json<{ id: string }>(await browser.get('/login/me'))).id
}

async function signInAsTest(browser: Browser, who: string): Promise<string> {
  await browser.get(`/login/test/as?who=${who}`)
  return userId(browser)
}

async function setup(t: Teardown) {
  const fake = await startFakeProviders(t)
  return startOAuthApp(t, { github: fake.credentials.github })
}

t.test('a signed-in user links GitHub, and either provider then reaches the same account', async t => {
  const { browser, clock } = await setup(t)
  const b = browser()
  const alice = await signInAsTest(b, 'alice')
  const lease = b.cookie(LEASE)
  clock.advance(60)

  const done = await b.get(await consent(await begin(b, '/login/link/github')))
  t.equal(done.status, 303)
  t.equal(done.headers.get('location'), '/login/view/sessions', 'back to the sessions view by default')
  t.equal(b.cookie(LEASE), lease, 'linking keeps the session')

  const listed = await json<Identities>(await b.get('/login/identities'))
  t.same(
    listed.identities.map(i => [i.provider, i.provider_user_id]),
    [
      ['test', 'alice'],
      ['github', GITHUB_ID],
    ],
  )
  t.same(listed.linkable, [{ id: 'github', label: 'GitHub', url: '/login/link/github' }])

  const page = await (await b.get('/login/view/sessions')).text()
  t.match(page, 'id="notice" role="status">Linked GitHub: it signs in to this account too.<', 'the page says so')
  t.match(page, /<li class="card" data-provider="github">[\s\S]*?GitHub[\s\S]*?MDQ6VXNlcjE=/)
  t.equal(page.match(/action="\/login\/unlink"/g)?.length, 2, 'each identity can be unlinked while another remains')
  t.match(page, /<a class="button secondary" href="\/login\/link\/github" data-link="github">GitHub<\/a>/)

  const other = browser()
  await other.get(await consent(await begin(other, '/login/github')))
  t.equal(await userId(other), alice, 'GitHub signs in to the same account')
})

t.test('linking needs a signed-in user, from this site', async t => {
  const { browser } = await setup(t)
  const b = browser()
  const api = await b.get('/login/link/github')
  t.equal(api.status, 401)
  t.equal((await json<{ code: string }>(api)).code, 'LOGIN_ERR_UNAUTHENTICATED')
  const page = await b.get('/login/link/github', { accept: 'text/html' })
  t.equal(
    locationOf(page).pathname + locationOf(page).search,
    '/login?next=%2Flogin%2Flink%2Fgithub',
    'a browser is sent to sign in first',
  )

  await signInAsTest(b, 'alice')
  const crossSite = await b.get('/login/link/github', { 'sec-fetch-site': 'cross-site' })
  t.equal(crossSite.status, 403)
  t.equal((await json<{ code: string }>(crossSite)).code, 'LOGIN_ERR_CSRF')
})

t.test('an identity that signs in to another account is not moved', async t => {
  const { app, browser } = await setup(t)
  const bob = browser()
  await bob.get(await consent(await begin(bob, '/login/github')))
  const bobId = await userId(bob)

  const alice = browser()
  const aliceId = await signInAsTest(alice, 'alice')
  const refused = await alice.get(await consent(await begin(alice, '/login/link/github')))
  t.equal(refused.status, 409)
  t.equal((await json<{ code: string }>(refused)).code, 'LOGIN_ERR_CONFLICT')
  t.equal((await app.ctx.users.findByIdentity('github', GITHUB_ID))?.id, bobId)
  t.same(
    (await app.ctx.users.identities(aliceId)).map(i => i.provider),
    ['test'],
  )
})

t.test('a link that returns to a browser now signed in as someone else does nothing', async t => {
  const { app, browser } = await setup(t)
  const b = browser()
  const aliceId = await signInAsTest(b, 'alice')
  const callback = await consent(await begin(b, '/login/link/github'))
  const carolId = await signInAsTest(b, 'carol')
  const refused = await b.get(callback)
  t.equal(refused.status, 403)
  t.equal((await json<{ code: string }>(refused)).code, 'LOGIN_ERR_FORBIDDEN')
  t.equal(await app.ctx.users.findByIdentity('github', GITHUB_ID), undefined)
  t.equal((await app.ctx.users.identities(aliceId)).length, 1)
  t.equal((await app.ctx.users.identities(carolId)).length, 1)
})

t.test('unlinking: a CSRF-protected POST, never the last identity', async t => {
  const { app, browser } = await setup(t)
  const b = browser()
  const alice = await signInAsTest(b, 'alice')
  await b.get(await consent(await begin(b, '/login/link/github')))

  const noToken = await b.postForm('/login/unlink', { provider: 'test', id: 'alice' })
  t.equal(noToken.status, 403)
  t.equal((await json<{ code: string }>(noToken)).code, 'LOGIN_ERR_CSRF')
  const crossSite = await b.postJson(
    '/login/unlink',
    { provider: 'test', id: 'alice' },
    { origin: 'https://evil.example' },
  )
  t.equal((await json<{ code: string }>(crossSite)).code, 'LOGIN_ERR_CSRF')
  t.equal((await app.ctx.users.identities(alice)).length, 2, 'nothing was removed')

  const missing = await b.postJson('/login/unlink', { provider: 'test' })
  t.equal((await json<{ code: string }>(missing)).code, 'LOGIN_ERR_BAD_REQUEST')
  const unknown = await b.postJson('/login/unlink', { provider: 'github', id: 'someone-else' })
  t.equal(unknown.status, 404)
  t.equal((await json<{ code: string }>(unknown)).code, 'LOGIN_ERR_NOT_FOUND')

  const removed = await b.postForm('/login/unlink', {
    provider: 'test',
    id: 'alice',
    _csrf: formTokenIn(await (await b.get('/login/view/sessions')).text()),
  })
  t.equal(removed.status, 303)
  t.equal(removed.headers.get('location'), '/login/view/sessions')
  t.same(
    (await app.ctx.users.identities(alice)).map(i => i.provider),
    ['github'],
  )
  const after = await (await b.get('/login/view/sessions')).text()
  t.match(after, 'id="notice" role="status">Unlinked Test account.<', 'the page says what was unlinked')
  t.notMatch(after, /action="\/login\/unlink"/, 'the last one offers no unlink')

  const last = await b.postJson('/login/unlink', { provider: 'github', id: GITHUB_ID })
  t.equal(last.status, 409)
  t.equal((await json<{ code: string }>(last)).code, 'LOGIN_ERR_CONFLICT')
  t.equal((await app.ctx.users.identities(alice)).length, 1)

  const again = browser()
  t.not(await signInAsTest(again, 'alice'), alice, 'the unlinked identity no longer reaches the account')
})
