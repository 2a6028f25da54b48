import type { Database } from './database.js'

export interface SessionRecord {
  sid: string
  userId: string
  provider: string
  ip: string
  userAgent: string
  created: number
  refreshed: number
  revoked: number | null
  /** How it began, as OpenID Connect's `amr` says it (space separated); null for a provider's sign-in. */
  amr: string | null
  /** When the person last proved who they are on it (signed in, or again as the same person). */
  authenticated: number
}

const COLUMNS = `sid, user_id AS "userId", provider, ip, user_agent AS "userAgent", created, refreshed, revoked, amr,
  COALESCE(authenticated, created) AS authenticated`

/** Session rows. Revocation marks a row rather than deleting it, for the audit trail. */
export class SessionStore {
  constructor(private readonly db: Database) {}

  async create(session: Omit<SessionRecord, 'revoked' | 'authenticated'>): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO sessions (sid, user_id, provider, ip, user_agent, created, refreshed, amr)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        session.sid,
        session.userId,
        session.provider,
        session.ip,
        session.userAgent,
        session.created,
        session.refreshed,
        session.amr,
      ],
    )
  }

  get(sid: string): Promise<SessionRecord | undefined> {
    return this.db.sql.one<SessionRecord>(`SELECT ${COLUMNS} FROM sessions WHERE sid = ?`, [sid])
  }

  activeForUser(userId: string): Promise<SessionRecord[]> {
    return this.db.sql.all<SessionRecord>(
      `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND revoked IS NULL ORDER BY created DESC`,
      [userId],
    )
  }

  /** Records a lease refresh; false when the session is no longer active. */
  async refreshed(sid: string, now: number): Promise<boolean> {
    return (
      (await this.db.sql.run('UPDATE sessions SET refreshed = ? WHERE sid = ? AND revoked IS NULL', [now, sid])) > 0
    )
  }

  /** Records that the person signed in again on an active session, and how (`amr`); false when it is no longer active. */
  async authenticated(sid: string, now: number, amr: string | null = null): Promise<boolean> {
    const changed = await this.db.sql.run(
      'UPDATE sessions SET authenticated = ?, refreshed = ?, amr = ? WHERE sid = ? AND revoked IS NULL',
      [now, now, amr, sid],
    )
    return changed > 0
  }

  /** Marks one session revoked; false when it already was (or never existed). */
  async revoke(sid: string, now: number): Promise<boolean> {
    return (await this.db.sql.run('UPDATE sessions SET revoked = ? WHERE sid = ? AND revoked IS NULL', [now, sid])) > 0
  }

  /** Marks every active session of a user revoked and answers their sids. */
  async revokeAllOf(userId: string, now: number): Promise<string[]> {
    const rows = await this.db.sql.all<{ sid: string }>(
      'UPDATE sessions SET revoked = ? WHERE user_id = ? AND revoked IS NULL RETURNING sid',
      [now, userId],
    )
    return rows.map(row => row.sid)
  }
}
