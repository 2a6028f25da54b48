import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { parseInvitationRequest } from '../../src/groups/invitation-request.js'
import { startApp, type TestApp } from '../helpers/app.js'
import { formToken } from '../helpers/csrf.js'
import type { Teardown } from '../helpers/teardown.js'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }

type Response = Awaited<ReturnType<FastifyInstance['inject']>>

/** An app where `owner` owns `chat` and has admitted `bob` to it. */
async function world(t: Teardown) {
  const testApp: TestApp = await startApp(t)
  const { app, signIn } = testApp
  await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'owner')
  const owner = await signIn('owner')
  const bob = await signIn('bob')
  const post = async (cookie: string, url: string, payload: unknown) =>
    (await app.inject({ method: 'POST', url, headers: { ...json, cookie }, payload: JSON.stringify(payload) })).json()
  const link = await post(owner, '/login/access/allow', { invitations: [{ accessing: 'chat' }] })
  const joined = await post(bob, `/login/access/add/${link.short}`, {})
  return { ...testApp, owner, bob, post, bobMembership: joined.memberships[0].membership as string }
}

async function submit(app: FastifyInstance, cookie: string, url: string, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams({ _csrf: await formToken(app, cookie, '/login/access/view/groups') })
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v)
  return app.inject({ method: 'POST', url, headers: { ...form, cookie }, payload: body.toString() })
}

/** The one-line notice the page a response redirects to shows (the notice cookie carried along). */
async function noticeAfter(app: FastifyInstance, response: Response, cookie: string): Promise<string | null> {
  const notice = ([] as string[])
    .concat((response.headers['set-cookie'] as string | string[] | undefined) ?? [])
    .find(c => c.startsWith('login-notice='))
  const page = await app.inject({
    url: String(response.headers.location),
    headers: { cookie: notice ? `${cookie}; ${notice.split(';')[0]}` : cookie },
  })
  return /id="notice" role="status">([^<]*)</.exec(page.body)?.[1] ?? null
}

t.test('leaving asks first, then says which group was left', async t => {
  const { app, bob, owner, bobMembership } = await world(t)
  const confirm = await app.inject({ url: `/login/access/view/leave/${bobMembership}`, headers: { cookie: bob } })
  t.equal(confirm.statusCode, 200)
  t.match(confirm.body, `<form method="post" action="/login/access/leave/${bobMembership}" id="leave-form">`)
  t.match(confirm.body, '<button type="submit" class="danger">Leave chat</button>')
  const notYours = await app.inject({ url: `/login/access/view/leave/${bobMembership}`, headers: { cookie: owner } })
  t.equal(notYours.statusCode, 404, "another user's membership has no confirmation page")
  t.equal(
    (await app.inject({ url: '/login/access/groups', headers: { cookie: bob } })).json().length,
    1,
    'not left yet',
  )

  const left = await submit(app, bob, `/login/access/leave/${bobMembership}`, {})
  t.equal(left.statusCode, 303)
  t.equal(left.headers.location, '/login/access/view/groups')
  t.equal(await noticeAfter(app, left, bob), 'You left chat.')
})

t.test('removing asks first with the members named, then says who was removed', async t => {
  const { app, owner, bob, bobMembership, post } = await world(t)
  const none = await app.inject({ url: '/login/access/view/remove/confirm', headers: { cookie: owner } })
  t.equal(none.statusCode, 303, 'nobody ticked: back to the list')
  t.equal(await noticeAfter(app, none, owner), 'Tick the members to remove first.')
  const notRemovable = await app.inject({
    url: `/login/access/view/remove/confirm?memberships=${bobMembership}`,
    headers: { cookie: bob },
  })
  t.equal(notRemovable.statusCode, 303, 'ids the viewer may not remove are left out')

  // carol joins through bob's invitation, so a cascade reaches her.
  const carol = await app.inject({ url: '/login/test/as?who=carol' })
  const carolCookie = String(carol.headers['set-cookie']).split(';')[0]!
  const link = await post(bob, '/login/access/allow', { invitations: [{ accessing: 'chat' }] })
  await post(carolCookie, `/login/access/add/${link.short}`, {})

  const page = await app.inject({
    url: `/login/access/view/remove/confirm?memberships=${bobMembership}&cascade=on`,
    headers: { cookie: owner },
  })
  t.equal(page.statusCode, 200)
  t.match(page.body, '<title>Remove bob?</title>')
  t.match(page.body, /<strong>bob<\/strong> from <code>chat<\/code>/)
  t.match(page.body, 'id="cascade-warning"')
  t.match(page.body, `<input type="hidden" name="memberships" value="${bobMembership}">`)
  t.match(page.body, '<input type="hidden" name="cascade" value="on">')

  const removed = await submit(app, owner, '/login/access/revoke', { memberships: bobMembership, cascade: 'on' })
  t.equal(removed.statusCode, 303)
  t.equal(await noticeAfter(app, removed, owner), 'Removed bob from chat and 1 admitted below them.')
  t.equal((await app.inject({ url: '/login/check?group=chat', headers: { cookie: carolCookie } })).statusCode, 403)
})

t.test('cancelling says which invitations were cancelled', async t => {
  const { app, owner, post } = await world(t)
  const one = await post(owner, '/login/access/allow', { invitations: [{ accessing: 'chat/a' }] })
  const two = await post(owner, '/login/access/allow', { invitations: [{ accessing: 'chat/b' }] })
  const three = await post(owner, '/login/access/allow', { invitations: [{ accessing: 'chat/c' }] })
  const single = await submit(app, owner, '/login/access/cancel', { invitations: one.long })
  t.equal(await noticeAfter(app, single, owner), 'Cancelled the invitation to chat/a.')
  const several = await submit(app, owner, '/login/access/cancel', { invitations: [two.long, three.long] })
  t.equal(await noticeAfter(app, several, owner), 'Cancelled the invitation to chat/b and the invitation to chat/c.')
})

t.test('accepting through the form lands on a page that says what was joined', async t => {
  const { app, owner, post, signIn } = await world(t)
  const dave = await signIn('dave')
  const plain = await post(owner, '/login/access/allow', {
    invitations: [{ accessing: 'chat/a' }, { accessing: 'chat/b' }],
  })
  const joined = await submit(app, dave, `/login/access/add/${plain.short}`, {})
  t.equal(joined.headers.location, '/login/access/view/groups')
  t.equal(await noticeAfter(app, joined, dave), 'You joined chat/a, chat/b.')
  const elsewhere = await post(owner, '/login/access/allow', {
    redirect: '/app',
    invitations: [{ accessing: 'chat/c' }],
  })
  const redirected = await submit(app, dave, `/login/access/add/${elsewhere.short}`, {})
  t.equal(redirected.headers.location, '/app', "the invitation's redirect wins")
  t.notMatch(String(redirected.headers['set-cookie']), /login-notice=/, 'and no notice waits for a later page')
})

t.test('a signed-out visitor of a closed invitation is told so', async t => {
  const { app, owner, post } = await world(t)
  const link = await post(owner, '/login/access/allow', { invitations: [{ accessing: 'chat/x' }] })
  await post(owner, '/login/access/cancel', { invitations: [link.long] })
  const page = await app.inject({ url: `/login/access/accept/${link.short}`, headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 410)
  t.match(page.body, /LOGIN_ERR_INVITATION_GONE/)
  const missing = await app.inject({
    url: '/login/access/accept/22222222222222222222zz',
    headers: { accept: 'text/html' },
  })
  t.equal(missing.statusCode, 404)
})

t.test('invite form mistakes come back above the form, with what was typed', async t => {
  const { app, owner } = await world(t)
  const page = await app.inject({ url: '/login/access/view/invite', headers: { cookie: owner } })
  const membership = /name="g0\.inviter" value="([^"]+)"/.exec(page.body)![1]!
  const row = {
    g0: 'on',
    'g0.inviter': membership,
    'g0.accessing': 'chat/new',
    'g0.access_days': '2',
    redirect: '/here',
  }
  const cases: [Record<string, string>, number, string][] = [
    [{ ...row, 'g0.accessing': 'other/thing' }, 403, 'Your membership of chat cannot invite to other/thing'],
    [{ ...row, invitees: '0' }, 400, '“Places” must be a whole number from 1'],
    [{ ...row, 'g0.accept_days': 'soon' }, 400, '“Accept within” must be a number of days and hours'],
    [{ ...row, redirect: 'https://elsewhere.example/' }, 400, 'Invalid next URL'],
    [{ ...row, g0: 'off' }, 400, 'Tick at least one group to invite to'],
  ]
  for (const [fields, status, message] of cases) {
    const response = await submit(app, owner, '/login/access/allow', fields)
    t.equal(response.statusCode, status, message)
    t.match(
      response.body,
      new RegExp(`id="form-error" role="alert">[^<]*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    )
    t.match(response.body, `value="${fields['g0.accessing']}"`, 'the group typed is kept')
    t.match(response.body, 'name="g0.access_days" min="0" value="2"', 'and the length of access')
    t.match(response.body, 'name="redirect" value="' + fields.redirect!.replace(/&/g, '&amp;'), 'and the redirect')
  }
  t.equal(
    (await app.ctx.groups.removal.cancellable((await app.ctx.users.findByIdentity('test', 'owner'))!.id)).length,
    1,
    'no link was made',
  )
})

t.test('the audit log page: names, sentences, pages of 100, only for those who may remove anyone', async t => {
  const { app, owner, bob } = await world(t)
  const ownerId = (await app.ctx.users.findByIdentity('test', 'owner'))!.id
  const oneMore = parseInvitationRequest({ invitations: [{ accessing: 'chat' }] })
  for (let i = 0; i < 100; i++) await app.ctx.groups.invitations.create(ownerId, oneMore)
  const first = await app.inject({ url: '/login/access/view/log/chat', headers: { cookie: owner } })
  t.equal(first.statusCode, 200)
  t.match(first.body, '<title>Audit log of chat</title>')
  t.equal(first.body.match(/<li data-event=/g)?.length, 100, 'one page')
  const older = /id="older" href="([^"]+)"/.exec(first.body)![1]!
  t.match(older, /^\/login\/access\/view\/log\/chat\?before=\d+$/)
  const second = await app.inject({ url: older.replace(/&amp;/g, '&'), headers: { cookie: owner } })
  t.match(second.body, 'bob accepted an invitation and joined chat')
  t.match(second.body, 'owner became an owner of chat')
  t.notMatch(second.body, 'id="older"', 'the last page links no further')

  const groups = await app.inject({ url: '/login/access/view/groups', headers: { cookie: owner } })
  t.match(groups.body, 'href="/login/access/view/log/chat" class="log-link"', 'linked from the groups page')
  const bobGroups = await app.inject({ url: '/login/access/view/groups', headers: { cookie: bob } })
  t.notMatch(bobGroups.body, 'log-link', 'not for members without power 2')
  const refused = await app.inject({ url: '/login/access/view/log/chat', headers: { cookie: bob } })
  const unknown = await app.inject({ url: '/login/access/view/log/nothing/here', headers: { cookie: owner } })
  t.equal(refused.statusCode, 404, 'a log one may not read looks like a missing group')
  t.equal(unknown.statusCode, 404)
  t.match(refused.body, 'LOGIN_ERR_NOT_FOUND')
})

t.test('with several groups to invite to, the first is ticked and the others are not', async t => {
  const { app, owner } = await world(t)
  await app.ctx.groups.tree.ensureNamespace('club', 'test', 'owner')
  const page = await app.inject({ url: '/login/access/view/invite', headers: { cookie: owner } })
  t.match(page.body, /<input type="checkbox" name="g0" value="on" checked>/)
  t.match(page.body, /<input type="checkbox" name="g1" value="on">/)
  t.match(page.body, /name="g0.accept_days" min="0" value="7"/, 'links expire within a week unless told otherwise')
})
