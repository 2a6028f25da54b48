import type { Db } from './db.js'

export type GroupEventKind =
  | 'namespace_created'
  | 'group_created'
  | 'owner_added'
  | 'member_granted'
  | 'invitation_created'
  | 'invitation_cancelled'
  | 'invitation_accepted'
  | 'member_removed'
  | 'member_left'

/** One entry of the audit log of group changes. */
export interface GroupEvent {
  id: number
  groupId: string
  path: string
  kind: GroupEventKind
  /** The user who acted; null when an app or the CLI did. */
  actorId: string | null
  actorName: string | null
  /** The user affected, if any. */
  subjectId: string | null
  subjectName: string | null
  membershipId: string | null
  invitationId: string | null
  detail: Record<string, unknown>
  created: number
}

export type NewGroupEvent = Pick<GroupEvent, 'groupId' | 'kind' | 'created'> &
  Partial<Pick<GroupEvent, 'actorId' | 'subjectId' | 'membershipId' | 'invitationId' | 'detail'>>

type Row = Omit<GroupEvent, 'detail'> & { detail: string | null }

/** The append-only audit log of group events. */
export class GroupEventStore {
  private readonly insert
  private readonly page

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO group_events (group_id, kind, actor_id, subject_id, membership_id, invitation_id, detail, created)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    // Names are looked up at read time (LEFT JOIN): the log keeps ids of deleted accounts, whose names are gone.
    this.page = db.prepare<[{ path: string; from: string; to: string; before: number; limit: number }], Row>(
      `SELECT e.id, e.group_id AS groupId, g.path, e.kind, e.actor_id AS actorId, CASE WHEN a.deleted IS NULL THEN a.name END AS actorName,
         e.subject_id AS subjectId, CASE WHEN s.deleted IS NULL THEN s.name END AS subjectName, e.membership_id AS membershipId,
         e.invitation_id AS invitationId, e.detail, e.created
       FROM group_events e JOIN groups g ON g.id = e.group_id
       LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users s ON s.id = e.subject_id
       WHERE (g.path = @path OR (g.path >= @from AND g.path < @to)) AND e.id < @before
       ORDER BY e.id DESC LIMIT @limit`,
    )
  }

  append(event: NewGroupEvent): void {
    this.insert.run(
      event.groupId,
      event.kind,
      event.actorId ?? null,
      event.subjectId ?? null,
      event.membershipId ?? null,
      event.invitationId ?? null,
      event.detail ? JSON.stringify(event.detail) : null,
      event.created,
    )
  }

  /** Events of the group at `path` and its subgroups (`below` from `descendantRange`), newest first, ids below `before`. */
  list(path: string, below: [string, string], before: number, limit: number): GroupEvent[] {
    return this.page
      .all({ path, from: below[0], to: below[1], before, limit })
      .map(row => ({ ...row, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : {} }))
  }
}
