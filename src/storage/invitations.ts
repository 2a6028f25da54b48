import type { Db } from './db.js'

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

/** As SQLite returns it: booleans are 0/1. */
export type InvitationRow = Omit<Invitation, 'depletes' | 'confirm' | 'active'> & {
  depletes: number
  confirm: number
  active: number
}

/** Selects an invitation aliased `i` joined to its group `ig`, under the given column prefix. */
export function invitationColumns(prefix = ''): string {
  return [
    `i.id AS ${prefix}id`,
    `i.chain_id AS ${prefix}chainId`,
    `i.position AS ${prefix}position`,
    `i.inviter_id AS ${prefix}inviterId`,
    `i.group_id AS ${prefix}groupId`,
    `ig.path AS ${prefix}path`,
    `i.invitees AS ${prefix}invitees`,
    `i.acceptance_expiration AS ${prefix}acceptanceExpiration`,
    `i.access_expiration AS ${prefix}accessExpiration`,
    `i.access_duration AS ${prefix}accessDuration`,
    `i.plus AS ${prefix}plus`,
    `i.depletes AS ${prefix}depletes`,
    `i.dos AS ${prefix}dos`,
    `i.deauthorizes AS ${prefix}deauthorizes`,
    `i.redirect AS ${prefix}redirect`,
    `i.confirm AS ${prefix}confirm`,
    `i.active AS ${prefix}active`,
    `i.created AS ${prefix}created`,
  ].join(', ')
}

export function toInvitation(row: InvitationRow): Invitation {
  return { ...row, depletes: row.depletes === 1, confirm: row.confirm === 1, active: row.active === 1 }
}

const SELECT = `SELECT ${invitationColumns()} FROM invitations i JOIN groups ig ON ig.id = i.group_id`
const SELECT_VIEW = `SELECT ${invitationColumns()}, im.user_id AS inviterUserId, u.name AS inviterName
  FROM invitations i JOIN groups ig ON ig.id = i.group_id
  LEFT JOIN memberships im ON im.id = i.inviter_id LEFT JOIN users u ON u.id = im.user_id`

type ViewRow = InvitationRow & { inviterUserId: string | null; inviterName: string | null }

function toView(row: ViewRow): InvitationView {
  return { ...toInvitation(row), inviterUserId: row.inviterUserId, inviterName: row.inviterName }
}

/** Invitations, their chains and who accepted which link. */
export class InvitationStore {
  private readonly byId
  private readonly byChain
  private readonly insertInvitation
  private readonly deactivateOne
  private readonly deactivateChain
  private readonly decrement
  private readonly activeOfInviter
  private readonly activeInRange
  private readonly activeOfInviters
  private readonly insertAcceptance
  private readonly acceptance
  private readonly latestRedirectOf

  constructor(db: Db) {
    this.byId = db.prepare<[string], InvitationRow>(`${SELECT} WHERE i.id = ?`)
    this.byChain = db.prepare<[string], InvitationRow>(`${SELECT} WHERE i.chain_id = ? ORDER BY i.position`)
    this.insertInvitation = db.prepare(
      `INSERT INTO invitations (id, chain_id, position, inviter_id, group_id, invitees, acceptance_expiration,
         access_expiration, access_duration, plus, depletes, dos, deauthorizes, redirect, confirm, created)
       VALUES (@id, @chainId, @position, @inviterId, @groupId, @invitees, @acceptanceExpiration,
         @accessExpiration, @accessDuration, @plus, @depletes, @dos, @deauthorizes, @redirect, @confirm, @created)`,
    )
    this.deactivateOne = db.prepare('UPDATE invitations SET active = 0 WHERE id = ? AND active = 1')
    this.deactivateChain = db.prepare('UPDATE invitations SET active = 0 WHERE chain_id = ? AND active = 1')
    this.decrement = db.prepare('UPDATE invitations SET invitees = invitees - 1 WHERE id = ? AND invitees > 0')
    this.activeOfInviter = db.prepare<[string], InvitationRow>(`${SELECT} WHERE i.inviter_id = ? AND i.active = 1`)
    this.activeInRange = db.prepare<[string, string, string], ViewRow>(
      `${SELECT_VIEW} WHERE (ig.path = ? OR (ig.path >= ? AND ig.path < ?)) AND i.active = 1`,
    )
    this.activeOfInviters = db.prepare<[string], ViewRow>(
      `${SELECT_VIEW} WHERE i.inviter_id IN (SELECT value FROM json_each(?)) AND i.active = 1`,
    )
    this.insertAcceptance = db.prepare(
      'INSERT INTO invitation_acceptances (chain_id, user_id, created) VALUES (?, ?, ?)',
    )
    this.acceptance = db.prepare<[string, string], { created: number }>(
      'SELECT created FROM invitation_acceptances WHERE chain_id = ? AND user_id = ?',
    )
    this.latestRedirectOf = db.prepare<[string], { redirect: string | null }>(
      `SELECT i.redirect FROM invitation_acceptances a JOIN invitations i ON i.id = a.chain_id
       WHERE a.user_id = ? ORDER BY a.created DESC, a.rowid DESC LIMIT 1`,
    )
  }

  get(id: string): Invitation | undefined {
    const row = this.byId.get(id)
    return row && toInvitation(row)
  }

  /** Every invitation of a link, in acceptance order. */
  chain(chainId: string): Invitation[] {
    return this.byChain.all(chainId).map(toInvitation)
  }

  insert(invitation: NewInvitation): void {
    this.insertInvitation.run({
      ...invitation,
      depletes: invitation.depletes ? 1 : 0,
      confirm: invitation.confirm ? 1 : 0,
    })
  }

  /** Answers whether it was active. */
  deactivate(id: string): boolean {
    return this.deactivateOne.run(id).changes > 0
  }

  deactivateLink(chainId: string): void {
    this.deactivateChain.run(chainId)
  }

  /** One acceptance fewer left (no-op when unlimited). */
  consume(id: string): void {
    this.decrement.run(id)
  }

  activeCreatedBy(membershipId: string): Invitation[] {
    return this.activeOfInviter.all(membershipId).map(toInvitation)
  }

  /** Active invitations to the group at `path` or below it (`below` from `descendantRange`). */
  activeWithin(path: string, below: [string, string]): InvitationView[] {
    return this.activeInRange.all(path, below[0], below[1]).map(toView)
  }

  activeCreatedByAny(membershipIds: readonly string[]): InvitationView[] {
    return this.activeOfInviters.all(JSON.stringify(membershipIds)).map(toView)
  }

  recordAcceptance(chainId: string, userId: string, now: number): void {
    this.insertAcceptance.run(chainId, userId, now)
  }

  hasAccepted(chainId: string, userId: string): boolean {
    return this.acceptance.get(chainId, userId) !== undefined
  }

  /** The redirect of the link the user accepted last: undefined when none, null when it had none. */
  latestAcceptedRedirect(userId: string): string | null | undefined {
    return this.latestRedirectOf.get(userId)?.redirect
  }
}
