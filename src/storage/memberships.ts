import type { Database } from './database.js'
import { marks } from './in-list.js'
import { invitationColumns, toInvitation, type Invitation, type InvitationRow } from './invitations.js'

/** A user's membership of a group (docs/access-groups.md, "Access groups"). */
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
  /** The app that granted it (a `grant`, or an owner it ensured); null when no app did. */
  appId: string | null
  active: boolean
  created: number
}

/** A membership an app granted, with the app's name (null when the app was removed since). */
export interface AppGrant extends Membership {
  appName: string | null
}

/** A membership with its member's display name, for listings. */
export interface MemberView extends Membership {
  userName: string
  /** Who admitted them: the name behind the membership that created their invitation (null: none, or deleted). */
  inviterName: string | null
}

/** One level of the inviter chain: a membership and the invitation it came through. */
export interface LineageLevel {
  membership: Membership
  invitation: Invitation | null
}

export type NewMembership = Omit<Membership, 'path' | 'active'>

type MembershipRow = Omit<Membership, 'active' | 'owner'> & { active: number; owner: number }
type ViewRow = MembershipRow & { userName: string; inviterName: string | null }

const COLUMNS = `m.id AS id, m.user_id AS "userId", m.group_id AS "groupId", g.path AS path,
  m.invitation_id AS "invitationId", m.until AS until, m.spots AS spots, m.deauthorizes AS deauthorizes, m.dos AS dos,
  m.owner AS owner, m.app_id AS "appId", m.active AS active, m.created AS created`
const SELECT = `SELECT ${COLUMNS} FROM memberships m JOIN groups g ON g.id = m.group_id`
// The member's name, and the name of whoever admitted them (through their invitation's inviting membership).
const VIEW_COLUMNS = 'u.name AS "userName", iu.name AS "inviterName"'
const VIEW_JOINS = `JOIN users u ON u.id = m.user_id LEFT JOIN invitations mi ON mi.id = m.invitation_id
  LEFT JOIN memberships im ON im.id = mi.inviter_id LEFT JOIN users iu ON iu.id = im.user_id`
const SELECT_VIEW = `SELECT ${COLUMNS}, ${VIEW_COLUMNS} FROM memberships m JOIN groups g ON g.id = m.group_id ${VIEW_JOINS}`
const CURRENT = 'm.active = 1 AND (m.until IS NULL OR m.until > ?)'
// Inviter chains are short; the bound only stops a corrupted (cyclic) table from looping forever.
const MAX_CHAIN = 10_000

function toMembership(row: MembershipRow): Membership {
  return { ...row, owner: row.owner === 1, active: row.active === 1 }
}

function toView(row: ViewRow): MemberView {
  return { ...toMembership(row), userName: row.userName, inviterName: row.inviterName }
}

/** Memberships and the walks along their inviter chains. */
export class MembershipStore {
  constructor(private readonly db: Database) {}

  async get(id: string): Promise<Membership | undefined> {
    const row = await this.db.sql.one<MembershipRow>(`${SELECT} WHERE m.id = ?`, [id])
    return row && toMembership(row)
  }

  async insert(membership: NewMembership): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO memberships (id, user_id, group_id, invitation_id, until, spots, deauthorizes, dos, owner, app_id,
         created)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        membership.id,
        membership.userId,
        membership.groupId,
        membership.invitationId,
        membership.until,
        membership.spots,
        membership.deauthorizes,
        membership.dos,
        membership.owner,
        membership.appId,
        membership.created,
      ],
    )
  }

  /** Marks it inactive; answers whether it was active. */
  async deactivate(id: string, now: number): Promise<boolean> {
    return (
      (await this.db.sql.run('UPDATE memberships SET active = 0, ended = ? WHERE id = ? AND active = 1', [now, id])) > 0
    )
  }

  /** One admission fewer left (no-op when unlimited). */
  async consumeSpot(id: string): Promise<void> {
    await this.db.sql.run('UPDATE memberships SET spots = spots - 1 WHERE id = ? AND spots > 0', [id])
  }

  /** Active, unexpired memberships of a user, by path. */
  async currentOf(userId: string, now: number): Promise<Membership[]> {
    const rows = await this.db.sql.all<MembershipRow>(
      `${SELECT} WHERE m.user_id = ? AND ${CURRENT} ORDER BY g.path, m.created`,
      [userId, now],
    )
    return rows.map(toMembership)
  }

  /** Every active membership of a user, expired or not. */
  async activeOf(userId: string): Promise<Membership[]> {
    return (await this.db.sql.all<MembershipRow>(`${SELECT} WHERE m.user_id = ? AND m.active = 1`, [userId])).map(
      toMembership,
    )
  }

  /** The user's active owner membership of exactly this group, if any. */
  async ownerMembership(userId: string, groupId: string): Promise<Membership | undefined> {
    const row = await this.db.sql.one<MembershipRow>(
      `${SELECT} WHERE m.user_id = ? AND m.group_id = ? AND m.active = 1 AND m.owner = 1`,
      [userId, groupId],
    )
    return row && toMembership(row)
  }

  /**
   * Which of the groups `groupIds` the user holds an active, unexpired
   * membership of, each with when the last of those memberships ends (null:
   * never): one statement, one seek per group in the covering index
   * `memberships_check`. A group is held when it or one of its ancestors is.
   */
  async heldAmong(userId: string, groupIds: readonly string[], now: number): Promise<Map<string, number | null>> {
    if (groupIds.length === 0) return new Map()
    const rows = await this.db.sql.all<{ groupId: string; forever: number; until: number | null }>(
      `SELECT m.group_id AS "groupId", MAX(CASE WHEN m.until IS NULL THEN 1 ELSE 0 END) AS forever,
         MAX(m.until) AS until FROM memberships m
       WHERE m.user_id = ? AND m.group_id IN (${marks(groupIds.length)}) AND ${CURRENT} GROUP BY m.group_id`,
      [userId, ...groupIds, now],
    )
    return new Map(rows.map(row => [row.groupId, row.forever ? null : row.until]))
  }

  /** The highest `deauthorizes` among the user's current memberships in `ancestors`; null when none. */
  async highestPower(userId: string, ancestors: readonly string[], now: number): Promise<number | null> {
    const row = await this.db.sql.one<{ power: number | null }>(
      `SELECT MAX(m.deauthorizes) AS power FROM groups g JOIN memberships m ON m.group_id = g.id
       WHERE g.path IN (${marks(ancestors.length)}) AND m.user_id = ? AND ${CURRENT}`,
      [...ancestors, userId, now],
    )
    return row?.power ?? null
  }

  /** The user's current memberships in any of `ancestors`, i.e. those that grant the group. */
  async granting(userId: string, ancestors: readonly string[], now: number): Promise<Membership[]> {
    const rows = await this.db.sql.all<MembershipRow>(
      `${SELECT} WHERE g.path IN (${marks(ancestors.length)}) AND m.user_id = ? AND ${CURRENT} ORDER BY g.path, m.created`,
      [...ancestors, userId, now],
    )
    return rows.map(toMembership)
  }

  /** The current owner memberships of the groups at `ancestors` (a group and its ancestors): who owns it. */
  async owners(ancestors: readonly string[], now: number): Promise<Membership[]> {
    const rows = await this.db.sql.all<MembershipRow>(
      `${SELECT} WHERE g.path IN (${marks(ancestors.length)}) AND m.owner = 1 AND ${CURRENT} ORDER BY g.path, m.created`,
      [...ancestors, now],
    )
    return rows.map(toMembership)
  }

  /**
   * The inviter chain from a membership upwards: the membership and its
   * invitation, the membership that created that invitation, and so on to
   * a membership without one (an owner or a direct grant).
   */
  async lineage(id: string): Promise<LineageLevel[]> {
    const rows = await this.db.sql.all<Record<string, unknown>>(
      `WITH RECURSIVE up(id, depth) AS (
         SELECT CAST(? AS TEXT), 0
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
      [id, MAX_CHAIN],
    )
    return rows.map(row => {
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
  async currentDescendants(id: string, now: number): Promise<MemberView[]> {
    const rows = await this.db.sql.all<ViewRow>(
      `WITH RECURSIVE down(id, depth) AS (
         SELECT CAST(? AS TEXT), 0
         UNION ALL
         SELECT m.id, down.depth + 1 FROM down
           JOIN invitations i ON i.inviter_id = down.id
           JOIN memberships m ON m.invitation_id = i.id
         WHERE down.depth < ?
       )
       SELECT ${COLUMNS}, ${VIEW_COLUMNS}
       FROM down JOIN memberships m ON m.id = down.id JOIN groups g ON g.id = m.group_id ${VIEW_JOINS}
       WHERE down.depth > 0 AND ${CURRENT}`,
      [id, MAX_CHAIN, now],
    )
    return rows.map(toView)
  }

  /** Current memberships of the group at `path` and of its subgroups (`below` from `descendantRange`). */
  async currentWithin(path: string, below: [string, string], now: number): Promise<MemberView[]> {
    const rows = await this.db.sql.all<ViewRow>(
      `${SELECT_VIEW} WHERE (g.path = ? OR (g.path >= ? AND g.path < ?)) AND ${CURRENT}`,
      [path, below[0], below[1], now],
    )
    return rows.map(toView)
  }

  /**
   * Current memberships of the group at `path` and of its subgroups that an
   * app granted, with the app's name, by path.
   */
  async grantedByApps(path: string, below: [string, string], now: number): Promise<AppGrant[]> {
    const rows = await this.db.sql.all<MembershipRow & { appName: string | null }>(
      `SELECT ${COLUMNS}, a.name AS "appName"
       FROM memberships m JOIN groups g ON g.id = m.group_id LEFT JOIN apps a ON a.id = m.app_id
       WHERE (g.path = ? OR (g.path >= ? AND g.path < ?)) AND m.app_id IS NOT NULL AND ${CURRENT}
       ORDER BY g.path, m.created`,
      [path, below[0], below[1], now],
    )
    return rows.map(row => ({ ...toMembership(row), appName: row.appName }))
  }

  /** Active memberships whose `until` lies in (from, to]: those that expired in that time. */
  expiredBetween(from: number, to: number): Promise<{ id: string; userId: string; path: string }[]> {
    return this.db.sql.all(
      `SELECT m.id, m.user_id AS "userId", g.path FROM memberships m JOIN groups g ON g.id = m.group_id
       WHERE m.until > ? AND m.until <= ? AND m.active = 1 ORDER BY m.until`,
      [from, to],
    )
  }

  /** Up to when expiries have been announced. */
  async sweptUntil(): Promise<number> {
    return (
      (
        await this.db.sql.one<{ until: number }>(
          'SELECT swept_until AS until FROM membership_expiry_sweep WHERE id = 1',
        )
      )?.until ?? 0
    )
  }

  async setSweptUntil(time: number): Promise<void> {
    await this.db.sql.run('UPDATE membership_expiry_sweep SET swept_until = ? WHERE id = 1', [time])
  }
}
