import t, { type Test } from 'tap'
import { groupFixture, outcome, type GroupFixture } from './fixture.js'

/**
 * Powers (docs/access-groups.md, "Who may remove whom"). The world: `owner` owns `chat`; `admin` (power 2) and
 * `mod` (power 1) were invited by the owner; mod invited `m1` (power 1),
 * m1 invited `m2`; the owner invited `plain` (power 0), who invited `p1`;
 * `sub` holds power 2 on `chat/room` only, where `roomie` is a member.
 * Each member also created one pending invitation.
 */
interface World {
  fx: GroupFixture
  users: Record<string, string>
  memberships: Record<string, string>
  pending: Record<string, string>
}

async function world(t: Parameters<typeof groupFixture>[0]): Promise<World> {
  const fx = groupFixture(t)
  const { ownerId, membership } = await fx.namespace('chat')
  const users: Record<string, string> = { owner: ownerId }
  const memberships: Record<string, string> = { owner: membership.id }
  const add = async (name: string, by: string, path: string, limits: Record<string, unknown> = {}) => {
    const joined = await fx.admit(users[by]!, name, path, limits)
    users[name] = joined.userId
    memberships[name] = joined.membership.id
  }
  await add('admin', 'owner', 'chat', { deauthorizes: 2 })
  await add('mod', 'owner', 'chat', { deauthorizes: 1 })
  await add('m1', 'mod', 'chat', { deauthorizes: 1 })
  await add('m2', 'm1', 'chat')
  await add('plain', 'owner', 'chat')
  await add('p1', 'plain', 'chat')
  await add('sub', 'owner', 'chat/room', { deauthorizes: 2 })
  await add('roomie', 'owner', 'chat/room')
  const pending: Record<string, string> = {}
  for (const name of Object.keys(memberships)) {
    pending[name] = (
      await fx.invite(users[name]!, {
        invitations: [{ accessing: name === 'sub' || name === 'roomie' ? 'chat/room' : 'chat' }],
      })
    ).id
  }
  return { fx, users, memberships, pending }
}

/** Each case, in a world of its own: what `act` by the caller on the other person comes to (an error code or 'ok'). */
async function expectOutcomes(
  t: Test,
  cases: [caller: string, other: string, expected: string][],
  act: (w: World, caller: string, other: string) => Promise<unknown>,
  label: (caller: string, other: string) => string,
): Promise<void> {
  for (const [caller, other, expected] of cases) {
    const w = await world(t)
    t.equal(await outcome(() => act(w, caller, other)), expected, label(caller, other))
  }
}

t.test('who may remove whom', async t => {
  const cases: [string, string, string][] = [
    // [caller, target membership, outcome]
    ['owner', 'admin', 'ok'],
    ['owner', 'm2', 'ok'],
    ['admin', 'mod', 'ok'],
    ['admin', 'owner', 'LOGIN_ERR_FORBIDDEN'], // power 2 reaches every membership of the group but an owner's
    ['admin', 'plain', 'ok'], // power 2 reaches every other membership of the group
    ['admin', 'roomie', 'ok'], // ...and of its subgroups
    ['mod', 'm1', 'ok'], // power 1: admitted below through mod's chain
    ['mod', 'm2', 'ok'], // transitively
    ['m1', 'm2', 'ok'],
    ['mod', 'plain', 'LOGIN_ERR_FORBIDDEN'], // not below mod
    ['mod', 'p1', 'LOGIN_ERR_FORBIDDEN'],
    ['m1', 'mod', 'LOGIN_ERR_FORBIDDEN'], // above, not below
    ['m2', 'm1', 'LOGIN_ERR_FORBIDDEN'], // power 0
    ['plain', 'p1', 'LOGIN_ERR_FORBIDDEN'], // power 0 removes nobody, not even their own invitees
    ['sub', 'roomie', 'ok'],
    ['sub', 'plain', 'LOGIN_ERR_FORBIDDEN'], // power 2 on chat/room does not reach chat
    ['roomie', 'sub', 'LOGIN_ERR_FORBIDDEN'],
  ]
  await expectOutcomes(
    t,
    cases,
    (w, caller, target) => w.fx.groups.removal.revoke(w.users[caller]!, [w.memberships[target]!]),
    (caller, target) => `${caller} removes ${target}`,
  )
})

t.test('who may cancel which invitation', async t => {
  const cases: [string, string, string][] = [
    ['owner', 'p1', 'ok'],
    ['admin', 'owner', 'ok'],
    ['admin', 'roomie', 'ok'],
    ['mod', 'mod', 'ok'], // own
    ['mod', 'm1', 'ok'], // created by a membership below mod's
    ['mod', 'm2', 'ok'],
    ['mod', 'plain', 'LOGIN_ERR_FORBIDDEN'],
    ['m1', 'mod', 'LOGIN_ERR_FORBIDDEN'],
    ['plain', 'plain', 'ok'], // power 0: own invitations only
    ['plain', 'p1', 'LOGIN_ERR_FORBIDDEN'],
    ['p1', 'p1', 'ok'],
    ['sub', 'roomie', 'ok'],
    ['sub', 'owner', 'LOGIN_ERR_FORBIDDEN'],
  ]
  await expectOutcomes(
    t,
    cases,
    (w, caller, creator) => w.fx.groups.removal.cancel(w.users[caller]!, [w.pending[creator]!]),
    (caller, creator) => `${caller} cancels ${creator}'s invitation`,
  )
})

t.test('listings match the powers', async t => {
  const w = await world(t)
  const names = (members: { userName: string; path: string }[]) => members.map(m => `${m.userName}@${m.path}`).sort()
  // Invitations used to build the world are still open too: compare by who created them.
  const creators = async (userId: string) =>
    [...new Set((await w.fx.groups.removal.cancellable(userId)).map(i => i.inviterName))].sort()
  t.same(names(await w.fx.groups.removal.removable(w.users.admin!)), [
    'm1@chat',
    'm2@chat',
    'mod@chat',
    'p1@chat',
    'plain@chat',
    'roomie@chat/room',
    'sub@chat/room',
  ])
  t.same(names(await w.fx.groups.removal.removable(w.users.mod!)), ['m1@chat', 'm2@chat'])
  t.same(names(await w.fx.groups.removal.removable(w.users.sub!)), ['roomie@chat/room'])
  t.same(names(await w.fx.groups.removal.removable(w.users.plain!)), [])
  t.same(await creators(w.users.mod!), ['m1', 'm2', 'mod'])
  t.same(await creators(w.users.plain!), ['plain'])
  t.same(await creators(w.users.sub!), ['owner', 'roomie', 'sub'], "including the owner's invitations to chat/room")
  t.same(await creators(w.users.owner!), Object.keys(w.pending).sort())
  const [listed] = (await w.fx.groups.removal.cancellable(w.users.plain!)).filter(i => i.id === w.pending.plain)
  t.match(listed, { inviterUserId: w.users.plain, inviterName: 'plain', path: 'chat' })
})

t.test('removal ends access, revokes, cancels pending invitations, and cascades on request', async t => {
  const w = await world(t)
  const { fx, users, memberships, pending } = w
  const head = await fx.revocations.head()
  t.same(await fx.groups.removal.revoke(users.owner!, [memberships.mod!]), [memberships.mod])
  t.notOk(await fx.groups.membership.isMember(users.mod!, 'chat'))
  t.ok(await fx.groups.membership.isMember(users.m1!, 'chat'), 'without cascade, those below stay')
  t.equal((await fx.invitation(pending.mod!)).active, false, "mod's pending invitation was cancelled")
  t.match(await fx.revocations.since(head), [{ kind: 'membership', subject: memberships.mod, userId: users.mod }])

  const removed = await fx.groups.removal.revoke(users.owner!, [memberships.m1!], true)
  t.same(removed.sort(), [memberships.m1, memberships.m2].sort(), 'cascade removes m2, admitted below m1')
  t.same(
    (await fx.revocations.since(head)).map(r => r.subject).sort(),
    [memberships.mod, memberships.m1, memberships.m2].sort(),
  )
  t.equal((await fx.invitation(pending.m2!)).active, false)
  t.equal(
    await outcome(() => fx.groups.removal.revoke(users.owner!, [memberships.m2!])),
    'LOGIN_ERR_CONFLICT',
    'already removed',
  )
  t.equal(await outcome(() => fx.groups.removal.revoke(users.owner!, ['nope'])), 'LOGIN_ERR_NOT_FOUND')
})

t.test('a batch is all or nothing', async t => {
  const w = await world(t)
  t.equal(
    await outcome(() => w.fx.groups.removal.revoke(w.users.mod!, [w.memberships.m1!, w.memberships.plain!])),
    'LOGIN_ERR_FORBIDDEN',
  )
  t.ok(await w.fx.groups.membership.isMember(w.users.m1!, 'chat'), 'm1 was not removed')
  t.equal(
    await outcome(() => w.fx.groups.removal.cancel(w.users.plain!, [w.pending.plain!, w.pending.p1!])),
    'LOGIN_ERR_FORBIDDEN',
  )
  t.equal((await w.fx.invitation(w.pending.plain!)).active, true)
  t.equal(await outcome(() => w.fx.groups.removal.cancel(w.users.plain!, ['nope'])), 'LOGIN_ERR_NOT_FOUND')
  await w.fx.groups.removal.cancel(w.users.plain!, [w.pending.plain!])
  t.equal(await outcome(() => w.fx.groups.removal.cancel(w.users.plain!, [w.pending.plain!])), 'LOGIN_ERR_CONFLICT')
})

t.test('anyone may leave; only their own membership', async t => {
  const w = await world(t)
  const { fx, users, memberships, pending } = w
  const head = await fx.revocations.head()
  t.equal(
    await outcome(() => fx.groups.removal.leave(users.p1!, memberships.plain!)),
    'LOGIN_ERR_NOT_FOUND',
    'not theirs',
  )
  await fx.groups.removal.leave(users.p1!, memberships.p1!)
  t.notOk(await fx.groups.membership.isMember(users.p1!, 'chat'))
  t.equal((await fx.invitation(pending.p1!)).active, false)
  t.match(await fx.revocations.since(head), [{ kind: 'membership', subject: memberships.p1 }])
  t.equal(
    await outcome(() => fx.groups.removal.leave(users.p1!, memberships.p1!)),
    'LOGIN_ERR_CONFLICT',
    'leaving twice',
  )
  await fx.groups.removal.leave(users.owner!, memberships.owner!)
  t.notOk(await fx.groups.membership.isMember(users.owner!, 'chat'), 'even an owner may leave')
})

t.test('deleting an account ends its memberships through the revocation log', async t => {
  const w = await world(t)
  const { fx, users, memberships, pending } = w
  const head = await fx.revocations.head()
  const announced = fx.announced()
  // The account service owns the deletion transaction: the step runs inside it and leaves announcing to it.
  await fx.db.transaction(async () => {
    await fx.groups.removal.forgetUser(users.mod!, fx.clock.now())
    await fx.users.retire(users.mod!, fx.clock.now())
  })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(fx.announced(), announced, 'nothing announced from inside a transaction that the step does not own')
  t.match(await fx.revocations.since(head), [{ kind: 'membership', subject: memberships.mod, userId: users.mod }])
  t.equal((await fx.invitation(pending.mod!)).active, false)
  t.ok(await fx.groups.membership.isMember(users.m1!, 'chat'), 'those mod admitted keep their access')
  t.equal((await fx.invitation(pending.m1!)).inviterId, memberships.m1)
  const log = await fx.groups.events.read(users.owner!, 'chat')
  t.match(
    log.find(e => e.kind === 'member_removed'),
    { subjectId: users.mod, subjectName: null, detail: { reason: 'account deleted' } },
    'the log keeps the id of the deleted account',
  )
})
