import { join } from 'node:path'
import { validateNext } from '../../src/auth/redirects.js'
import { ManualClock } from '../../src/clock.js'
import { parseInvitationRequest } from '../../src/groups/invitation-request.js'
import type { CreatedLink } from '../../src/groups/invitations.js'
import { createGroupServices, type GroupServices } from '../../src/groups/services.js'
import { openDatabase, type Db } from '../../src/storage/db.js'
import { MembershipStore, type Membership } from '../../src/storage/memberships.js'
import { InvitationStore, type Invitation } from '../../src/storage/invitations.js'
import { RevocationStore } from '../../src/storage/revocations.js'
import { UserStore } from '../../src/storage/users.js'

/** The start of every test's controlled time. */
export const T0 = 1_700_000_000

interface TestLike {
  testdir(): string
  teardown(fn: () => unknown): void
}

export interface GroupFixture {
  db: Db
  clock: ManualClock
  users: UserStore
  revocations: RevocationStore
  groups: GroupServices
  /** How often the services announced committed revocations. */
  announced: () => number
  /** The id of a user signing in with the test provider as `name` (created on first use). */
  user(name: string): string
  /** Creates namespace `path` owned by test user `owner`; answers the owner's id and membership. */
  namespace(path?: string, owner?: string): { ownerId: string; membership: Membership }
  /** Creates an invitation from a JSON body as `POST /login/access/allow` takes it. */
  invite(inviterId: string, body: Record<string, unknown>): CreatedLink
  /** Has the (new or existing) test user `name` accept `link`; answers their id and the membership of the first group. */
  join(name: string, link: CreatedLink | string): { userId: string; membership: Membership }
  /** Shortcut: `inviterId` invites to `path` with `limits`, then `name` accepts. */
  admit(
    inviterId: string,
    name: string,
    path: string,
    limits?: Record<string, unknown>,
    top?: Record<string, unknown>,
  ): { userId: string; membership: Membership }
  membership(id: string): Membership
  invitation(id: string): Invitation
}

/** Group services over a fresh SQLite file in the test's own folder, with a manual clock at T0. */
export function groupFixture(t: TestLike): GroupFixture {
  const db = openDatabase(join(t.testdir(), 'login.sqlite'))
  t.teardown(() => db.close())
  const clock = new ManualClock(T0)
  const users = new UserStore(db)
  const revocations = new RevocationStore(db)
  let announced = 0
  const groups = createGroupServices({
    db,
    clock,
    users,
    revocations,
    checkRedirect: raw => validateNext(raw, { site: 'example.com', allowedHosts: [] }),
    announce: () => {
      announced++
    },
  })
  // A second view of the same file, for asserting stored state.
  const memberships = new MembershipStore(db)
  const invitations = new InvitationStore(db)
  const user = (name: string) => users.ensureForIdentity('test', name, clock.now()).id
  const invite = (inviterId: string, body: Record<string, unknown>) =>
    groups.invitations.create(inviterId, parseInvitationRequest(body))
  const fixture: GroupFixture = {
    db,
    clock,
    users,
    revocations,
    groups,
    announced: () => announced,
    user,
    namespace(path = 'chat', owner = 'owner') {
      const result = groups.tree.ensureNamespace(path, 'test', owner)
      return { ownerId: result.owner.id, membership: result.membership }
    },
    invite,
    join(name, link) {
      const userId = user(name)
      const ref = typeof link === 'string' ? link : link.long
      const accepted = groups.invitations.accept(userId, ref)
      return { userId, membership: accepted.memberships[0]! }
    },
    admit(inviterId, name, path, limits = {}, top = {}) {
      return fixture.join(name, invite(inviterId, { ...top, invitations: [{ accessing: path, ...limits }] }))
    },
    membership(id) {
      const found = memberships.get(id)
      if (!found) throw new Error(`no membership ${id}`)
      return found
    },
    invitation(id) {
      const found = invitations.get(id)
      if (!found) throw new Error(`no invitation ${id}`)
      return found
    },
  }
  return fixture
}

/** The code of the error `fn` throws, or 'ok'. */
export function outcome(fn: () => unknown): string {
  try {
    fn()
    return 'ok'
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string') throw error
    return code
  }
}
