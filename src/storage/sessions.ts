import type { Db } from './db.js'

export interface SessionRecord {
  sid: string
  userId: string
  provider: string
  ip: string
  userAgent: string
  created: number
  refreshed: number
  revoked: number | null
}

const COLUMNS = `sid, user_id AS userId, provider, ip, user_agent AS userAgent, created, refreshed, revoked`

/** Session rows. Revocation marks a row rather than deleting it, for the audit trail. */
export class SessionStore {
  private readonly insert
  private readonly bySid
  private readonly activeOf
  private readonly touch
  private readonly markRevoked
  private readonly markAllRevoked

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO sessions (sid, user_id, provider, ip, user_agent, created, refreshed) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    this.bySid = db.prepare<[string], SessionRecord>(`SELECT ${COLUMNS} FROM sessions WHERE sid = ?`)
    this.activeOf = db.prepare<[string], SessionRecord>(
      `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND revoked IS NULL ORDER BY created DESC`,
    )
    this.touch = db.prepare('UPDATE sessions SET refreshed = ? WHERE sid = ? AND revoked IS NULL')
    this.markRevoked = db.prepare('UPDATE sessions SET revoked = ? WHERE sid = ? AND revoked IS NULL')
    this.markAllRevoked = db.prepare<[number, string], { sid: string }>(
      'UPDATE sessions SET revoked = ? WHERE user_id = ? AND revoked IS NULL RETURNING sid',
    )
  }

  create(session: Omit<SessionRecord, 'revoked'>): void {
    this.insert.run(
      session.sid,
      session.userId,
      session.provider,
      session.ip,
      session.userAgent,
      session.created,
      session.refreshed,
    )
  }

  get(sid: string): SessionRecord | undefined {
    return this.bySid.get(sid)
  }

  activeForUser(userId: string): SessionRecord[] {
    return this.activeOf.all(userId)
  }

  /** Records a lease refresh; false when the session is no longer active. */
  refreshed(sid: string, now: number): boolean {
    return this.touch.run(now, sid).changes > 0
  }

  /** Marks one session revoked; false when it already was (or never existed). */
  revoke(sid: string, now: number): boolean {
    return this.markRevoked.run(now, sid).changes > 0
  }

  /** Marks every active session of a user revoked and answers their sids. */
  revokeAllOf(userId: string, now: number): string[] {
    return this.markAllRevoked.all(now, userId).map(r => r.sid)
  }
}
