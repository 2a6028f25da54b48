import t from 'tap'
import { userActor } from '../../src/groups/actor.js'
import { groupFixture, outcome } from './fixture.js'

t.test('every group change is logged with who and when', async t => {
  const fx = groupFixture(t)
  const { ownerId, membership } = await fx.namespace('chat')
  fx.clock.advance(5)
  const link = await fx.invite(ownerId, { invitations: [{ accessing: 'chat/room' }] })
  const bob = await fx.join('bob', link)
  const carol = await fx.admit(ownerId, 'carol', 'chat')
  const granted = await fx.groups.membership.grant(await fx.user('dave'), 'chat/room', {}, userActor(ownerId))
  await fx.groups.removal.cancel(ownerId, [link.id])
  await fx.groups.removal.revoke(ownerId, [bob.membership.id])
  await fx.groups.removal.leave(carol.userId, carol.membership.id)

  const log = (await fx.groups.events.read(ownerId, 'chat')).reverse()
  t.match(
    log.map(e => [e.kind, e.path]),
    [
      ['namespace_created', 'chat'],
      ['owner_added', 'chat'],
      ['group_created', 'chat/room'],
      ['invitation_created', 'chat/room'],
      ['invitation_accepted', 'chat/room'],
      ['invitation_created', 'chat'],
      ['invitation_accepted', 'chat'],
      ['member_granted', 'chat/room'],
      ['invitation_cancelled', 'chat/room'],
      ['member_removed', 'chat/room'],
      ['member_left', 'chat'],
    ],
  )
  t.match(log[1], {
    actorId: null,
    subjectId: ownerId,
    subjectName: 'owner',
    membershipId: membership.id,
    detail: { owner: 'test:owner' },
    created: fx.clock.now() - 5,
  })
  t.match(log[4], {
    actorId: bob.userId,
    actorName: 'bob',
    subjectId: bob.userId,
    invitationId: link.id,
    membershipId: bob.membership.id,
  })
  t.match(log[7], { actorId: ownerId, actorName: 'owner', membershipId: granted.id })
  t.match(log[9], { actorId: ownerId, subjectName: 'bob', detail: { reason: 'revoked' } })
  t.match(log[10], { actorId: carol.userId, subjectId: carol.userId, detail: { reason: 'left' } })
  t.same(
    (await fx.groups.events.read(ownerId, 'chat/room')).map(e => e.path),
    Array(6).fill('chat/room'),
    "a subgroup's log holds only its own events",
  )
})

t.test('reading the log needs power 2; pages go back by id', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const admin = await fx.admit(ownerId, 'admin', 'chat', { deauthorizes: 2 })
  const mod = await fx.admit(ownerId, 'mod', 'chat', { deauthorizes: 1 })
  const sub = await fx.admit(ownerId, 'sub', 'chat/room', { deauthorizes: 2 })
  const cases: [string, string, string][] = [
    [ownerId, 'chat', 'ok'],
    [admin.userId, 'chat', 'ok'],
    [admin.userId, 'chat/room', 'ok'],
    [sub.userId, 'chat/room', 'ok'],
    // Refusals look like a missing group, so that nobody can probe which groups exist.
    [sub.userId, 'chat', 'LOGIN_ERR_NOT_FOUND'],
    [mod.userId, 'chat', 'LOGIN_ERR_NOT_FOUND'],
    [await fx.user('stranger'), 'chat', 'LOGIN_ERR_NOT_FOUND'],
    [ownerId, 'missing', 'LOGIN_ERR_NOT_FOUND'],
  ]
  for (const [user, path, code] of cases)
    t.equal(
      await outcome(() => fx.groups.events.read(user, path)),
      code,
      `${user === ownerId ? 'owner' : (await fx.users.get(user))!.name} reads ${path}`,
    )
  const all = await fx.groups.events.read(ownerId, 'chat')
  const first = await fx.groups.events.read(ownerId, 'chat', { limit: 3 })
  t.same(first, all.slice(0, 3))
  t.same(await fx.groups.events.read(ownerId, 'chat', { before: first[2]!.id, limit: 3 }), all.slice(3, 6))
  t.equal(
    (await fx.groups.events.read(ownerId, 'chat', { limit: 10_000 })).length,
    all.length,
    'limits are capped, not refused',
  )
})
