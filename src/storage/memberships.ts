import type { Statement } from 'better-sqlite3'
import type { Db } from './db.js'
import { invitationColumns, toInvitation, type Invitation, type InvitationRow } from './invitations.js'

/** A user's membership of a group (SPEC §3). */
export interface Membership {
  id: string
  userId: string
  groupId: string
  path: string
  /** The invitation it came through; null for owners and direct grants. */
  invitationId: string | null
  /** Access ends at this time; null = never. */
  until: number | null
  /** How many people this member may still admit; null = unlimited. */
  spots: number | null
  deauthorizes: number
  /** Degrees of separation left to invitations this member creates; null = unlimited. */
  dos: number | null
  /** An owner of the group (and so of everything below it): protected from delegates' removal. */
  owner: boolean
  active: boolean
  created: number
}

/** A membership with its member's display name, for listings. */
export interface MemberView extends Membership {
  userName: string
}

/** One level of the inviter chain: a membership and the invitation it came through. */
export interface LineageLevel {
  membership: Membership
  invitation: Invitation | null
}

export type NewMembership = Omit<Membership, 'path' | 'active'>

type MembershipRow = Omit<Membership, 'active' | 'owner'> & { active: number; owner: number }

const COLUMNS = `m.id AS id, m.user_id AS userId, m.group_id AS groupId, g.path AS path, m.invitation_id AS invitationId,
  m.until AS until, m.spots AS spots, m.deauthorizes AS deauthorizes, m.dos AS dos, m.owner AS owner, m.active AS active,
  m.created AS created`
const SELECT = `SELECT ${COLUMNS} FROM memberships m JOIN groups g ON g.id = m.group_id`
const SELECT_VIEW = `SELECT ${COLUMNS}, u.name AS userName
  FROM memberships m JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id`
const CURRENT = 'm.active = 1 AND (m.until IS NULL OR m.until > @now)'
// Inviter chains are short; the bound only stops a corrupted (cyclic) table from looping forever.
const MAX_CHAIN = 10_000

function toMembership(row: MembershipRow): Membership {
  return { ...row, owner: row.owner === 1, active: row.active === 1 }
}

function placeholders(n: number, style: '@' | '?'): string {
  return Array.from({ length: n }, (_, i) => (style === '?' ? '?' : `@p${i}`)).join(', ')
}

function listParameters(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((v, i) => [`p${i}`, v]))
}

/** Statements whose IN list has one placeholder per ancestor, prepared once per depth. */
class PerDepth<T> {
  private readonly prepared = new Map<number, Statement<unknown[], T>>()
  constructor(
    private readonly db: Db,
    private readonly sql: (inList: string) => string,
    private readonly pluck = false,
    private readonly style: '@' | '?' = '@',
  ) {}

  for(depth: number): Statement<unknown[], T> {
    let statement = this.prepared.get(depth)
    if (!statement) {
      statement = this.db.prepare<unknown[], T>(this.sql(placeholders(depth, this.style)))
      if (this.pluck) statement.pluck()
      this.prepared.set(depth, statement)
    }
    return statement
  }
}

/** Memberships and the walks along their inviter chains. */
export class MembershipStore {
  private readonly byId
  private readonly insertMembership
  private readonly deactivateOne
  private readonly decrement
  private readonly currentOfUser
  private readonly activeOfUser
  private readonly ownerOf
  private readonly lineageOf
  private readonly descendantsOf
  private readonly currentInRange
  private readonly held
  private readonly power
  private readonly grantingIn
  private readonly ownersIn

  constructor(db: Db) {
    this.byId = db.prepare<[string], MembershipRow>(`${SELECT} WHERE m.id = ?`)
    this.insertMembership = db.prepare(
      `INSERT INTO memberships (id, user_id, group_id, invitation_id, until, spots, deauthorizes, dos, owner, created)
       VALUES (@id, @userId, @groupId, @invitationId, @until, @spots, @deauthorizes, @dos, @owner, @created)`,
    )
    this.deactivateOne = db.prepare('UPDATE memberships SET active = 0, ended = ? WHERE id = ? AND active = 1')
    this.decrement = db.prepare('UPDATE memberships SET spots = spots - 1 WHERE id = ? AND spots > 0')
    this.currentOfUser = db.prepare<[{ userId: string; now: number }], MembershipRow>(
      `${SELECT} WHERE m.user_id = @userId AND ${CURRENT} ORDER BY g.path, m.created`,
    )
    this.activeOfUser = db.prepare<[string], MembershipRow>(`${SELECT} WHERE m.user_id = ? AND m.active = 1`)
    this.ownerOf = db.prepare<[string, string], MembershipRow>(
      `${SELECT} WHERE m.user_id = ? AND m.group_id = ? AND m.active = 1 AND m.owner = 1`,
    )
    this.lineageOf = db.prepare<[string, number], MembershipRow & Record<string, unknown>>(
      `WITH RECURSIVE up(id, depth) AS (
         SELECT ?, 0
         UNION ALL
         SELECT i.inviter_id, up.depth + 1 FROM up
           JOIN memberships m ON m.id = up.id
           JOIN invitations i ON i.id = m.invitation_id
         WHERE i.inviter_id IS NOT NULL AND up.depth < ?
       )
       SELECT ${COLUMNS}, ${invitationColumns('i_')}
       FROM up JOIN memberships m ON m.id = up.id JOIN groups g ON g.id = m.group_id
       LEFT JOIN invitations i ON i.id = m.invitation_id LEFT JOIN groups ig ON ig.id = i.group_id
       ORDER BY up.depth`,
    )
    this.descendantsOf = db.prepare<[{ id: string; now: number; max: number }], MembershipRow & { userName: string }>(
      `WITH RECURSIVE down(id, depth) AS (
         SELECT @id, 0
         UNION ALL
         SELECT m.id, down.depth + 1 FROM down
           JOIN invitations i ON i.inviter_id = down.id
           JOIN memberships m ON m.invitation_id = i.id
         WHERE down.depth < @max
       )
       SELECT ${COLUMNS}, u.name AS userName
       FROM down JOIN memberships m ON m.id = down.id JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
       WHERE down.depth > 0 AND ${CURRENT}`,
    )
    this.currentInRange = db.prepare<
      [{ path: string; from: string; to: string; now: number }],
      MembershipRow & { userName: string }
    >(`${SELECT_VIEW} WHERE (g.path = @path OR (g.path >= @from AND g.path < @to)) AND ${CURRENT}`)
    // Positional parameters: this is the hot path, and building a named-parameter object costs more than the seek.
    this.held = new PerDepth<number>(
      db,
      inList =>
        `SELECT EXISTS (SELECT 1 FROM memberships m
         WHERE m.user_id = ? AND m.group_id IN (${inList}) AND m.active = 1 AND (m.until IS NULL OR m.until > ?))`,
      true,
      '?',
    )
    this.power = new PerDepth<number | null>(
      db,
      inList =>
        `SELECT MAX(m.deauthorizes) FROM groups g JOIN memberships m ON m.group_id = g.id
       WHERE g.path IN (${inList}) AND m.user_id = @userId AND ${CURRENT}`,
      true,
    )
    this.grantingIn = new PerDepth<MembershipRow>(
      db,
      inList =>
        `${SELECT} WHERE g.path IN (${inList}) AND m.user_id = @userId AND ${CURRENT} ORDER BY g.path, m.created`,
    )
    this.ownersIn = new PerDepth<MembershipRow>(
      db,
      inList => `${SELECT} WHERE g.path IN (${inList}) AND m.owner = 1 AND ${CURRENT} ORDER BY g.path, m.created`,
    )
  }

  get(id: string): Membership | undefined {
    const row = this.byId.get(id)
    return row && toMembership(row)
  }

  insert(membership: NewMembership): void {
    this.insertMembership.run({ ...membership, owner: membership.owner ? 1 : 0 })
  }

  /** Marks it inactive; answers whether it was active. */
  deactivate(id: string, now: number): boolean {
    return this.deactivateOne.run(now, id).changes > 0
  }

  /** One admission fewer left (no-op when unlimited). */
  consumeSpot(id: string): void {
    this.decrement.run(id)
  }

  /** Active, unexpired memberships of a user, by path. */
  currentOf(userId: string, now: number): Membership[] {
    return this.currentOfUser.all({ userId, now }).map(toMembership)
  }

  /** Every active membership of a user, expired or not. */
  activeOf(userId: string): Membership[] {
    return this.activeOfUser.all(userId).map(toMembership)
  }

  /** The user's active owner membership of exactly this group, if any. */
  ownerMembership(userId: string, groupId: string): Membership | undefined {
    const row = this.ownerOf.get(userId, groupId)
    return row && toMembership(row)
  }

  /**
   * Whether the user holds an active, unexpired membership in one of the
   * groups `groupIds` (a group and its ancestors): one statement, one seek
   * per group in the covering index `memberships_check`.
   */
  holdsAny(userId: string, groupIds: readonly string[], now: number): boolean {
    return this.held.for(groupIds.length).get(userId, ...groupIds, now) === 1
  }

  /** The highest `deauthorizes` among the user's current memberships in `ancestors`; null when none. */
  highestPower(userId: string, ancestors: readonly string[], now: number): number | null {
    return this.power.for(ancestors.length).get({ ...listParameters(ancestors), userId, now }) ?? null
  }

  /** The current owner memberships of the groups at `ancestors` (a group and its ancestors): who owns it. */
  owners(ancestors: readonly string[], now: number): Membership[] {
    return this.ownersIn
      .for(ancestors.length)
      .all({ ...listParameters(ancestors), now })
      .map(toMembership)
  }

  /** The user's current memberships in any of `ancestors`, i.e. those that grant the group. */
  granting(userId: string, ancestors: readonly string[], now: number): Membership[] {
    return this.grantingIn
      .for(ancestors.length)
      .all({ ...listParameters(ancestors), userId, now })
      .map(toMembership)
  }

  /**
   * The inviter chain from a membership upwards: the membership and its
   * invitation, the membership that created that invitation, and so on to
   * a membership without one (an owner or a direct grant).
   */
  lineage(id: string): LineageLevel[] {
    return this.lineageOf.all(id, MAX_CHAIN).map(row => {
      const membership: Record<string, unknown> = {}
      const invitation: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(row)) {
        if (key.startsWith('i_')) invitation[key.slice(2)] = value
        else membership[key] = value
      }
      return {
        membership: toMembership(membership as MembershipRow),
        invitation: invitation.id == null ? null : toInvitation(invitation as InvitationRow),
      }
    })
  }

  /** Current memberships admitted below this one, through its invitations and theirs, transitively. */
  currentDescendants(id: string, now: number): MemberView[] {
    return this.descendantsOf
      .all({ id, now, max: MAX_CHAIN })
      .map(row => ({ ...toMembership(row), userName: row.userName }))
  }

  /** Current memberships of the group at `path` and of its subgroups (`below` from `descendantRange`). */
  currentWithin(path: string, below: [string, string], now: number): MemberView[] {
    return this.currentInRange
      .all({ path, from: below[0], to: below[1], now })
      .map(row => ({ ...toMembership(row), userName: row.userName }))
  }
}
