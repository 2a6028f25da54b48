import t from 'tap'
import { groupFixture, outcome, T0 } from './fixture.js'

t.test('permissions flow downwards; a missing group is not held', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  await fx.groups.tree.ensurePath('chat/alice/images', null, T0)
  await fx.groups.tree.ensurePath('other', null, T0)
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
  for (const [path, held] of cases) t.equal(await fx.groups.membership.isMember(ownerId, path), held, path)
})

t.test('a membership below does not grant above; siblings are separate', async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  await fx.groups.tree.ensurePath('chat/bob', null, T0)
  const alice = await fx.user('alice')
  await fx.groups.membership.grant(alice, 'chat/alice')
  const cases: [string, boolean][] = [
    ['chat/alice', true],
    ['chat/alice/x', false],
    ['chat', false],
    ['chat/bob', false],
  ]
  await fx.groups.tree.ensurePath('chat/alice/x', null, T0)
  cases[1] = ['chat/alice/x', true]
  for (const [path, held] of cases) t.equal(await fx.groups.membership.isMember(alice, path), held, path)
})

t.test('expired and inactive memberships are not held', async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  const alice = await fx.user('alice')
  const grant = await fx.groups.membership.grant(alice, 'chat', { until: T0 + 100 })
  t.ok(await fx.groups.membership.isMember(alice, 'chat'))
  fx.clock.set(T0 + 99)
  t.ok(await fx.groups.membership.isMember(alice, 'chat'), 'held until the last second')
  fx.clock.set(T0 + 100)
  t.notOk(await fx.groups.membership.isMember(alice, 'chat'), 'not held at `until`')
  fx.clock.set(T0)
  await fx.groups.membership.remove(grant.id)
  t.notOk(await fx.groups.membership.isMember(alice, 'chat'), 'not held once removed')
})

/** `chat` with its `chat/blocked` group, and the groups `others`; alice holds `chat/dm`. */
async function aliceInChat(t: Parameters<typeof groupFixture>[0], ...others: string[]) {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  for (const path of ['chat/blocked', ...others]) await fx.groups.tree.ensurePath(path, null, T0)
  const alice = await fx.user('alice')
  await fx.groups.membership.grant(alice, 'chat/dm')
  return { fx, alice }
}

t.test('expressions are evaluated against memberships', async t => {
  const { fx, alice } = await aliceInChat(t, 'admin')
  const bob = await fx.user('bob')
  const carol = await fx.user('carol')
  await fx.groups.membership.grant(bob, 'chat/dm')
  await fx.groups.membership.grant(bob, 'chat/blocked')
  await fx.groups.membership.grant(carol, 'admin')
  const rule = '!chat/blocked & (chat/dm | admin)'
  t.equal(await fx.groups.membership.holds(alice, rule), true, 'alice is in dm and not blocked')
  t.equal(await fx.groups.membership.holds(bob, rule), false, 'bob is blocked')
  t.equal(await fx.groups.membership.holds(carol, rule), true, 'carol is an admin')
  t.equal(await fx.groups.membership.holds(alice, { and: ['chat/dm', { not: 'chat/blocked' }] }), true, 'JSON form')
  t.equal(
    await fx.groups.membership.holds(alice, 'chat/dm/anything-below'),
    false,
    'a group below that does not exist is not held',
  )
  t.equal(
    await fx.groups.membership.holds(alice, 'chat/dm/nope | chat/dm'),
    true,
    'a missing group is false, not an error',
  )
  t.equal(await outcome(() => fx.groups.membership.holds(alice, 'chat &')), 'LOGIN_ERR_BAD_EXPRESSION')
})

t.test('a whole expression costs one statement once its groups are known', async t => {
  const { fx, alice } = await aliceInChat(t, 'admin/staff')
  const rule = '!chat/blocked & (chat/dm/room | admin/staff)'
  await fx.groups.tree.ensurePath('chat/dm/room', null, T0)
  const cost = async (expression: string) => {
    const before = fx.statements()
    const held = await fx.groups.membership.holds(alice, expression)
    return { held, statements: fx.statements() - before }
  }
  t.same(await cost(rule), { held: true, statements: 2 }, 'first: the groups of every path at once, then the check')
  t.same(await cost(rule), { held: true, statements: 1 }, 'then: only the check')
  t.same(await cost('chat/blocked | admin/staff'), { held: false, statements: 1 }, 'paths seen before are known')
  t.same(
    await cost('nowhere/a | nowhere/b | chat/dm'),
    { held: true, statements: 2 },
    'missing groups are looked up again (they may be created), with the others',
  )
})

t.test('an expression naming more groups than one statement binds', async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  const alice = await fx.user('alice')
  const rooms = Array.from({ length: 1200 }, (_, i) => `chat/room${i}`)
  for (const room of rooms) await fx.groups.tree.ensurePath(room, null, T0)
  await fx.groups.membership.grant(alice, rooms.at(-1)!)
  // More paths than SQLite binds in one statement (32,766), as a channel message of 64 KiB can carry.
  const missing = Array.from({ length: 40_000 }, (_, i) => `nowhere/p${i}`)
  t.equal(await fx.groups.membership.holds(alice, { or: [...missing, ...rooms] }), true, 'any of them')
  t.equal(await fx.groups.membership.holds(alice, { and: rooms }), false, 'all of them')
  t.equal(await fx.groups.membership.holds(alice, { or: missing }), false, 'none exists')
})

t.test('direct grants and app removals', async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  const alice = await fx.user('alice')
  const grant = await fx.groups.membership.grant(alice, 'chat/rooms/general')
  t.match(grant, { path: 'chat/rooms/general', invitationId: null, spots: 0, deauthorizes: 0, dos: null, until: null })
  t.ok(await fx.groups.tree.find('chat/rooms'), 'the path was created on demand')
  const generous = await fx.groups.membership.grant(alice, 'chat', {
    spots: null,
    deauthorizes: 1,
    dos: 2,
    until: T0 + 60,
  })
  t.match(generous, { spots: null, deauthorizes: 1, dos: 2, until: T0 + 60 })
  t.same(
    (await fx.groups.membership.current(alice)).map(m => m.path),
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
  for (const [fn, code, why] of cases) t.equal(await outcome(fn), code, why)

  const before = await fx.revocations.head()
  const announced = fx.announced()
  t.same(await fx.groups.membership.remove(grant.id), [grant.id])
  t.match(
    await fx.revocations.since(before),
    [{ kind: 'membership', subject: grant.id, userId: alice }],
    'the removal is in the revocation log',
  )
  t.equal(fx.announced(), announced + 1, 'and announced after commit')
  t.equal(await outcome(() => fx.groups.membership.remove(grant.id)), 'LOGIN_ERR_CONFLICT', 'removing twice')
})
