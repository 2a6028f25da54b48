import { join } from 'node:path'
import { validateNext } from '../../src/redirects.js'
import { ManualClock } from '../../src/clock.js'
import { parseInvitationRequest } from '../../src/groups/invitation-request.js'
import type { CreatedLink } from '../../src/groups/invitations.js'
import { createGroupServices, type GroupServices } from '../../src/groups/services.js'
import type { Database, Sql } from '../../src/storage/database.js'
import { MembershipStore, type Membership } from '../../src/storage/memberships.js'
import { InvitationStore, type Invitation } from '../../src/storage/invitations.js'
import { RevocationStore } from '../../src/storage/revocations.js'
import { SqliteDatabase } from '../../src/storage/sqlite.js'
import { UserStore } from '../../src/storage/users.js'
import type { Teardown } from '../helpers/teardown.js'

/** The start of every test's controlled time. */
export const T0 = 1_700_000_000

interface TestLike extends Teardown {
  testdir(): string
}

export interface GroupFixture {
  db: Database
  clock: ManualClock
  users: UserStore
  revocations: RevocationStore
  groups: GroupServices
  /** How often the services announced committed revocations. */
  announced: () => number
  /** How many SQL statements have been run so far (through `db`, which the services use). */
  statements: () => number
  /** The id of a user signing in with the test provider as `name` (created on first use). */
  user(name: string): Promise<string>
  /** Creates namespace `path` owned by test user `owner`; answers the owner's id and membership. */
  namespace(path?: string, owner?: string): Promise<{ ownerId: string; membership: Membership }>
  /** Creates an invitation from a JSON body as `POST /login/access/allow` takes it. */
  invite(inviterId: string, body: Record<string, unknown>): Promise<CreatedLink>
  /** Has the (new or existing) test user `name` accept `link`; answers their id and the membership of the first group. */
  join(name: string, link: CreatedLink | string): Promise<{ userId: string; membership: Membership }>
  /** Shortcut: `inviterId` invites to `path` with `limits`, then `name` accepts. */
  admit(
    inviterId: string,
    name: string,
    path: string,
    limits?: Record<string, unknown>,
    top?: Record<string, unknown>,
  ): Promise<{ userId: string; membership: Membership }>
  membership(id: string): Promise<Membership>
  invitation(id: string): Promise<Invitation>
}

/** The same database, counting every statement run through its `sql`. */
function counting(database: Database, count: () => void): Database {
  const counted = (sql: Sql): Sql => ({
    all: (text, params) => (count(), sql.all(text, params)),
    one: (text, params) => (count(), sql.one(text, params)),
    run: (text, params) => (count(), sql.run(text, params)),
  })
  return new Proxy(database, {
    get(target, key) {
      if (key === 'sql') return counted(target.sql)
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Group services over a fresh SQLite file in the test's own folder, with a manual clock at T0. */
export function groupFixture(t: TestLike): GroupFixture {
  const file = new SqliteDatabase(join(t.testdir(), 'login.sqlite'))
  t.teardown(() => file.close())
  let statements = 0
  const db = counting(file, () => statements++)
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
    announce: async () => {
      announced++
    },
  })
  // A second view of the same file, for asserting stored state.
  const memberships = new MembershipStore(db)
  const invitations = new InvitationStore(db)
  const user = async (name: string) => (await users.ensureForIdentity('test', name, clock.now())).id
  const invite = (inviterId: string, body: Record<string, unknown>) =>
    groups.invitations.create(inviterId, parseInvitationRequest(body))
  const fixture: GroupFixture = {
    db,
    clock,
    users,
    revocations,
    groups,
    announced: () => announced,
    statements: () => statements,
    user,
    async namespace(path = 'chat', owner = 'owner') {
      const result = await groups.tree.ensureNamespace(path, 'test', owner)
      return { ownerId: result.owner.id, membership: result.membership }
    },
    invite,
    async join(name, link) {
      const userId = await user(name)
      const ref = typeof link === 'string' ? link : link.id
      const accepted = await groups.invitations.accept(userId, ref)
      return { userId, membership: accepted.memberships[0]! }
    },
    async admit(inviterId, name, path, limits = {}, top = {}) {
      return fixture.join(name, await invite(inviterId, { ...top, invitations: [{ accessing: path, ...limits }] }))
    },
    async membership(id) {
      const found = await memberships.get(id)
      if (!found) throw new Error(`no membership ${id}`)
      return found
    },
    async invitation(id) {
      const found = await invitations.get(id)
      if (!found) throw new Error(`no invitation ${id}`)
      return found
    },
  }
  return fixture
}

/** The code of the error `fn` throws (or rejects with), or 'ok'. */
export async function outcome(fn: () => unknown): Promise<string> {
  try {
    await fn()
    return 'ok'
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string') throw error
    return code
  }
}
