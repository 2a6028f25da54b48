import type { Db } from './db.js'

/** `app`: a client application was removed (subject = app id, user_id = ''); its connections are closed, apps are not told. */
export type RevocationKind = 'session' | 'membership' | 'user' | 'app'

/** One entry of the revocation log; `cursor` only ever grows. */
export interface Revocation {
  cursor: number
  kind: RevocationKind
  subject: string
  userId: string
  created: number
}

/**
 * The append-only revocation log. Every process tails it to evict its
 * caches, and the realtime channel replays it to apps from their cursor.
 */
export class RevocationStore {
  private readonly insert
  private readonly after
  private readonly last
  private readonly createdAt

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO revocations (kind, subject, user_id, created) VALUES (?, ?, ?, ?)')
    this.after = db.prepare<[number, number], Revocation>(
      `SELECT cursor, kind, subject, user_id AS userId, created FROM revocations
       WHERE cursor > ? ORDER BY cursor LIMIT ?`,
    )
    this.last = db.prepare<[], { cursor: number | null }>('SELECT MAX(cursor) AS cursor FROM revocations')
    this.createdAt = db
      .prepare<[number], number>('SELECT created FROM revocations WHERE cursor >= ? ORDER BY cursor LIMIT 1')
      .pluck()
  }

  /** Appends an entry and answers its cursor. Call inside the transaction that made the change. */
  append(kind: RevocationKind, subject: string, userId: string, now: number): number {
    return Number(this.insert.run(kind, subject, userId, now).lastInsertRowid)
  }

  /** Entries after `cursor`, oldest first, at most `limit`. */
  since(cursor: number, limit = 1000): Revocation[] {
    return this.after.all(cursor, limit)
  }

  /**
   * The cursor just before the first entry created at or after `time`
   * (the head when there is none): where a replay of "everything since
   * `time`" starts. A binary search over the cursor (the primary key), so
   * it needs no index on `created`; clocks of several processes may be a
   * little out of order, so callers subtract a margin from `time`.
   */
  cursorBefore(time: number): number {
    let low = 0
    let high = this.head()
    while (low < high) {
      const middle = Math.floor((low + high + 1) / 2)
      const created = this.createdAt.get(middle)
      if (created === undefined || created < time) low = middle
      else high = middle - 1
    }
    return low
  }

  /** The newest cursor (0 when the log is empty). */
  head(): number {
    return this.last.get()?.cursor ?? 0
  }
}
