import t from 'tap'
import { randomUUID } from 'node:crypto'
import { groupFixture, outcome, T0, type GroupFixture } from './fixture.js'

/**
 * Creation rules (docs/access-groups.md, "Limits on sharing"). Each case: the owner of `chat` admits alice
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

type Fields = Record<string, unknown>

/** A request for one invitation to `chat` with these limits (or limits made from the world) and link fields `top`. */
const item =
  (limits: Fields | ((w: World) => Fields) = {}, top: Fields = {}) =>
  (w: World) => ({
    ...top,
    invitations: [{ accessing: 'chat', ...(typeof limits === 'function' ? limits(w) : limits) }],
  })

/** A request for a chain of invitations to `paths`, with no limits. */
const chain =
  (...paths: string[]) =>
  () => ({ invitations: paths.map(accessing => ({ accessing })) })

/** Cases that differ only in their request and outcome; `shared` holds the rest, `section` starts their names. */
const alike = (
  shared: Omit<Case, 'name' | 'request' | 'code'>,
  rows: [string, Case['request'], string][],
  section = '',
) =>
  rows.map(([name, request, code]): Case => ({
    ...shared,
    name: section ? `${section}: ${name}` : name,
    request,
    code,
  }))

const OK = 'ok'
const FORBIDDEN = 'LOGIN_ERR_FORBIDDEN'
const LIMIT = 'LOGIN_ERR_INVITATION_LIMIT'
const BAD = 'LOGIN_ERR_BAD_REQUEST'

const cases: Case[] = [
  // who may invite, and to what
  ...alike({ as: 'owner' }, [
    ['the owner invites with no limits', item(), OK],
    ['the owner invites to a subgroup created on demand', item({ accessing: 'chat/rooms/new' }), OK],
  ]),
  { name: 'a member with unlimited spots invites', request: item(), code: OK },
  { name: 'a non-member cannot invite', request: item({ accessing: 'elsewhere' }), code: FORBIDDEN },
  {
    name: 'a member of a subgroup cannot invite to its parent',
    via: { accessing: 'chat/alice' },
    request: item(),
    code: FORBIDDEN,
  },
  ...alike({}, [
    ["inviter must be one of the caller's memberships", item(w => ({ inviter: w.ownerMembership })), FORBIDDEN],
    ['inviter unknown', item({ inviter: randomUUID() }), FORBIDDEN],
  ]),
  {
    name: 'inviter must grant the group',
    via: { accessing: 'chat/a' },
    request: item(w => ({ accessing: 'chat/b', inviter: w.aliceMembership })),
    code: FORBIDDEN,
  },
  {
    name: 'inviter given explicitly',
    request: item(w => ({ accessing: 'chat/sub', inviter: w.aliceMembership })),
    code: OK,
  },
  {
    name: 'inviter removed',
    setup: w => w.fx.groups.membership.remove(w.aliceMembership),
    request: item(w => ({ inviter: w.aliceMembership })),
    code: LIMIT,
  },
  ...alike({ via: { access_duration: 10 }, setup: w => w.fx.clock.advance(10) }, [
    ['inviter expired', item(w => ({ inviter: w.aliceMembership, acceptance_expiration: T0 + 20 })), LIMIT],
    ['no membership left once expired (inviter chosen)', item({ acceptance_expiration: T0 + 20 }), FORBIDDEN],
  ]),
  ...alike({ as: 'owner' }, [
    ['unknown group id', item({ accessing: randomUUID() }), 'LOGIN_ERR_NOT_FOUND'],
    ['malformed path', item({ accessing: 'chat/a b' }), BAD],
    ['a group named twice', chain('chat/a', 'chat/a'), BAD],
    ['redirect off the site', item({}, { redirect: 'https://evil.example.net/' }), 'LOGIN_ERR_BAD_NEXT'],
    ['redirect on the site', item({}, { redirect: 'https://app.example.com/chat' }), OK],
  ]),

  // times
  ...alike({ as: 'owner' }, [
    ['acceptance_expiration must be in the future', item({ acceptance_expiration: T0 }), BAD],
    ['access_expiration must be in the future', item({ access_expiration: T0 - 1 }), BAD],
    [
      'access_expiration before acceptance_expiration',
      item({ acceptance_expiration: T0 + 100, access_expiration: T0 + 50 }),
      BAD,
    ],
    [
      'access_expiration equal to acceptance_expiration',
      item({ acceptance_expiration: T0 + 100, access_expiration: T0 + 100 }),
      OK,
    ],
  ]),
  ...alike(
    { via: { access_duration: 100 } },
    [
      ['acceptance_expiration required', item(), LIMIT],
      ['acceptance_expiration within it', item({ acceptance_expiration: T0 + 100 }), OK],
      ['acceptance_expiration after it', item({ acceptance_expiration: T0 + 101 }), LIMIT],
      ['access_expiration after it', item({ acceptance_expiration: T0 + 50, access_expiration: T0 + 101 }), LIMIT],
      [
        'access_duration is clamped, not refused',
        item({ acceptance_expiration: T0 + 50, access_duration: 10_000 }),
        OK,
      ],
    ],
    'inviter with until',
  ),

  // invitees ≤ admission bound, required when finite
  ...alike(
    { via: { plus: 2 } },
    [
      ['invitees required', item({ plus: 0 }), LIMIT],
      ['invitees within', item({ plus: 0 }, { invitees: 2 }), OK],
      ['invitees beyond', item({ plus: 0 }, { invitees: 3 }), LIMIT],
    ],
    'finite spots',
  ),
  {
    name: 'zero spots: cannot admit anyone',
    via: { plus: 0 },
    request: item({ plus: 0 }, { invitees: 1 }),
    code: LIMIT,
  },
  ...alike({ via: { depletes: true }, viaTop: { invitees: 3 } }, [
    ["depleting: bound is the invitation's remaining invitees", item({ depletes: true }, { invitees: 2 }), OK],
    ['depleting: beyond the remaining invitees', item({ depletes: true }, { invitees: 3 }), LIMIT],
  ]),
  { name: "non-depleting: the invitation's invitees do not bound", viaTop: { invitees: 1 }, request: item(), code: OK },

  // plus ≤ spots, required when finite
  ...alike(
    { via: { plus: 2 } },
    [
      ['plus required', item({}, { invitees: 1 }), LIMIT],
      ['plus within', item({ plus: 2 }, { invitees: 1 }), OK],
      ['plus beyond', item({ plus: 3 }, { invitees: 1 }), LIMIT],
    ],
    'finite spots',
  ),

  // deauthorizes ≤ the inviter's power
  { name: 'power 0 cannot give power 1', request: item({ deauthorizes: 1 }), code: LIMIT },
  ...alike({ via: { deauthorizes: 1 } }, [
    ['power 1 can give power 1', item({ deauthorizes: 1 }), OK],
    ['power 1 cannot give power 2', item({ deauthorizes: 2 }), LIMIT],
  ]),
  { name: 'the owner can give power 2', as: 'owner', request: item({ deauthorizes: 2 }), code: OK },

  // depletes is inherited
  ...alike({ via: { depletes: true }, viaTop: { invitees: 3 } }, [
    ['depleting inviter: must deplete', item({}, { invitees: 1 }), LIMIT],
  ]),
  { name: 'non-depleting inviter may deplete', request: item({ depletes: true }, { invitees: 1 }), code: OK },

  // degrees of separation
  { name: 'dos 1: cannot invite at all', via: { dos: 1 }, request: item({}), code: LIMIT },
  { name: 'dos 2: dos required', via: { dos: 2 }, request: item({}), code: LIMIT },
  { name: 'dos 2: dos 1 allowed', via: { dos: 2 }, request: item({ dos: 1 }), code: OK },
  { name: 'dos 2: dos 2 refused', via: { dos: 2 }, request: item({ dos: 2 }), code: LIMIT },
  { name: 'unlimited dos: any dos', request: item({ dos: 7 }), code: OK },

  // chains
  { name: 'chain: every group checked', request: chain('chat/a', 'elsewhere'), code: FORBIDDEN },
  { name: 'chain: several groups', as: 'owner', request: chain('chat/a', 'chat/b'), code: OK },
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
