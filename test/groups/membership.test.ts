import t from 'tap'
import { groupFixture, outcome, T0 } from './fixture.js'

t.test('permissions flow downwards; a missing group is not held', async t => {
  const fx = groupFixture(t)
  const { ownerId } = fx.namespace('chat')
  fx.groups.tree.ensurePath('chat/alice/images', null, T0)
  fx.groups.tree.ensurePath('other', null, T0)
  const cases: [string, boolean][] = [
    ['chat', true],
    ['chat/alice', true],
    ['chat/alice/images', true],
    ['chat/alice/never-created', false],
    ['other', false],
    ['chatter', false],
    ['nothing', false],
    ['not a path', false],
  ]
  for (const [path, held] of cases) t.equal(fx.groups.membership.isMember(ownerId, path), held, path)
})

t.test('a membership below does not grant above; siblings are separate', async t => {
  const fx = groupFixture(t)
  fx.namespace('chat')
  fx.groups.tree.ensurePath('chat/bob', null, T0)
  const alice = fx.user('alice')
  fx.groups.membership.grant(alice, 'chat/alice')
  const cases: [string, boolean][] = [
    ['chat/alice', true],
    ['chat/alice/x', false],
    ['chat', false],
    ['chat/bob', false],
  ]
  fx.groups.tree.ensurePath('chat/alice/x', null, T0)
  cases[1] = ['chat/alice/x', true]
  for (const [path, held] of cases) t.equal(fx.groups.membership.isMember(alice, path), held, path)
})

t.test('expired and inactive memberships are not held', async t => {
  const fx = groupFixture(t)
  fx.namespace('chat')
  const alice = fx.user('alice')
  const grant = fx.groups.membership.grant(alice, 'chat', { until: T0 + 100 })
  t.ok(fx.groups.membership.isMember(alice, 'chat'))
  fx.clock.set(T0 + 99)
  t.ok(fx.groups.membership.isMember(alice, 'chat'), 'held until the last second')
  fx.clock.set(T0 + 100)
  t.notOk(fx.groups.membership.isMember(alice, 'chat'), 'not held at `until`')
  fx.clock.set(T0)
  fx.groups.membership.remove(grant.id)
  t.notOk(fx.groups.membership.isMember(alice, 'chat'), 'not held once removed')
})

t.test('expressions are evaluated against memberships', async t => {
  const fx = groupFixture(t)
  fx.namespace('chat')
  fx.groups.tree.ensurePath('chat/blocked', null, T0)
  fx.groups.tree.ensurePath('admin', null, T0)
  const alice = fx.user('alice')
  const bob = fx.user('bob')
  const carol = fx.user('carol')
  fx.groups.membership.grant(alice, 'chat/dm')
  fx.groups.membership.grant(bob, 'chat/dm')
  fx.groups.membership.grant(bob, 'chat/blocked')
  fx.groups.membership.grant(carol, 'admin')
  const rule = '!chat/blocked & (chat/dm | admin)'
  t.equal(fx.groups.membership.holds(alice, rule), true, 'alice is in dm and not blocked')
  t.equal(fx.groups.membership.holds(bob, rule), false, 'bob is blocked')
  t.equal(fx.groups.membership.holds(carol, rule), true, 'carol is an admin')
  t.equal(fx.groups.membership.holds(alice, { and: ['chat/dm', { not: 'chat/blocked' }] }), true, 'JSON form')
  t.equal(
    fx.groups.membership.holds(alice, 'chat/dm/anything-below'),
    false,
    'a group below that does not exist is not held',
  )
  t.equal(fx.groups.membership.holds(alice, 'chat/dm/nope | chat/dm'), true, 'a missing group is false, not an error')
  t.equal(
    outcome(() => fx.groups.membership.holds(alice, 'chat &')),
    'LOGIN_ERR_BAD_EXPRESSION',
  )
})

t.test('direct grants and app removals', async t => {
  const fx = groupFixture(t)
  fx.namespace('chat')
  const alice = fx.user('alice')
  const grant = fx.groups.membership.grant(alice, 'chat/rooms/general')
  t.match(grant, { path: 'chat/rooms/general', invitationId: null, spots: 0, deauthorizes: 0, dos: null, until: null })
  t.ok(fx.groups.tree.find('chat/rooms'), 'the path was created on demand')
  const generous = fx.groups.membership.grant(alice, 'chat', { spots: null, deauthorizes: 1, dos: 2, until: T0 + 60 })
  t.match(generous, { spots: null, deauthorizes: 1, dos: 2, until: T0 + 60 })
  t.same(
    fx.groups.membership.current(alice).map(m => m.path),
    ['chat', 'chat/rooms/general'],
  )

  const cases: [() => unknown, string, string][] = [
    [() => fx.groups.membership.grant('no-such-user', 'chat'), 'LOGIN_ERR_NOT_FOUND', 'unknown user'],
    [() => fx.groups.membership.grant(alice, 'bad path'), 'LOGIN_ERR_BAD_REQUEST', 'bad path'],
    [
      () => fx.groups.membership.grant(alice, 'chat', { until: T0 }),
      'LOGIN_ERR_BAD_REQUEST',
      'until not in the future',
    ],
    [() => fx.groups.membership.grant(alice, 'chat', { deauthorizes: 3 }), 'LOGIN_ERR_BAD_REQUEST', 'power beyond 2'],
    [() => fx.groups.membership.grant(alice, 'chat', { dos: 0 }), 'LOGIN_ERR_BAD_REQUEST', 'dos 0'],
    [() => fx.groups.membership.remove('missing'), 'LOGIN_ERR_NOT_FOUND', 'unknown membership'],
  ]
  for (const [fn, code, why] of cases) t.equal(outcome(fn), code, why)

  const before = fx.revocations.head()
  const announced = fx.announced()
  t.same(fx.groups.membership.remove(grant.id), [grant.id])
  t.match(
    fx.revocations.since(before),
    [{ kind: 'membership', subject: grant.id, userId: alice }],
    'the removal is in the revocation log',
  )
  t.equal(fx.announced(), announced + 1, 'and announced after commit')
  t.equal(
    outcome(() => fx.groups.membership.remove(grant.id)),
    'LOGIN_ERR_CONFLICT',
    'removing twice',
  )
})
