import t from 'tap'
import { groupFixture, type GroupFixture } from './fixture.js'

/**
 * Admission bound (docs/access-groups.md, "Limits on sharing"): walk up from a membership; take each level's
 * spots, and for a level that joined through a depleting invitation also
 * that invitation's remaining invitees and go on; stop at the first level
 * that joined otherwise. Each case builds a chain and names the bound of
 * its last member.
 */
interface Step {
  top?: Record<string, unknown>
  limits?: Record<string, unknown>
}
const cases: { name: string; grant?: Record<string, unknown>; chain: Step[]; side?: number; bound: number | null }[] = [
  { name: 'owner', chain: [], bound: null },
  { name: 'non-depleting, unlimited plus', chain: [{}], bound: null },
  { name: 'non-depleting, plus 3', chain: [{ limits: { plus: 3 } }], bound: 3 },
  {
    name: "non-depleting: the invitation's invitees do not count",
    chain: [{ top: { invitees: 2 }, limits: { plus: 7 } }],
    bound: 7,
  },
  {
    name: "depleting: the invitation's remaining invitees count",
    chain: [{ top: { invitees: 5 }, limits: { depletes: true } }],
    bound: 4,
  },
  {
    name: 'depleting: own spots when lower',
    chain: [{ top: { invitees: 5 }, limits: { depletes: true, plus: 2 } }],
    bound: 2,
  },
  {
    name: "depleting: continues to the inviter's spots",
    grant: { spots: 3 },
    chain: [{ top: { invitees: 3 }, limits: { depletes: true, plus: 3 } }],
    // the inviter admits one more person through another link: spots 3−2=1 < the invitation's 3−1=2 < own spots 3
    side: 1,
    bound: 1,
  },
  {
    name: "non-depleting: stops before the inviter's spots",
    grant: { spots: 2 },
    chain: [{ top: { invitees: 1 }, limits: { plus: 0 } }],
    bound: 0,
  },
  {
    name: 'two depleting levels: the least of everything walked',
    chain: [
      { top: { invitees: 10 }, limits: { depletes: true, plus: 6 } },
      { top: { invitees: 3 }, limits: { depletes: true, plus: 5 } },
    ],
    // B: spots 5, invitation 3−1=2; A: spots 6−1=5, invitation 10−2=8; owner: unlimited
    bound: 2,
  },
  {
    name: 'a non-depleting level above a depleting one ends the walk there',
    grant: { spots: 5 },
    chain: [
      { top: { invitees: 1 }, limits: { plus: 2 } },
      { top: { invitees: 2 }, limits: { depletes: true, plus: 2 } },
    ],
    // B: spots 2, invitation 2−1=1; A (joined without depletion): spots 2−1=1; stop before
    // the granted inviter, whose spots the side admissions bring to 0
    side: 4,
    bound: 1,
  },
]

async function build(
  fx: GroupFixture,
  grant: Record<string, unknown> | undefined,
  chain: Step[],
  side = 0,
): Promise<string> {
  const { ownerId, membership } = await fx.namespace('chat')
  let inviter = ownerId
  let last = membership.id
  if (grant) {
    inviter = await fx.user('granted')
    last = (await fx.groups.membership.grant(inviter, 'chat', grant)).id
  }
  const first = inviter
  for (const [i, step] of chain.entries()) {
    const joined = await fx.admit(inviter, `member${i}`, 'chat', step.limits, step.top)
    inviter = joined.userId
    last = joined.membership.id
  }
  for (let i = 0; i < side; i++) await fx.admit(first, `side${i}`, 'chat/side', { plus: 0 }, { invitees: 1 })
  return last
}

t.test('admission bound', async t => {
  for (const c of cases) {
    const fx = groupFixture(t)
    const last = await build(fx, c.grant, c.chain, c.side)
    t.equal(await fx.groups.invitations.admissionBound(last), c.bound, c.name)
  }
})

t.test('the invite listing shows each bound and the limits', async t => {
  const fx = groupFixture(t)
  const { ownerId } = await fx.namespace('chat')
  const alice = await fx.admit(
    ownerId,
    'alice',
    'chat',
    { depletes: true, plus: 2, dos: 3, deauthorizes: 1, access_duration: 100 },
    { invitees: 5 },
  )
  await fx.groups.tree.ensurePath('chat/rooms/a', null, fx.clock.now())
  const [listed] = await fx.groups.invitations.invitable(alice.userId)
  t.match(listed, {
    membership: { id: alice.membership.id, path: 'chat' },
    limits: { invitees: 2, plus: 2, deauthorizes: 1, dos: 2, depletes: true, expiration: fx.clock.now() + 100 },
  })
  t.same(
    listed!.subgroups.map(g => g.path),
    ['chat/rooms', 'chat/rooms/a'],
  )
  t.equal((await fx.groups.invitations.invitable(alice.userId, 'chat/rooms/a')).length, 1, 'filtered by a group below')
  t.equal((await fx.groups.invitations.invitable(alice.userId, 'other')).length, 0)
  const bob = await fx.admit(
    alice.userId,
    'bob',
    'chat',
    { depletes: true, plus: 0, dos: 1, acceptance_expiration: fx.clock.now() + 50 },
    { invitees: 1 },
  )
  t.equal((await fx.groups.invitations.invitable(bob.userId)).length, 0, 'dos 1 cannot invite: not listed')
})
