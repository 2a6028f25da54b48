import type { Database } from './database.js'
import { marks } from './in-list.js'

/**
 * One group of an invitation link. A link covering several groups is a
 * chain of these sharing `chainId` (the id of the first, which is the id
 * people share), accepted in `position` order.
 */
export interface Invitation {
  id: string
  chainId: string
  position: number
  /** The inviting membership; null only once the inviter's account was deleted. */
  inviterId: string | null
  groupId: string
  path: string
  invitees: number | null
  acceptanceExpiration: number | null
  accessExpiration: number | null
  accessDuration: number | null
  plus: number | null
  depletes: boolean
  dos: number | null
  deauthorizes: number
  redirect: string | null
  confirm: boolean
  active: boolean
  created: number
}

/** An invitation as the cancel listing shows it: with who created it. */
export interface InvitationView extends Invitation {
  inviterUserId: string | null
  inviterName: string | null
}

export type NewInvitation = Omit<Invitation, 'path' | 'active'>

/** As the database returns it: flags are 0/1. */
export type InvitationRow = Omit<Invitation, 'depletes' | 'confirm' | 'active'> & {
  depletes: number
  confirm: number
  active: number
}

/** Selects an invitation aliased `i` joined to its group `ig`, under the given column prefix. */
export function invitationColumns(prefix = ''): string {
  return [
    `i.id AS "${prefix}id"`,
    `i.chain_id AS "${prefix}chainId"`,
    `i.position AS "${prefix}position"`,
    `i.inviter_id AS "${prefix}inviterId"`,
    `i.group_id AS "${prefix}groupId"`,
    `ig.path AS "${prefix}path"`,
    `i.invitees AS "${prefix}invitees"`,
    `i.acceptance_expiration AS "${prefix}acceptanceExpiration"`,
    `i.access_expiration AS "${prefix}accessExpiration"`,
    `i.access_duration AS "${prefix}accessDuration"`,
    `i.plus AS "${prefix}plus"`,
    `i.depletes AS "${prefix}depletes"`,
    `i.dos AS "${prefix}dos"`,
    `i.deauthorizes AS "${prefix}deauthorizes"`,
    `i.redirect AS "${prefix}redirect"`,
    `i.confirm AS "${prefix}confirm"`,
    `i.active AS "${prefix}active"`,
    `i.created AS "${prefix}created"`,
  ].join(', ')
}

export function toInvitation(row: InvitationRow): Invitation {
  return { ...row, depletes: row.depletes === 1, confirm: row.confirm === 1, active: row.active === 1 }
}

const SELECT = `SELECT ${invitationColumns()} FROM invitations i JOIN groups ig ON ig.id = i.group_id`
const SELECT_VIEW = `SELECT ${invitationColumns()}, im.user_id AS "inviterUserId", u.name AS "inviterName"
  FROM invitations i JOIN groups ig ON ig.id = i.group_id
  LEFT JOIN memberships im ON im.id = i.inviter_id LEFT JOIN users u ON u.id = im.user_id`

type ViewRow = InvitationRow & { inviterUserId: string | null; inviterName: string | null }

function toView(row: ViewRow): InvitationView {
  return { ...toInvitation(row), inviterUserId: row.inviterUserId, inviterName: row.inviterName }
}

/** Invitations, their chains and who accepted which link. */
export class InvitationStore {
  constructor(private readonly db: Database) {}

  async get(id: string): Promise<Invitation | undefined> {
    const row = await this.db.sql.one<InvitationRow>(`${SELECT} WHERE i.id = ?`, [id])
    return row && toInvitation(row)
  }

  /** Every invitation of a link, in acceptance order. */
  async chain(chainId: string): Promise<Invitation[]> {
    return (await this.db.sql.all<InvitationRow>(`${SELECT} WHERE i.chain_id = ? ORDER BY i.position`, [chainId])).map(
      toInvitation,
    )
  }

  async insert(invitation: NewInvitation): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO invitations (id, chain_id, position, inviter_id, group_id, invitees, acceptance_expiration,
         access_expiration, access_duration, plus, depletes, dos, deauthorizes, redirect, confirm, created)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        invitation.id,
        invitation.chainId,
        invitation.position,
        invitation.inviterId,
        invitation.groupId,
        invitation.invitees,
        invitation.acceptanceExpiration,
        invitation.accessExpiration,
        invitation.accessDuration,
        invitation.plus,
        invitation.depletes,
        invitation.dos,
        invitation.deauthorizes,
        invitation.redirect,
        invitation.confirm,
        invitation.created,
      ],
    )
  }

  /** Answers whether it was active. */
  async deactivate(id: string): Promise<boolean> {
    return (await this.db.sql.run('UPDATE invitations SET active = 0 WHERE id = ? AND active = 1', [id])) > 0
  }

  async deactivateLink(chainId: string): Promise<void> {
    await this.db.sql.run('UPDATE invitations SET active = 0 WHERE chain_id = ? AND active = 1', [chainId])
  }

  /** One acceptance fewer left (no-op when unlimited). */
  async consume(id: string): Promise<void> {
    await this.db.sql.run('UPDATE invitations SET invitees = invitees - 1 WHERE id = ? AND invitees > 0', [id])
  }

  async activeCreatedBy(membershipId: string): Promise<Invitation[]> {
    const rows = await this.db.sql.all<InvitationRow>(`${SELECT} WHERE i.inviter_id = ? AND i.active = 1`, [
      membershipId,
    ])
    return rows.map(toInvitation)
  }

  /** Active invitations to the group at `path` or below it (`below` from `descendantRange`). */
  async activeWithin(path: string, below: [string, string]): Promise<InvitationView[]> {
    const rows = await this.db.sql.all<ViewRow>(
      `${SELECT_VIEW} WHERE (ig.path = ? OR (ig.path >= ? AND ig.path < ?)) AND i.active = 1`,
      [path, below[0], below[1]],
    )
    return rows.map(toView)
  }

  async activeCreatedByAny(membershipIds: readonly string[]): Promise<InvitationView[]> {
    if (membershipIds.length === 0) return []
    const rows = await this.db.sql.all<ViewRow>(
      `${SELECT_VIEW} WHERE i.inviter_id IN (${marks(membershipIds.length)}) AND i.active = 1`,
      membershipIds,
    )
    return rows.map(toView)
  }

  /** Records an acceptance; inside the accepting transaction, which makes `seq` (the order of acceptances) unique. */
  async recordAcceptance(chainId: string, userId: string, now: number): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO invitation_acceptances (chain_id, user_id, created, seq)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM invitation_acceptances))`,
      [chainId, userId, now],
    )
  }

  async hasAccepted(chainId: string, userId: string): Promise<boolean> {
    const row = await this.db.sql.one('SELECT created FROM invitation_acceptances WHERE chain_id = ? AND user_id = ?', [
      chainId,
      userId,
    ])
    return row !== undefined
  }

  /** The redirect of the link the user accepted last: undefined when none, null when it had none. */
  async latestAcceptedRedirect(userId: string): Promise<string | null | undefined> {
    const row = await this.db.sql.one<{ redirect: string | null }>(
      `SELECT i.redirect FROM invitation_acceptances a JOIN invitations i ON i.id = a.chain_id
       WHERE a.user_id = ? ORDER BY a.seq DESC LIMIT 1`,
      [userId],
    )
    return row?.redirect
  }
}
