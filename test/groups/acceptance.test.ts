import t from 'tap'
import type { CreatedLink } from '../../src/groups/invitations.js'
import { groupFixture, outcome, T0 } from './fixture.js'
import { SCENARIOS } from './race.js'

t.test('accepting spends one place at every level walked', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const carol = await fx.user('carol')
  const carolGrant = await fx.groups.membership.grant(carol, 'chat', { spots: 10 })
  const alice = await fx.admit(carol, 'alice', 'chat', { depletes: true, plus: 4 }, { invitees: 6 })
  t.equal((await fx.membership(carolGrant.id)).spots, 9, 'the inviter spent a spot')
  t.equal((await fx.invitation(alice.membership.invitationId!)).invitees, 5, 'the invitation spent a place')

  const link = await fx.invite(alice.userId, {
    invitees: 3,
    invitations: [{ accessing: 'chat', depletes: true, plus: 0 }],
  })
  const bob = await fx.join('bob', link)
  t.equal((await fx.invitation(link.id)).invitees, 2, "bob used a place of alice's invitation")
  t.equal((await fx.membership(alice.membership.id)).spots, 3, "and one of alice's spots")
  t.equal(
    (await fx.invitation(alice.membership.invitationId!)).invitees,
    4,
    "and, depleting, one of carol's invitation to alice",
  )
  t.equal((await fx.membership(carolGrant.id)).spots, 8, "and one of carol's spots")
  t.match(bob.membership, { invitationId: link.id, spots: 0, deauthorizes: 0, dos: null, until: null, path: 'chat' })
  t.ok(ownerId)
})

t.test("non-depleting invitations spend only the inviter's spots", async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const alice = await fx.admit(ownerId, 'alice', 'chat', { plus: 4 }, { invitees: 6 })
  await fx.admit(alice.userId, 'bob', 'chat', { plus: 0 }, { invitees: 1 })
  t.equal((await fx.membership(alice.membership.id)).spots, 3)
  t.equal(
    (await fx.invitation(alice.membership.invitationId!)).invitees,
    5,
    'the invitation alice came through is untouched',
  )
})

t.test('acceptance rules', async t => {
  type Fixture = ReturnType<typeof groupFixture>
  interface Case {
    name: string
    run: (fx: Fixture, ownerId: string) => unknown
    code: string
  }
  /** The owner's link to `chat` (with the link fields `top`); `before` happens to it, then x accepts it. */
  const acceptAfter =
    (before: (fx: Fixture, ownerId: string, link: CreatedLink) => Promise<unknown>, top = {}): Case['run'] =>
    async (fx, o) => {
      const link = await fx.invite(o, { ...top, invitations: [{ accessing: 'chat' }] })
      await before(fx, o, link)
      return fx.join('x', link)
    }
  const cases: Case[] = [
    {
      name: 'a fresh invitation',
      run: async (fx, o) => fx.join('x', await fx.invite(o, { invitations: [{ accessing: 'chat' }] })),
      code: 'ok',
    },
    {
      name: 'by short code',
      run: async (fx, o) => fx.join('x', (await fx.invite(o, { invitations: [{ accessing: 'chat' }] })).code),
      code: 'ok',
    },
    {
      name: 'unknown link',
      run: async fx => fx.join('x', '00000000-0000-4000-8000-000000000000'),
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    { name: 'not an id at all', run: async fx => fx.join('x', 'hello'), code: 'LOGIN_ERR_NOT_FOUND' },
    { name: 'accepting twice', code: 'LOGIN_ERR_CONFLICT', run: acceptAfter((fx, _o, link) => fx.join('x', link)) },
    {
      name: 'accepting twice after being removed',
      code: 'LOGIN_ERR_CONFLICT',
      run: acceptAfter(async (fx, o, link) => fx.groups.removal.revoke(o, [(await fx.join('x', link)).membership.id])),
    },
    {
      name: "the inviter's own link",
      run: async (fx, o) =>
        fx.groups.invitations.accept(o, (await fx.invite(o, { invitations: [{ accessing: 'chat' }] })).id),
      code: 'LOGIN_ERR_CONFLICT',
    },
    {
      name: 'a loop: the owner accepting an invitation from someone they admitted',
      code: 'LOGIN_ERR_CONFLICT',
      run: async (fx, o) => {
        const a = await fx.admit(o, 'alice', 'chat')
        return fx.groups.invitations.accept(
          o,
          (await fx.invite(a.userId, { invitations: [{ accessing: 'chat/x' }] })).id,
        )
      },
    },
    {
      name: 'a loop two levels down',
      code: 'LOGIN_ERR_CONFLICT',
      run: async (fx, o) => {
        const a = await fx.admit(o, 'alice', 'chat')
        const b = await fx.admit(a.userId, 'bob', 'chat')
        return fx.join('alice', await fx.invite(b.userId, { invitations: [{ accessing: 'chat' }] }))
      },
    },
    {
      name: 'used up',
      code: 'LOGIN_ERR_INVITATION_GONE',
      run: acceptAfter((fx, _o, link) => fx.join('y', link), { invitees: 1 }),
    },
    {
      name: 'the inviter has no spots left',
      code: 'LOGIN_ERR_INVITATION_GONE',
      run: async (fx, o) => {
        const a = await fx.admit(o, 'alice', 'chat', { plus: 1 })
        const first = await fx.invite(a.userId, { invitees: 1, invitations: [{ accessing: 'chat', plus: 0 }] })
        const second = await fx.invite(a.userId, { invitees: 1, invitations: [{ accessing: 'chat', plus: 0 }] })
        await fx.join('x', first)
        return fx.join('y', second)
      },
    },
    {
      name: 'a depleting ancestor has no places left',
      code: 'LOGIN_ERR_INVITATION_GONE',
      run: async (fx, o) => {
        // alice's depleting invitation has 2 places; she took one, so each of her links may admit 1...
        const a = await fx.admit(o, 'alice', 'chat', { depletes: true }, { invitees: 2 })
        const first = await fx.invite(a.userId, { invitees: 1, invitations: [{ accessing: 'chat', depletes: true }] })
        const second = await fx.invite(a.userId, { invitees: 1, invitations: [{ accessing: 'chat', depletes: true }] })
        await fx.join('x', first)
        // ...but together only 1: the second link still has its place, the level above has none.
        return fx.join('y', second)
      },
    },
    {
      name: 'cancelled',
      code: 'LOGIN_ERR_INVITATION_GONE',
      run: acceptAfter((fx, o, link) => fx.groups.removal.cancel(o, [link.id])),
    },
    {
      name: 'the inviter was removed',
      code: 'LOGIN_ERR_INVITATION_GONE',
      run: async (fx, o) => {
        const a = await fx.admit(o, 'alice', 'chat')
        const link = await fx.invite(a.userId, { invitations: [{ accessing: 'chat' }] })
        await fx.groups.removal.revoke(o, [a.membership.id])
        return fx.join('x', link)
      },
    },
  ]
  for (const c of cases) {
    const fx = groupFixture(t)
    const { ownerId } = await fx.namespace('chat')
    t.equal(await outcome(() => c.run(fx, ownerId)), c.code, c.name)
  }
})

t.test('sequential acceptances stop exactly at the limit', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const link = await fx.invite(ownerId, { invitees: 5, invitations: [{ accessing: 'chat' }] })
  const results: string[] = []
  for (let i = 0; i < 8; i++) results.push(await outcome(() => fx.join(`u${i}`, link)))
  t.same(results, [
    'ok',
    'ok',
    'ok',
    'ok',
    'ok',
    'LOGIN_ERR_INVITATION_GONE',
    'LOGIN_ERR_INVITATION_GONE',
    'LOGIN_ERR_INVITATION_GONE',
  ])
  t.equal((await fx.invitation(link.id)).invitees, 0)
})

t.test('50 acceptances at once take turns: exactly the places left are given', async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  const racers = await Promise.all(Array.from({ length: 50 }, (_, i) => fx.user(`racer${i}`)))
  for (const [name, scenario] of SCENARIOS) {
    const race = await scenario(fx.groups, fx.users, 0, fx.clock.now())
    const outcomes = await Promise.all(
      racers.map((racer, i) => outcome(() => fx.groups.invitations.accept(racer, race.links[i % race.links.length]!))),
    )
    const counts: Record<string, number> = {}
    for (const code of outcomes) counts[code] = (counts[code] ?? 0) + 1
    t.same(counts, { ok: race.admits, LOGIN_ERR_INVITATION_GONE: 50 - race.admits }, name)
  }
})

t.test('a chain is accepted all or nothing', async t => {
  const fx = groupFixture(t)
  await fx.namespace('chat')
  const alice = await fx.user('alice')
  await fx.groups.membership.grant(alice, 'chat/a', { spots: 5 })
  const tight = await fx.groups.membership.grant(alice, 'chat/b', { spots: 1 })
  const chain = await fx.invite(alice, {
    invitees: 1,
    invitations: [
      { accessing: 'chat/a', plus: 0 },
      { accessing: 'chat/b', plus: 0 },
    ],
  })
  // Another link spends chat/b's only spot first.
  await fx.join('first', await fx.invite(alice, { invitees: 1, invitations: [{ accessing: 'chat/b', plus: 0 }] }))
  t.equal((await fx.membership(tight.id)).spots, 0)
  t.equal(await outcome(() => fx.join('bob', chain)), 'LOGIN_ERR_INVITATION_GONE')
  const bob = await fx.user('bob')
  t.notOk(await fx.groups.membership.isMember(bob, 'chat/a'), 'the first group was rolled back')
  t.equal((await fx.invitation(chain.id)).invitees, 1, 'and so was its counter')

  await fx.groups.membership.grant(alice, 'chat/c', { spots: 1 })
  const ok = await fx.invite(alice, {
    invitees: 1,
    invitations: [
      { accessing: 'chat/a', plus: 0 },
      { accessing: 'chat/c', plus: 0 },
    ],
  })
  const accepted = await fx.groups.invitations.accept(bob, ok.code)
  t.same(
    accepted.memberships.map(m => m.path),
    ['chat/a', 'chat/c'],
  )
  t.equal(accepted.link, ok.id)
})

t.test('the access granted: until and spots', async t => {
  const cases: {
    name: string
    inviter?: Record<string, unknown>
    limits: Record<string, unknown>
    until: number | null
  }[] = [
    { name: 'no expiry', limits: {}, until: null },
    { name: 'absolute access_expiration', limits: { access_expiration: T0 + 500 }, until: T0 + 500 },
    { name: 'access_duration from acceptance', limits: { access_duration: 300 }, until: T0 + 10 + 300 },
    {
      name: "never later than the inviter's own until",
      inviter: { until: T0 + 200 },
      limits: { acceptance_expiration: T0 + 100, access_duration: 1000 },
      until: T0 + 200,
    },
    {
      name: "the inviter's until when the invitation has none",
      inviter: { until: T0 + 200 },
      limits: { acceptance_expiration: T0 + 100 },
      until: T0 + 200,
    },
    {
      name: 'an earlier access_expiration wins',
      inviter: { until: T0 + 200 },
      limits: { acceptance_expiration: T0 + 100, access_expiration: T0 + 150 },
      until: T0 + 150,
    },
  ]
  for (const c of cases) {
    const fx = groupFixture(t)
    await fx.namespace('chat')
    const inviter = await fx.user('inviter')
    await fx.groups.membership.grant(inviter, 'chat', { spots: null, ...c.inviter })
    const link = await fx.invite(inviter, { invitations: [{ accessing: 'chat', plus: 3, dos: 4, ...c.limits }] })
    fx.clock.advance(10)
    const { membership } = await fx.join('bob', link)
    t.match(membership, { until: c.until, spots: 3, dos: 4 }, c.name)
  }
})

t.test('describe: what a visitor and the inviter see', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const alice = await fx.admit(ownerId, 'alice', 'chat', { plus: 2 })
  const link = await fx.invite(alice.userId, {
    invitees: 2,
    redirect: '/chat',
    confirm: true,
    invitations: [{ accessing: 'chat/room', plus: 0, acceptance_expiration: T0 + 60 }],
  })
  const visitor = await fx.groups.invitations.describe(link.code, await fx.user('bob'))
  t.match(visitor, {
    id: link.id,
    code: link.code,
    inviter: { name: 'alice', userId: alice.userId },
    placesLeft: 2,
    closed: null,
    viewerIsInviter: false,
    viewerAccepted: false,
  })
  t.match(visitor.invitations, [{ path: 'chat/room', confirm: true, redirect: '/chat', acceptanceExpiration: T0 + 60 }])
  t.equal((await fx.groups.invitations.describe(link.id, alice.userId)).viewerIsInviter, true)
  await fx.join('bob', link)
  t.match(await fx.groups.invitations.describe(link.id, await fx.user('bob')), {
    viewerAccepted: true,
    placesLeft: 1,
  })
  fx.clock.advance(61)
  t.match(await fx.groups.invitations.describe(link.id, null), { closed: 'its acceptance deadline has passed' })
  t.equal(await outcome(() => fx.groups.invitations.describe('nope', null)), 'LOGIN_ERR_NOT_FOUND')
})

t.test('the latest accepted redirect, for a second device', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const bob = await fx.user('bob')
  t.equal(await outcome(() => fx.groups.invitations.latestRedirect(bob)), 'LOGIN_ERR_NOT_FOUND')
  await fx.join('bob', await fx.invite(ownerId, { redirect: '/first', invitations: [{ accessing: 'chat/a' }] }))
  fx.clock.advance(1)
  await fx.join('bob', await fx.invite(ownerId, { redirect: '/second', invitations: [{ accessing: 'chat/b' }] }))
  t.equal(await fx.groups.invitations.latestRedirect(bob), '/second')
  await fx.join('bob', await fx.invite(ownerId, { invitations: [{ accessing: 'chat/c' }] }))
  t.equal(await fx.groups.invitations.latestRedirect(bob), null, 'same second, later row; it had no redirect')
})
