import t from 'tap'
import { groupFixture, outcome, T0 } from './fixture.js'

t.test('acceptance deadlines', async t => {
  const cases: {
    name: string
    limits: Record<string, unknown>
    inviter?: Record<string, unknown>
    at: number
    code: string
  }[] = [
    { name: 'before acceptance_expiration', limits: { acceptance_expiration: T0 + 100 }, at: T0 + 99, code: 'ok' },
    { name: 'at acceptance_expiration', limits: { acceptance_expiration: T0 + 100 }, at: T0 + 100, code: 'ok' },
    {
      name: 'after acceptance_expiration',
      limits: { acceptance_expiration: T0 + 100 },
      at: T0 + 101,
      code: 'LOGIN_ERR_INVITATION_GONE',
    },
    { name: 'before access_expiration', limits: { access_expiration: T0 + 100 }, at: T0 + 99, code: 'ok' },
    {
      name: 'at access_expiration: the access has ended',
      limits: { access_expiration: T0 + 100 },
      at: T0 + 100,
      code: 'LOGIN_ERR_INVITATION_GONE',
    },
    { name: 'access_duration alone never closes it', limits: { access_duration: 10 }, at: T0 + 1_000_000, code: 'ok' },
    {
      name: "the inviter's access has ended",
      inviter: { until: T0 + 50 },
      limits: { acceptance_expiration: T0 + 50 },
      at: T0 + 50,
      code: 'LOGIN_ERR_INVITATION_GONE',
    },
  ]
  for (const c of cases) {
    const fx = groupFixture(t)
    await fx.namespace('chat')
    const inviter = await fx.user('inviter')
    await fx.groups.membership.grant(inviter, 'chat', { spots: null, ...c.inviter })
    const link = await fx.invite(inviter, { invitations: [{ accessing: 'chat', ...c.limits }] })
    fx.clock.set(c.at)
    t.equal(await outcome(() => fx.join('bob', link)), c.code, c.name)
    if (c.code !== 'ok') {
      t.equal((await fx.invitation(link.id)).active, false, `${c.name}: the expired invitation was deactivated`)
      fx.clock.set(T0)
      t.equal(await outcome(() => fx.join('carol', link)), 'LOGIN_ERR_INVITATION_GONE', `${c.name}: and stays closed`)
    }
  }
})

t.test('an expired link is closed for every group of its chain', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const link = await fx.invite(ownerId, {
    invitations: [{ accessing: 'chat/a' }, { accessing: 'chat/b', acceptance_expiration: T0 + 10 }],
  })
  fx.clock.set(T0 + 11)
  t.equal(await outcome(() => fx.join('bob', link)), 'LOGIN_ERR_INVITATION_GONE')
  t.same(await Promise.all(link.invitations.map(async i => (await fx.invitation(i.id)).active)), [false, false])
})

t.test("memberships end at their until, and with their inviter's", async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  const alice = await fx.user('alice')
  await fx.groups.membership.grant(alice, 'chat', { until: T0 + 1000, spots: null })
  const bob = await fx.admit(alice, 'bob', 'chat', { acceptance_expiration: T0 + 100, access_duration: 300 })
  const carol = await fx.admit(alice, 'carol', 'chat', { acceptance_expiration: T0 + 100 })
  const cases: [number, boolean, boolean, boolean][] = [
    // [time, alice, bob, carol]
    [T0, true, true, true],
    [T0 + 299, true, true, true],
    [T0 + 300, true, false, true],
    [T0 + 999, true, false, true],
    [T0 + 1000, false, false, false],
  ]
  for (const [at, a, b, c] of cases) {
    fx.clock.set(at)
    t.same(
      await Promise.all([alice, bob.userId, carol.userId].map(u => fx.groups.membership.isMember(u, 'chat'))),
      [a, b, c],
      `at T0+${at - T0}`,
    )
  }
})

t.test('expired memberships give no power and are not listed', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const admin = await fx.admit(ownerId, 'admin', 'chat', { deauthorizes: 2, access_duration: 100 })
  const member = await fx.admit(ownerId, 'member', 'chat', { access_duration: 50 })
  const other = await fx.admit(ownerId, 'other', 'chat')
  t.same(
    (await fx.groups.removal.removable(admin.userId)).map(m => m.userName),
    ['member', 'other'],
  )
  fx.clock.set(T0 + 50)
  t.same(
    (await fx.groups.removal.removable(admin.userId)).map(m => m.userName),
    ['other'],
    'the expired member is not listed',
  )
  fx.clock.set(T0 + 100)
  t.same(await fx.groups.removal.removable(admin.userId), [], 'an expired admin lists nothing')
  t.equal(
    await outcome(() => fx.groups.removal.revoke(admin.userId, [other.membership.id])),
    'LOGIN_ERR_FORBIDDEN',
    'and may remove nobody',
  )
  t.ok(member)
})
