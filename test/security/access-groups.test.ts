// Attacks on the access-group rules, over HTTP as a signed-in user would make them.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ADMIN } from '../../src/groups/actor.js'
import { startApp } from '../helpers/app.js'
import type { Teardown } from '../helpers/teardown.js'

interface Member {
  cookie: string
  id: string
}

function api(app: FastifyInstance) {
  const call = async (cookie: string, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await app.inject({
      method,
      url,
      headers: { cookie, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    })
    return { status: response.statusCode, body: response.body ? response.json() : null }
  }
  return {
    invite: (who: Member, body: Record<string, unknown>) => call(who.cookie, 'POST', '/login/access/allow', body),
    accept: (who: Member, code: string) => call(who.cookie, 'POST', `/login/access/add/${code}`, {}),
    bound: async (who: Member, path: string) => {
      const { body } = await call(who.cookie, 'GET', '/login/access/invite')
      return (body as { path: string; bound: number | null }[]).find(g => g.path === path)?.bound
    },
    memberships: async (who: Member) =>
      (await call(who.cookie, 'GET', '/login/access/groups')).body as { membership: string; path: string }[],
    revoke: (who: Member, memberships: string[], cascade = false) =>
      call(who.cookie, 'POST', '/login/access/revoke', { memberships, cascade }),
    deleteAccount: (who: Member) => call(who.cookie, 'POST', '/login/delete', {}),
    log: (who: Member, group: string) => call(who.cookie, 'GET', `/login/access/log/${group}`),
  }
}

/** An app where test user `owner` owns `namespace`, signed in; `person` signs anyone else in. */
async function ownedBy(t: Teardown, namespace: string) {
  const { app, signIn } = await startApp(t)
  await app.ctx.groups.tree.ensureNamespace(namespace, 'test', 'owner')
  const person = async (name: string): Promise<Member> => {
    const cookie = await signIn(name)
    const me = await app.inject({ url: '/login/me', headers: { cookie } })
    return { cookie, id: (me.json() as { id: string }).id }
  }
  return { app, http: api(app), person, owner: await person('owner') }
}

t.test('deleting an account never widens a depleting chain', async t => {
  const { http, person, owner } = await ownedBy(t, 'chat')
  const [a, b, x, y, z] = await Promise.all(['a', 'b', 'x', 'y', 'z'].map(person))

  // The owner's depleting link for 4: everyone admitted below it counts against it.
  const four = await http.invite(owner, { invitees: 4, invitations: [{ accessing: 'chat', plus: 4, depletes: true }] })
  t.equal(four.status, 200)
  t.equal((await http.accept(a!, four.body.short)).status, 200)
  const three = await http.invite(a!, { invitees: 3, invitations: [{ accessing: 'chat', plus: 3, depletes: true }] })
  t.equal(three.status, 200)
  t.equal((await http.accept(b!, three.body.short)).status, 200)
  t.equal((await http.accept(x!, four.body.short)).status, 200)
  t.equal(await http.bound(b!, 'chat'), 1, "B may admit one more: the owner's link has one place left")

  t.equal((await http.deleteAccount(a!)).status, 200, 'A deletes their account')
  t.equal(await http.bound(b!, 'chat'), 1, 'the deletion gave B no more room')
  const two = await http.invite(b!, { invitees: 2, invitations: [{ accessing: 'chat', plus: 0, depletes: true }] })
  t.equal(two.status, 403, 'B cannot make a link for two')
  t.equal(two.body.code, 'LOGIN_ERR_INVITATION_LIMIT')

  const one = await http.invite(b!, { invitees: 1, invitations: [{ accessing: 'chat', plus: 0, depletes: true }] })
  t.equal(one.status, 200, 'a link for one is fine')
  t.equal((await http.accept(y!, one.body.short)).status, 200)
  t.equal(await http.bound(b!, 'chat'), 0)
  const admittedBelowOwner = async () => {
    let count = 0
    for (const member of [b!, x!, y!, z!]) if ((await http.memberships(member)).some(m => m.path === 'chat')) count++
    return count
  }
  t.equal(await admittedBelowOwner(), 3, 'B, X and Y hold chat; A left with the account')
  const more = await http.invite(b!, { invitees: 1, invitations: [{ accessing: 'chat', plus: 0, depletes: true }] })
  t.equal(more.status, 403, 'the link for 4 admitted 4 (A, B, X, Y): nobody else')
})

t.test('signing up again with the same identity does not accept a link twice', async t => {
  const { http, person, owner } = await ownedBy(t, 'club')
  const link = await http.invite(owner, { invitees: 5, invitations: [{ accessing: 'club' }] })
  const first = await person('mallory')
  t.equal((await http.accept(first, link.body.short)).status, 200)
  t.equal((await http.deleteAccount(first)).status, 200)

  const again = await person('mallory')
  t.not(again.id, first.id, 'a new account')
  const second = await http.accept(again, link.body.short)
  t.equal(second.status, 409, 'refused')
  t.equal(second.body.code, 'LOGIN_ERR_CONFLICT')
  t.match(second.body.message, /already accepted/)
  t.same(await http.memberships(again), [])
})

t.test('a power-2 delegate cannot remove an owner, nor cascade everyone away', async t => {
  const { app, http, person, owner } = await ownedBy(t, 'chat')
  const delegate = await person('delegate')
  const member = await person('member')
  const adminLink = await http.invite(owner, { invitations: [{ accessing: 'chat', deauthorizes: 2 }] })
  await http.accept(delegate, adminLink.body.short)
  const plain = await http.invite(owner, { invitations: [{ accessing: 'chat' }] })
  await http.accept(member, plain.body.short)
  const ownerMembership = (await http.memberships(owner)).find(m => m.path === 'chat')!.membership

  const attempt = await http.revoke(delegate, [ownerMembership], true)
  t.equal(attempt.status, 403, 'refused')
  t.equal(attempt.body.code, 'LOGIN_ERR_FORBIDDEN')
  t.match(attempt.body.message, /owner/)
  for (const who of [owner, delegate, member]) {
    t.ok(
      (await http.memberships(who)).some(m => m.path === 'chat'),
      'everyone is still a member',
    )
  }
  const listed = await app.inject({ url: '/login/access/remove', headers: { cookie: delegate.cookie } })
  t.notOk(
    (listed.json() as { membership: string }[]).some(m => m.membership === ownerMembership),
    'the owner is not offered for removal',
  )
  t.equal(
    (await http.revoke(delegate, [(await http.memberships(member))[0]!.membership])).status,
    200,
    'others still can be removed',
  )
})

t.test('the last owner cannot be removed; another owner can', async t => {
  const { app, http, person, owner } = await ownedBy(t, 'chat')
  const own = (await http.memberships(owner))[0]!.membership
  const alone = await http.revoke(owner, [own])
  t.equal(alone.status, 409, 'the only owner')
  t.equal(alone.body.code, 'LOGIN_ERR_CONFLICT')

  await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'second', ADMIN, { addOwner: true })
  const second = await person('second')
  const both = await http.revoke(owner, [own, (await http.memberships(second))[0]!.membership])
  t.equal(both.status, 409, 'not both owners at once')
  t.equal((await http.revoke(second, [own])).status, 200, 'one owner removes the other')
  t.same(await http.memberships(owner), [])
})

t.test('the audit log does not tell whether a group exists', async t => {
  const { http, person, owner } = await ownedBy(t, 'secret-project')
  const stranger = await person('stranger')
  const existing = await http.log(stranger, 'secret-project')
  const missing = await http.log(stranger, 'no-such-group')
  t.equal(existing.status, missing.status, 'the same status')
  t.equal(existing.body.code, missing.body.code, 'the same code')
  t.equal(
    existing.body.message.replace('secret-project', 'X'),
    missing.body.message.replace('no-such-group', 'X'),
    'the same message',
  )
  t.equal((await http.log(owner, 'secret-project')).status, 200, 'the owner reads it')
})
