import type { Database } from './database.js'

/** The notification channel that tells every node the log grew (PostgreSQL; the payload is the new cursor). */
export const CHANGES_CHANNEL = 'login_changes'

/**
 * `session`: a session ended; `membership`: a membership of the user changed
 * (`namespace` says where); `app`: a client application was removed (subject
 * = app id, user_id = ''), its connections are closed; `scope`: what an app
 * may do in `namespace` changed to `access` (subject = app id, user_id =
 * ''); `keys`: the signing keys changed (subject = the new key id), every
 * node reloads them; `rules`: the access rules of forward-auth changed
 * (subject and user_id = ''), every node compiles them again. Apps are told
 * of sessions, and of memberships in the namespaces they manage or may read.
 */
export type RevocationKind = 'session' | 'membership' | 'user' | 'app' | 'scope' | 'keys' | 'rules'

/** What an app may do in a namespace: manage it (grant, remove, ensure, ask) or only ask about it. */
export type NamespaceAccess = 'manage' | 'read'

/** What an entry concerns beyond its subject: the namespace, and for `scope` entries the app's access now. */
export interface RevocationScope {
  namespace?: string | null
  access?: NamespaceAccess | null
}

/** One entry of the change log; `cursor` only ever grows. */
export interface Revocation {
  cursor: number
  kind: RevocationKind
  subject: string
  userId: string
  created: number
  /** The namespace of a `membership` or `scope` entry; null for the others. */
  namespace: string | null
  /** What the app of a `scope` entry may now do in its namespace; null: nothing (or another kind of entry). */
  access: NamespaceAccess | null
}

/**
 * The append-only log of revocations and other changes that every node
 * must hear of at once. Every node tails it to evict its caches, and the
 * realtime channel replays it to apps from their cursor.
 */
export class RevocationStore {
  constructor(private readonly db: Database) {}

  /**
   * Appends an entry and answers its cursor. Only inside a write
   * transaction: those take turns, so cursors become visible in order and
   * a reader that has seen cursor n never learns of a smaller one later.
   */
  async append(
    kind: RevocationKind,
    subject: string,
    userId: string,
    now: number,
    scope: RevocationScope = {},
  ): Promise<number> {
    if (!this.db.inTransaction) throw new Error('revocations are appended inside a write transaction')
    const row = await this.db.sql.one<{ cursor: number }>(
      `INSERT INTO revocations (kind, subject, user_id, created, namespace, access) VALUES (?, ?, ?, ?, ?, ?)
       RETURNING cursor`,
      [kind, subject, userId, now, scope.namespace ?? null, scope.access ?? null],
    )
    // Delivered when the transaction commits: other nodes read the log at once instead of at their next poll.
    await this.db.notify(CHANGES_CHANNEL, String(row!.cursor))
    return row!.cursor
  }

  /** Entries after `cursor`, oldest first, at most `limit`. */
  since(cursor: number, limit = 1000): Promise<Revocation[]> {
    return this.db.sql.all<Revocation>(
      `SELECT cursor, kind, subject, user_id AS "userId", created, namespace, access FROM revocations
       WHERE cursor > ? ORDER BY cursor LIMIT ?`,
      [cursor, limit],
    )
  }

  /**
   * The cursor just before the first entry created at or after `time`
   * (the head when there is none): where a replay of "everything since
   * `time`" starts. A binary search over the cursor (the primary key), so
   * it needs no index on `created`; clocks of several nodes may be a
   * little out of order, so callers subtract a margin from `time`.
   */
  async cursorBefore(time: number): Promise<number> {
    let low = 0
    let high = await this.head()
    while (low < high) {
      const middle = Math.floor((low + high + 1) / 2)
      const row = await this.db.sql.one<{ created: number }>(
        'SELECT created FROM revocations WHERE cursor >= ? ORDER BY cursor LIMIT 1',
        [middle],
      )
      if (row === undefined || row.created < time) low = middle
      else high = middle - 1
    }
    return low
  }

  /** The newest cursor (0 when the log is empty). */
  async head(): Promise<number> {
    return (
      (await this.db.sql.one<{ cursor: number | null }>('SELECT MAX(cursor) AS cursor FROM revocations'))?.cursor ?? 0
    )
  }
}
