import t from 'tap'
import { randomUUID } from 'node:crypto'
import { groupFixture, outcome, T0, type GroupFixture } from './fixture.js'

/**
 * Creation rules (README, "Limits on sharing"). Each case: the owner of `chat` admits alice
 * through an invitation with `via` limits; then alice (or the owner) asks
 * for `request`. The answer is an error code or 'ok'.
 */
interface World {
  fx: GroupFixture
  ownerId: string
  ownerMembership: string
  alice: string
  aliceMembership: string
}
interface Case {
  name: string
  via?: Record<string, unknown>
  viaTop?: Record<string, unknown>
  as?: 'owner' | 'alice'
  setup?: (w: World) => unknown
  request: (w: World) => Record<string, unknown>
  code: string
}

const item =
  (limits: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  () => ({ ...top, invitations: [{ accessing: 'chat', ...limits }] })

const cases: Case[] = [
  // who may invite, and to what
  { name: 'the owner invites with no limits', as: 'owner', request: item(), code: 'ok' },
  {
    name: 'the owner invites to a subgroup created on demand',
    as: 'owner',
    request: item({ accessing: 'chat/rooms/new' }),
    code: 'ok',
  },
  { name: 'a member with unlimited spots invites', request: item(), code: 'ok' },
  { name: 'a non-member cannot invite', request: item({ accessing: 'elsewhere' }), code: 'LOGIN_ERR_FORBIDDEN' },
  {
    name: 'a member of a subgroup cannot invite to its parent',
    via: { accessing: 'chat/alice' },
    request: item(),
    code: 'LOGIN_ERR_FORBIDDEN',
  },
  {
    name: "inviter must be one of the caller's memberships",
    request: w => ({ invitations: [{ accessing: 'chat', inviter: w.ownerMembership }] }),
    code: 'LOGIN_ERR_FORBIDDEN',
  },
  {
    name: 'inviter unknown',
    request: () => ({ invitations: [{ accessing: 'chat', inviter: randomUUID() }] }),
    code: 'LOGIN_ERR_FORBIDDEN',
  },
  {
    name: 'inviter must grant the group',
    via: { accessing: 'chat/a' },
    request: w => ({ invitations: [{ accessing: 'chat/b', inviter: w.aliceMembership }] }),
    code: 'LOGIN_ERR_FORBIDDEN',
  },
  {
    name: 'inviter given explicitly',
    request: w => ({ invitations: [{ accessing: 'chat/sub', inviter: w.aliceMembership }] }),
    code: 'ok',
  },
  {
    name: 'inviter removed',
    setup: w => w.fx.groups.membership.remove(w.aliceMembership),
    request: w => ({ invitations: [{ accessing: 'chat', inviter: w.aliceMembership }] }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: 'inviter expired',
    via: { access_duration: 10 },
    setup: w => w.fx.clock.advance(10),
    request: w => ({
      invitations: [{ accessing: 'chat', inviter: w.aliceMembership, acceptance_expiration: T0 + 20 }],
    }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: 'no membership left once expired (inviter chosen)',
    via: { access_duration: 10 },
    setup: w => w.fx.clock.advance(10),
    request: item({ acceptance_expiration: T0 + 20 }),
    code: 'LOGIN_ERR_FORBIDDEN',
  },
  { name: 'unknown group id', as: 'owner', request: item({ accessing: randomUUID() }), code: 'LOGIN_ERR_NOT_FOUND' },
  { name: 'malformed path', as: 'owner', request: item({ accessing: 'chat/a b' }), code: 'LOGIN_ERR_BAD_REQUEST' },
  {
    name: 'a group named twice',
    as: 'owner',
    request: () => ({ invitations: [{ accessing: 'chat/a' }, { accessing: 'chat/a' }] }),
    code: 'LOGIN_ERR_BAD_REQUEST',
  },
  {
    name: 'redirect off the site',
    as: 'owner',
    request: item({}, { redirect: 'https://evil.example.net/' }),
    code: 'LOGIN_ERR_BAD_NEXT',
  },
  {
    name: 'redirect on the site',
    as: 'owner',
    request: item({}, { redirect: 'https://app.example.com/chat' }),
    code: 'ok',
  },

  // times
  {
    name: 'acceptance_expiration must be in the future',
    as: 'owner',
    request: item({ acceptance_expiration: T0 }),
    code: 'LOGIN_ERR_BAD_REQUEST',
  },
  {
    name: 'access_expiration must be in the future',
    as: 'owner',
    request: item({ access_expiration: T0 - 1 }),
    code: 'LOGIN_ERR_BAD_REQUEST',
  },
  {
    name: 'access_expiration before acceptance_expiration',
    as: 'owner',
    request: item({ acceptance_expiration: T0 + 100, access_expiration: T0 + 50 }),
    code: 'LOGIN_ERR_BAD_REQUEST',
  },
  {
    name: 'access_expiration equal to acceptance_expiration',
    as: 'owner',
    request: item({ acceptance_expiration: T0 + 100, access_expiration: T0 + 100 }),
    code: 'ok',
  },
  {
    name: 'inviter with until: acceptance_expiration required',
    via: { access_duration: 100 },
    request: item(),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: 'inviter with until: acceptance_expiration within it',
    via: { access_duration: 100 },
    request: item({ acceptance_expiration: T0 + 100 }),
    code: 'ok',
  },
  {
    name: 'inviter with until: acceptance_expiration after it',
    via: { access_duration: 100 },
    request: item({ acceptance_expiration: T0 + 101 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: 'inviter with until: access_expiration after it',
    via: { access_duration: 100 },
    request: item({ acceptance_expiration: T0 + 50, access_expiration: T0 + 101 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: 'inviter with until: access_duration is clamped, not refused',
    via: { access_duration: 100 },
    request: item({ acceptance_expiration: T0 + 50, access_duration: 10_000 }),
    code: 'ok',
  },

  // invitees ≤ admission bound, required when finite
  {
    name: 'finite spots: invitees required',
    via: { plus: 2 },
    request: item({ plus: 0 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  { name: 'finite spots: invitees within', via: { plus: 2 }, request: item({ plus: 0 }, { invitees: 2 }), code: 'ok' },
  {
    name: 'finite spots: invitees beyond',
    via: { plus: 2 },
    request: item({ plus: 0 }, { invitees: 3 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: 'zero spots: cannot admit anyone',
    via: { plus: 0 },
    request: item({ plus: 0 }, { invitees: 1 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: "depleting: bound is the invitation's remaining invitees",
    via: { depletes: true },
    viaTop: { invitees: 3 },
    request: item({ depletes: true }, { invitees: 2 }),
    code: 'ok',
  },
  {
    name: 'depleting: beyond the remaining invitees',
    via: { depletes: true },
    viaTop: { invitees: 3 },
    request: item({ depletes: true }, { invitees: 3 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  {
    name: "non-depleting: the invitation's invitees do not bound",
    viaTop: { invitees: 1 },
    request: item(),
    code: 'ok',
  },

  // plus ≤ spots, required when finite
  {
    name: 'finite spots: plus required',
    via: { plus: 2 },
    request: item({}, { invitees: 1 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  { name: 'finite spots: plus within', via: { plus: 2 }, request: item({ plus: 2 }, { invitees: 1 }), code: 'ok' },
  {
    name: 'finite spots: plus beyond',
    via: { plus: 2 },
    request: item({ plus: 3 }, { invitees: 1 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },

  // deauthorizes ≤ the inviter's power
  { name: 'power 0 cannot give power 1', request: item({ deauthorizes: 1 }), code: 'LOGIN_ERR_INVITATION_LIMIT' },
  { name: 'power 1 can give power 1', via: { deauthorizes: 1 }, request: item({ deauthorizes: 1 }), code: 'ok' },
  {
    name: 'power 1 cannot give power 2',
    via: { deauthorizes: 1 },
    request: item({ deauthorizes: 2 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  { name: 'the owner can give power 2', as: 'owner', request: item({ deauthorizes: 2 }), code: 'ok' },

  // depletes is inherited
  {
    name: 'depleting inviter: must deplete',
    via: { depletes: true },
    viaTop: { invitees: 3 },
    request: item({}, { invitees: 1 }),
    code: 'LOGIN_ERR_INVITATION_LIMIT',
  },
  { name: 'non-depleting inviter may deplete', request: item({ depletes: true }, { invitees: 1 }), code: 'ok' },

  // degrees of separation
  { name: 'dos 1: cannot invite at all', via: { dos: 1 }, request: item({}), code: 'LOGIN_ERR_INVITATION_LIMIT' },
  { name: 'dos 2: dos required', via: { dos: 2 }, request: item({}), code: 'LOGIN_ERR_INVITATION_LIMIT' },
  { name: 'dos 2: dos 1 allowed', via: { dos: 2 }, request: item({ dos: 1 }), code: 'ok' },
  { name: 'dos 2: dos 2 refused', via: { dos: 2 }, request: item({ dos: 2 }), code: 'LOGIN_ERR_INVITATION_LIMIT' },
  { name: 'unlimited dos: any dos', request: item({ dos: 7 }), code: 'ok' },

  // chains
  {
    name: 'chain: every group checked',
    request: () => ({ invitations: [{ accessing: 'chat/a' }, { accessing: 'elsewhere' }] }),
    code: 'LOGIN_ERR_FORBIDDEN',
  },
  {
    name: 'chain: several groups',
    as: 'owner',
    request: () => ({ invitations: [{ accessing: 'chat/a' }, { accessing: 'chat/b' }] }),
    code: 'ok',
  },
]

t.test('creation rules', async t => {
  for (const c of cases) {
    const fx = groupFixture(t)
    const owner = await fx.namespace('chat')
    await fx.groups.tree.ensurePath('elsewhere', null, T0)
    const admitted = await fx.admit(
      owner.ownerId,
      'alice',
      (c.via?.accessing as string | undefined) ?? 'chat',
      { ...c.via },
      c.viaTop,
    )
    const w: World = {
      fx,
      ownerId: owner.ownerId,
      ownerMembership: owner.membership.id,
      alice: admitted.userId,
      aliceMembership: admitted.membership.id,
    }
    await c.setup?.(w)
    const caller = c.as === 'owner' ? w.ownerId : w.alice
    t.equal(await outcome(() => fx.invite(caller, c.request(w))), c.code, c.name)
  }
})

t.test('a refused chain creates nothing, not even groups', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  t.equal(
    await outcome(() =>
      fx.invite(ownerId, { invitations: [{ accessing: 'chat/new' }, { accessing: 'chat', deauthorizes: 5 }] }),
    ),
    'LOGIN_ERR_BAD_REQUEST',
  )
  t.equal(
    await outcome(() => fx.invite(ownerId, { invitations: [{ accessing: 'chat/new' }, { accessing: 'other' }] })),
    'LOGIN_ERR_FORBIDDEN',
  )
  t.equal(await fx.groups.tree.find('chat/new'), undefined)
  t.same(await fx.groups.removal.cancellable(ownerId), [])
})

t.test('the inviter is chosen by the largest admission bound', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const alice = await fx.user('alice')
  const narrow = await fx.groups.membership.grant(alice, 'chat', { spots: 1 })
  const wide = await fx.groups.membership.grant(alice, 'chat/room', { spots: 5 })
  await fx.groups.membership.grant(alice, 'chat/room/sub', { spots: null, dos: 1 })
  const link = await fx.invite(alice, { invitees: 3, invitations: [{ accessing: 'chat/room/sub', plus: 0 }] })
  t.equal(link.invitations[0]!.inviterId, wide.id, 'spots 5 beats spots 1; a membership that cannot invite is skipped')
  t.equal(
    await outcome(() => fx.invite(alice, { invitees: 3, invitations: [{ accessing: 'chat', plus: 0 }] })),
    'LOGIN_ERR_INVITATION_LIMIT',
    'only the narrow one grants chat',
  )
  t.equal(
    (await fx.invite(alice, { invitees: 1, invitations: [{ accessing: 'chat', plus: 0 }] })).invitations[0]!.inviterId,
    narrow.id,
  )
  t.ok(ownerId)
})

t.test('what is stored and logged', async t => {
  const fx = groupFixture(t)
  const { ownerId, membership } = await fx.namespace('chat')
  const link = await fx.invite(ownerId, {
    invitees: 4,
    redirect: '/chat',
    confirm: true,
    invitations: [
      {
        accessing: 'chat/a',
        acceptance_expiration: T0 + 60,
        access_duration: 3600,
        plus: 1,
        depletes: true,
        dos: 2,
        deauthorizes: 1,
      },
      { accessing: 'chat/b' },
    ],
  })
  t.equal(link.id, link.invitations[0]!.id, 'the link is the first invitation')
  t.equal(link.code.length, 22)
  t.match(link.invitations, [
    {
      chainId: link.id,
      position: 0,
      inviterId: membership.id,
      path: 'chat/a',
      invitees: 4,
      acceptanceExpiration: T0 + 60,
      accessDuration: 3600,
      plus: 1,
      depletes: true,
      dos: 2,
      deauthorizes: 1,
      redirect: '/chat',
      confirm: true,
      active: true,
    },
    {
      chainId: link.id,
      position: 1,
      path: 'chat/b',
      invitees: 4,
      plus: null,
      depletes: false,
      dos: null,
      deauthorizes: 0,
    },
  ])
  const log = await fx.groups.events.read(ownerId, 'chat')
  t.match(
    log.filter(e => e.kind === 'invitation_created'),
    [
      { path: 'chat/b', actorId: ownerId, invitationId: link.invitations[1]!.id },
      { path: 'chat/a', actorId: ownerId, invitationId: link.id, detail: { link: link.id, invitees: 4, plus: 1 } },
    ],
  )
})
