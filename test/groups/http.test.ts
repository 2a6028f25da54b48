import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { startApp, type TestApp } from '../helpers/app.js'
import { formToken } from '../helpers/csrf.js'
import type { Teardown } from '../helpers/teardown.js'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }

/** The signed-in page whose form token these tests send. */
const GROUPS_PAGE = '/login/access/view/groups'

/** An app where test user `owner` owns `chat`, signed in. */
async function world(t: Teardown): Promise<TestApp & { owner: string; as: (who: string) => Promise<string> }> {
  const testApp = await startApp(t)
  await testApp.app.ctx.groups.tree.ensureNamespace('chat', 'test', 'owner')
  return { ...testApp, owner: await testApp.signIn('owner'), as: testApp.signIn }
}

async function invite(app: FastifyInstance, cookie: string, payload: unknown) {
  const response = await app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { ...json, cookie },
    payload: JSON.stringify(payload),
  })
  if (response.statusCode !== 200) throw new Error(`invite failed: ${response.body}`)
  return response.json() as { long: string; short: string; url: string }
}

/** `cookie`'s user accepts the link `code` with a JSON request. */
function accept(app: FastifyInstance, cookie: string, code: string) {
  return app.inject({ method: 'POST', url: `/login/access/add/${code}`, headers: { ...json, cookie }, payload: '{}' })
}

t.test('invite, accept, check: the JSON flow', async t => {
  const { app, owner, as, config } = await world(t)
  const link = await invite(app, owner, {
    invitees: 2,
    redirect: '/chat',
    invitations: [{ accessing: 'chat/room', plus: 0 }],
  })
  t.match(link, { long: /^[0-9a-f-]{36}$/, short: /^[2-9A-HJ-NP-Za-km-z]{22}$/ })
  t.equal(link.url, `${config.publicUrl}/login/access/accept/${link.short}`)

  const visitor = await app.inject({ url: `/login/access/accept/${link.short}`, headers: { accept: 'text/html' } })
  t.equal(visitor.statusCode, 200, 'a signed-out visitor sees who invites them to what')
  t.match(visitor.body, /<strong>owner<\/strong> invites you to join\s*<code>chat\/room<\/code>/)
  t.match(
    visitor.body,
    `href="/login/test?next=${encodeURIComponent(`/login/access/accept/${link.short}`)}"`,
    'and signs in from there, back to the invitation',
  )

  const bob = await as('bob')
  // Opened by the visitor themselves (typed, scanned): Sec-Fetch-Site none.
  const page = await app.inject({
    url: `/login/access/accept/${link.short}`,
    headers: { cookie: bob, 'sec-fetch-site': 'none' },
  })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<strong>owner<\/strong> invites you to join\s*<code>chat\/room<\/code>/)
  t.match(page.body, /2 places left/)
  t.match(page.body, /<form [^>]*id="accept-form" data-auto-submit>/, 'without confirm, the page proceeds straight on')
  t.match(page.body, /<script src="\/login\/static\/auto-submit\.js\?v=[\w-]+" defer><\/script>/)
  t.notMatch(page.body, /<script>|<style|style="|\son\w+="/, 'no inline script or style')

  const added = await accept(app, bob, link.long)
  t.equal(added.statusCode, 200)
  t.match(added.json(), {
    redirect: '/chat',
    memberships: [{ path: 'chat/room', via: link.long, spots: 0, until: null, deauthorizes: 0, dos: null }],
  })
  const mine = await app.inject({ url: '/login/access/groups', headers: { cookie: bob } })
  t.same(Object.keys(mine.json()[0]).sort(), [
    'deauthorizes',
    'dos',
    'group',
    'membership',
    'opens',
    'path',
    'spots',
    'until',
    'via',
  ])

  const checks: [string, string, number, string?][] = [
    [bob, 'chat/room', 200],
    [bob, 'chat', 403, 'LOGIN_ERR_FORBIDDEN'],
    [bob, '!chat/room', 403, 'LOGIN_ERR_FORBIDDEN'],
    [bob, 'chat | chat/room', 200],
    [bob, 'chat/room/never-made', 403, 'LOGIN_ERR_FORBIDDEN'],
    [owner, 'chat/room & chat', 200],
    [bob, 'chat &', 400, 'LOGIN_ERR_BAD_EXPRESSION'],
    [bob, '{"or": ["chat", "chat/room"]}', 200],
    ['', 'chat', 401, 'LOGIN_ERR_UNAUTHENTICATED'],
  ]
  for (const [cookie, group, status, code] of checks) {
    const response = await app.inject({
      url: `/login/check?group=${encodeURIComponent(group)}`,
      headers: cookie ? { cookie } : {},
    })
    t.equal(response.statusCode, status, `check ${group}`)
    if (code) t.equal(response.json().code, code)
  }
  const again = await accept(app, bob, link.short)
  t.match(again.json(), { statusCode: 409, code: 'LOGIN_ERR_CONFLICT' })
  const revisit = await app.inject({ url: `/login/access/accept/${link.short}`, headers: { cookie: bob } })
  t.match(revisit.body, /id="already"/)
  t.notMatch(revisit.body, /\.submit\(\)/, 'no second automatic acceptance')
})

t.test('the inviter sees the preview; the QR image is a PNG', async t => {
  const { app, owner, config } = await world(t)
  const link = await invite(app, owner, { invitees: 3, invitations: [{ accessing: 'chat' }] })
  const preview = await app.inject({ url: `/login/access/accept/${link.long}`, headers: { cookie: owner } })
  t.equal(preview.statusCode, 200)
  t.match(preview.body, `<a id="invite-link" href="${config.publicUrl}/login/access/accept/${link.short}">`)
  t.match(preview.body, `<code id="short-code">${link.short}</code>`)
  t.match(preview.body, `<img id="qr" class="qr" src="/login/access/qr/img/${link.short}"`)
  t.match(preview.body, /<span id="places">3<\/span> places left/)
  const png = await app.inject({ url: `/login/access/qr/img/${link.short}` })
  t.equal(png.statusCode, 200)
  t.equal(png.headers['content-type'], 'image/png')
  t.same([...png.rawPayload.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const missing = await app.inject({ url: '/login/access/qr/img/22222222222222222222zz' })
  t.match(missing.json(), { statusCode: 404, code: 'LOGIN_ERR_NOT_FOUND' })
})

t.test('confirm shows a button; the form flow; the QR handoff', async t => {
  const { app, owner, as } = await world(t)
  const token = await formToken(app, owner, GROUPS_PAGE)
  const inviteView = await app.inject({ url: '/login/access/view/invite', headers: { cookie: owner } })
  t.equal(inviteView.statusCode, 200)
  t.match(inviteView.body, /<fieldset data-path="chat"/)
  const membership = /name="g0\.inviter" value="([^"]+)"/.exec(inviteView.body)![1]!

  const payload = new URLSearchParams({
    _csrf: token,
    g0: 'on',
    'g0.inviter': membership,
    'g0.accessing': 'chat/photos',
    'g0.accept_days': '1',
    'g0.access_hours': '1.5',
    'g0.plus': '0',
    'g0.dos': '1',
    'g0.deauthorizes': '0',
    invitees: '2',
    redirect: '/photos',
    confirm: 'on',
  }).toString()
  const created = await app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { ...form, cookie: owner },
    payload,
  })
  t.equal(created.statusCode, 303)
  const short = /^\/login\/access\/accept\/([^/]+)$/.exec(created.headers.location as string)![1]!
  const stored = (await app.ctx.groups.invitations.describe(short, null)).invitations[0]!
  t.match(stored, {
    path: 'chat/photos',
    accessDuration: 5400,
    acceptanceExpiration: app.ctx.clock.now() + 86400,
    plus: 0,
    dos: 1,
    invitees: 2,
    confirm: true,
    redirect: '/photos',
  })

  const noToken = await app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { ...form, cookie: owner },
    payload: payload.replace(/_csrf=[^&]+&/, ''),
  })
  t.match(noToken.body, /LOGIN_ERR_CSRF/, 'a form post without its token is refused')
  const crossSite = await app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { ...json, cookie: owner, 'sec-fetch-site': 'cross-site' },
    payload: '{"invitations":[{"accessing":"chat"}]}',
  })
  t.match(crossSite.json(), { statusCode: 403, code: 'LOGIN_ERR_CSRF' })

  const bob = await as('bob')
  const qrPage = await app.inject({ url: `/login/access/qr/accept/${short}`, headers: { cookie: bob } })
  t.match(qrPage.body, /<button type="submit" id="accept">Join chat\/photos<\/button>/)
  t.notMatch(qrPage.body, /data-auto-submit/, 'confirm: no automatic acceptance')
  t.match(qrPage.body, /name="handoff" value="on"/)
  const bobToken = await formToken(app, bob, GROUPS_PAGE)
  const handoff = await app.inject({
    method: 'POST',
    url: `/login/access/add/${short}`,
    headers: { ...form, cookie: bob },
    payload: `_csrf=${encodeURIComponent(bobToken)}&handoff=on`,
  })
  t.equal(handoff.statusCode, 200)
  t.match(handoff.body, /<a id="continue" class="button" href="\/photos">/)
  t.match(handoff.body, /\/login\/access\/qr<\/a>/)
  const second = await app.inject({ url: '/login/access/qr', headers: { cookie: bob, accept: 'text/html' } })
  t.equal(second.statusCode, 303)
  t.equal(second.headers.location, '/photos', 'the second device goes where the invitation leads')

  const carol = await as('carol')
  const none = await app.inject({ url: '/login/access/qr', headers: { cookie: carol, accept: 'text/html' } })
  t.equal(none.statusCode, 404)
  t.match(none.body, /LOGIN_ERR_NOT_FOUND/)
  const plain = await app.inject({
    method: 'POST',
    url: `/login/access/add/${short}`,
    headers: { ...form, cookie: carol },
    payload: `_csrf=${encodeURIComponent(await formToken(app, carol, GROUPS_PAGE))}`,
  })
  t.equal(plain.statusCode, 303)
  t.equal(plain.headers.location, '/photos')
})

t.test('removal, cancelling, leaving and the log over HTTP', async t => {
  const { app, owner, as } = await world(t)
  const mod = await as('mod')
  const bob = await as('bob')
  const modLink = await invite(app, owner, { invitations: [{ accessing: 'chat', deauthorizes: 1 }] })
  await accept(app, mod, modLink.short)
  const bobLink = await invite(app, mod, { invitations: [{ accessing: 'chat' }] })
  const joined = await accept(app, bob, bobLink.short)
  const bobMembership = joined.json().memberships[0].membership as string

  const removable = await app.inject({ url: '/login/access/remove', headers: { cookie: mod } })
  t.same(
    removable.json().map((m: { name: string }) => m.name),
    ['bob'],
  )
  t.same(Object.keys(removable.json()[0]).sort(), [
    'admitted_by',
    'group',
    'membership',
    'name',
    'path',
    'since',
    'spots',
    'until',
    'user',
    'via',
  ])
  t.match(removable.json()[0], { name: 'bob', admitted_by: 'mod', spots: null, since: Number })
  const view = await app.inject({ url: '/login/access/view/remove', headers: { cookie: mod } })
  t.match(view.body, new RegExp(`<input type="checkbox" name="memberships" value="${bobMembership}"`))

  const forbidden = await app.inject({
    method: 'POST',
    url: '/login/access/revoke',
    headers: { ...json, cookie: bob },
    payload: JSON.stringify([bobMembership]),
  })
  t.match(forbidden.json(), { statusCode: 403, code: 'LOGIN_ERR_FORBIDDEN' })
  const badBody = await app.inject({
    method: 'POST',
    url: '/login/access/revoke',
    headers: { ...json, cookie: mod },
    payload: '{"memberships": [5]}',
  })
  t.match(badBody.json(), { statusCode: 400, code: 'LOGIN_ERR_BAD_REQUEST' })
  const removed = await app.inject({
    method: 'POST',
    url: '/login/access/revoke',
    headers: { ...json, cookie: mod },
    payload: JSON.stringify({ memberships: [bobMembership] }),
  })
  t.same(removed.json(), { removed: [bobMembership] })
  const check = await app.inject({ url: '/login/check?group=chat', headers: { cookie: bob } })
  t.equal(check.statusCode, 403, 'bob lost access')

  const pending = await invite(app, mod, { invitations: [{ accessing: 'chat/x' }] })
  const renege = await app.inject({ url: '/login/access/renege', headers: { cookie: mod } })
  t.match(
    renege.json().find((i: { invitation: string }) => i.invitation === pending.long),
    { link: pending.long, short: pending.short, path: 'chat/x', inviter_name: 'mod' },
  )
  const renegeView = await app.inject({ url: '/login/access/view/renege', headers: { cookie: mod } })
  t.match(renegeView.body, pending.short)
  const modToken = await formToken(app, mod, GROUPS_PAGE)
  const cancelled = await app.inject({
    method: 'POST',
    url: '/login/access/cancel',
    headers: { ...form, cookie: mod },
    payload: `_csrf=${encodeURIComponent(modToken)}&invitations=${pending.long}`,
  })
  t.equal(cancelled.statusCode, 303)
  t.equal(cancelled.headers.location, '/login/access/view/renege')
  const gone = await app.inject({ url: `/login/access/accept/${pending.short}`, headers: { cookie: bob } })
  t.equal(gone.statusCode, 410)
  t.match(gone.body, /LOGIN_ERR_INVITATION_GONE/)

  const modMembership = (await app.inject({ url: '/login/access/groups', headers: { cookie: mod } })).json()[0]
    .membership as string
  const left = await app.inject({
    method: 'POST',
    url: `/login/access/leave/${modMembership}`,
    headers: { ...json, cookie: mod },
    payload: '{}',
  })
  t.same(left.json(), { left: modMembership })
  t.same((await app.inject({ url: '/login/access/groups', headers: { cookie: mod } })).json(), [])

  const log = (await app.inject({ url: '/login/access/log/chat', headers: { cookie: owner } })).json() as {
    id: number
    kind: string
    subject_name: string | null
    path: string
  }[]
  t.match(log[0], { kind: 'member_left', actor_name: 'mod', subject_name: 'mod', detail: { reason: 'left' } })
  t.match(
    log.find(e => e.kind === 'member_removed'),
    { subject_name: 'bob', actor_name: 'mod', detail: { reason: 'revoked' } },
  )
  t.same(
    log
      .filter(e => e.kind === 'invitation_cancelled')
      .map(e => e.path)
      .sort(),
    ['chat', 'chat/x'],
    "cancelled by mod, and mod's open link when mod left",
  )
  const page = await app.inject({
    url: `/login/access/log/chat?before=${log[1]!.id}&limit=2`,
    headers: { cookie: owner },
  })
  t.same(page.json(), log.slice(2, 4), 'pages go back by id')
  const denied = await app.inject({ url: '/login/access/log/chat', headers: { cookie: bob } })
  t.match(denied.json(), { statusCode: 404, code: 'LOGIN_ERR_NOT_FOUND' }, 'refused like a missing group')
  const missing = await app.inject({ url: '/login/access/log/nowhere', headers: { cookie: owner } })
  t.match(missing.json(), { statusCode: 404, code: 'LOGIN_ERR_NOT_FOUND' })
})

t.test('listings and bad input', async t => {
  const { app, owner, as } = await world(t)
  const list = await app.inject({ url: '/login/access/invite', headers: { cookie: owner } })
  t.match(list.json(), [
    {
      path: 'chat',
      bound: null,
      limits: { invitees: null, plus: null, deauthorizes: 2, dos: null, depletes: false },
      subgroups: [],
    },
  ])
  t.same(
    (await app.inject({ url: '/login/access/invite/chat/deep/below', headers: { cookie: owner } })).json().length,
    1,
  )
  t.same((await app.inject({ url: '/login/access/invite/elsewhere', headers: { cookie: owner } })).json(), [])
  const stranger = await as('stranger')
  const empty = await app.inject({ url: '/login/access/view/invite', headers: { cookie: stranger } })
  t.match(empty.body, /id="nothing-to-invite"/)

  const cases: [string, string, unknown, number, string][] = [
    ['POST', '/login/access/allow', { invitations: [] }, 400, 'LOGIN_ERR_BAD_REQUEST'],
    ['POST', '/login/access/allow', { invitations: [{ accessing: 'chat', plus: -1 }] }, 400, 'LOGIN_ERR_BAD_REQUEST'],
    [
      'POST',
      '/login/access/allow',
      { invitations: [{ accessing: 'chat' }], redirect: 'https://evil.test/' },
      400,
      'LOGIN_ERR_BAD_NEXT',
    ],
    ['POST', '/login/access/allow', { invitations: [{ accessing: 'other' }] }, 403, 'LOGIN_ERR_FORBIDDEN'],
    ['POST', '/login/access/add/nope', {}, 404, 'LOGIN_ERR_NOT_FOUND'],
    ['POST', '/login/access/cancel', [], 400, 'LOGIN_ERR_BAD_REQUEST'],
    ['POST', '/login/access/cancel', ['00000000-0000-4000-8000-000000000000'], 404, 'LOGIN_ERR_NOT_FOUND'],
    ['POST', '/login/access/leave/nope', {}, 404, 'LOGIN_ERR_NOT_FOUND'],
    ['GET', '/login/access/log/chat?limit=abc', undefined, 400, 'LOGIN_ERR_BAD_REQUEST'],
    ['GET', '/login/access/invite/bad%20path', undefined, 400, 'LOGIN_ERR_BAD_REQUEST'],
  ]
  for (const [method, url, payload, status, code] of cases) {
    const response = await app.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: { ...json, cookie: owner },
      payload: payload === undefined ? undefined : JSON.stringify(payload),
    })
    t.match(response.json(), { statusCode: status, code }, `${method} ${url} ${JSON.stringify(payload) ?? ''}`)
  }
  const anonymous = await app.inject({ url: '/login/access/groups' })
  t.match(anonymous.json(), { statusCode: 401, code: 'LOGIN_ERR_UNAUTHENTICATED' })
  const anonymousView = await app.inject({ url: '/login/access/view/remove', headers: { accept: 'text/html' } })
  t.equal(anonymousView.statusCode, 302)
  const formError = await app.inject({
    method: 'POST',
    url: '/login/access/allow',
    headers: { ...form, cookie: owner },
    payload: `_csrf=${encodeURIComponent(await formToken(app, owner, GROUPS_PAGE))}`,
  })
  t.equal(formError.statusCode, 400)
  t.match(formError.body, /Tick at least one group/)
})

t.test('deleting an account removes its memberships through the revocation log', async t => {
  const { app, owner, as } = await world(t)
  const bob = await as('bob')
  const link = await invite(app, owner, { invitations: [{ accessing: 'chat' }] })
  const joined = await accept(app, bob, link.short)
  const membership = joined.json().memberships[0].membership as string
  const pending = await invite(app, bob, { invitations: [{ accessing: 'chat' }] })
  const head = await app.ctx.revocations.head()
  const deleted = await app.inject({
    method: 'POST',
    url: '/login/delete',
    headers: { ...json, cookie: bob },
    payload: '{}',
  })
  t.equal(deleted.statusCode, 200)
  t.ok(
    (await app.ctx.revocations.since(head)).some(r => r.kind === 'membership' && r.subject === membership),
    'the membership revocation is in the log apps are pushed',
  )
  const removed = (await app.inject({ url: '/login/access/log/chat', headers: { cookie: owner } })).json() as {
    kind: string
    membership: string
    detail: { reason?: string }
  }[]
  t.match(
    removed.find(e => e.kind === 'member_removed'),
    { membership, detail: { reason: 'account deleted' } },
  )
  const renege = (await app.inject({ url: '/login/access/renege', headers: { cookie: owner } })).json() as {
    invitation: string
  }[]
  t.notOk(
    renege.some(i => i.invitation === pending.long),
    'the invitations the account created were cancelled',
  )
})
