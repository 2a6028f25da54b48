import type { Db } from './db.js'

export type RevocationKind = 'session' | 'membership' | 'user'

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

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO revocations (kind, subject, user_id, created) VALUES (?, ?, ?, ?)')
    this.after = db.prepare<[number, number], Revocation>(
      `SELECT cursor, kind, subject, user_id AS userId, created FROM revocations
       WHERE cursor > ? ORDER BY cursor LIMIT ?`)
    this.last = db.prepare<[], { cursor: number | null }>('SELECT MAX(cursor) AS cursor FROM revocations')
  }

  /** Appends an entry and answers its cursor. Call inside the transaction that made the change. */
  append(kind: RevocationKind, subject: string, userId: string, now: number): number {
    return Number(this.insert.run(kind, subject, userId, now).lastInsertRowid)
  }

  /** Entries after `cursor`, oldest first, at most `limit`. */
  since(cursor: number, limit = 1000): Revocation[] {
    return this.after.all(cursor, limit)
  }

  /** The newest cursor (0 when the log is empty). */
  head(): number {
    return this.last.get()?.cursor ?? 0
  }
}
