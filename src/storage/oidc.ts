import type { Db } from './db.js'

/** One artefact of the OpenID Provider, as oidc-provider wrote it (its "payload"). */
export type OidcPayload = Record<string, unknown>

/** A login session that still has OpenID Provider sessions although it ended or timed out. */
export interface EndedSession {
  sid: string
  /** Null when the login session row is gone (the account was deleted). */
  userId: string | null
  /** Revoked (or gone), as opposed to past a timeout that nobody has acted on yet. */
  revoked: boolean
}

/** Cut-off times (Unix seconds) under which a login session has timed out; null when that timeout is off. */
export interface TimeoutCutoffs {
  refreshedBefore: number | null
  createdBefore: number | null
}

/**
 * What the OpenID Provider stores: oidc-provider's sessions, grants, tokens,
 * interactions and authorization codes. Every method answers a promise, so
 * that a PostgreSQL implementation can stand beside the SQLite one; the
 * provider's adapter (`src/oidc/adapter.ts`) calls nothing else.
 */
export interface OidcStore {
  /** Stores or replaces an artefact, kept until `expires` (Unix seconds). */
  upsert(model: string, id: string, payload: OidcPayload, expires: number): Promise<void>
  /** The artefact, unless it is missing or expired at `now`. */
  find(model: string, id: string, now: number): Promise<OidcPayload | undefined>
  /** The provider session that mirrors the login session `uid` (its sid). */
  findSessionByUid(uid: string, now: number): Promise<OidcPayload | undefined>
  /** Marks a single-use artefact used; false when it already was, by a request that got there first. */
  consume(model: string, id: string, now: number): Promise<boolean>
  destroy(model: string, id: string): Promise<void>
  /** Deletes the artefacts of one model issued under a grant. */
  revokeByGrantId(model: string, grantId: string): Promise<void>
  /** Deletes a grant and everything issued under it. */
  revokeGrant(grantId: string): Promise<void>
  /**
   * Deletes and answers the provider sessions that mirror login session
   * `uid`. Deleting is the claim: of several processes ending the same
   * session, exactly one gets them and notifies the clients.
   */
  takeSessions(uid: string): Promise<OidcPayload[]>
  /** Login sessions with provider sessions that were revoked, are gone, or are past a timeout. */
  endedSessions(cutoffs: TimeoutCutoffs): Promise<EndedSession[]>
  /** Deletes the artefacts expired at `now`; answers how many went. */
  sweep(now: number): Promise<number>
}

interface Row {
  payload: string
  consumed: number | null
}

function decode(row: Row | undefined): OidcPayload | undefined {
  if (!row) return undefined
  const payload = JSON.parse(row.payload) as OidcPayload
  return row.consumed === null ? payload : { ...payload, consumed: row.consumed }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/** {@link OidcStore} on SQLite. */
export class SqliteOidcStore implements OidcStore {
  private readonly put
  private readonly byId
  private readonly byUid
  private readonly markConsumed
  private readonly remove
  private readonly removeByGrant
  private readonly removeGrant
  private readonly takeByUid
  private readonly ended
  private readonly purge

  constructor(db: Db) {
    // A replaced artefact is new again: single use counts from its latest version.
    this.put = db.prepare(
      `INSERT INTO oidc_models (model, id, payload, grant_id, uid, consumed, expires)
       VALUES (@model, @id, @payload, @grantId, @uid, NULL, @expires)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, consumed = NULL, expires = excluded.expires`,
    )
    this.byId = db.prepare<[string, string, number], Row>(
      'SELECT payload, consumed FROM oidc_models WHERE model = ? AND id = ? AND expires > ?',
    )
    this.byUid = db.prepare<[string, number], Row>(
      `SELECT payload, consumed FROM oidc_models WHERE uid = ? AND model = 'Session' AND expires > ?
       ORDER BY expires DESC LIMIT 1`,
    )
    this.markConsumed = db.prepare(
      'UPDATE oidc_models SET consumed = ? WHERE model = ? AND id = ? AND consumed IS NULL',
    )
    this.remove = db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?')
    this.removeByGrant = db.prepare('DELETE FROM oidc_models WHERE grant_id = ? AND model = ?')
    this.removeGrant = db.prepare(
      `DELETE FROM oidc_models WHERE grant_id = @grantId OR (model = 'Grant' AND id = @grantId)`,
    )
    this.takeByUid = db.prepare<[string], Row>(
      `DELETE FROM oidc_models WHERE uid = ? AND model = 'Session' RETURNING payload, consumed`,
    )
    this.ended = db.prepare<
      { refreshedBefore: number; createdBefore: number },
      { sid: string; userId: string | null; revoked: number }
    >(
      `SELECT DISTINCT m.uid AS sid, s.user_id AS userId, (s.sid IS NULL OR s.revoked IS NOT NULL) AS revoked
       FROM oidc_models m LEFT JOIN sessions s ON s.sid = m.uid
       WHERE m.model = 'Session' AND m.uid IS NOT NULL
         AND (s.sid IS NULL OR s.revoked IS NOT NULL OR s.refreshed <= @refreshedBefore OR s.created <= @createdBefore)`,
    )
    this.purge = db.prepare('DELETE FROM oidc_models WHERE expires <= ?')
  }

  async upsert(model: string, id: string, payload: OidcPayload, expires: number): Promise<void> {
    this.put.run({
      model,
      id,
      payload: JSON.stringify(payload),
      grantId: text(payload.grantId),
      uid: model === 'Session' ? text(payload.uid) : null,
      expires,
    })
  }

  async find(model: string, id: string, now: number): Promise<OidcPayload | undefined> {
    return decode(this.byId.get(model, id, now))
  }

  async findSessionByUid(uid: string, now: number): Promise<OidcPayload | undefined> {
    return decode(this.byUid.get(uid, now))
  }

  async consume(model: string, id: string, now: number): Promise<boolean> {
    return this.markConsumed.run(now, model, id).changes > 0
  }

  async destroy(model: string, id: string): Promise<void> {
    this.remove.run(model, id)
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    this.removeByGrant.run(grantId, model)
  }

  async revokeGrant(grantId: string): Promise<void> {
    this.removeGrant.run({ grantId })
  }

  async takeSessions(uid: string): Promise<OidcPayload[]> {
    return this.takeByUid.all(uid).map(row => decode(row)!)
  }

  async endedSessions(cutoffs: TimeoutCutoffs): Promise<EndedSession[]> {
    // -1: a timeout that is off matches no session.
    const rows = this.ended.all({
      refreshedBefore: cutoffs.refreshedBefore ?? -1,
      createdBefore: cutoffs.createdBefore ?? -1,
    })
    return rows.map(row => ({ sid: row.sid, userId: row.userId, revoked: row.revoked === 1 }))
  }

  async sweep(now: number): Promise<number> {
    return this.purge.run(now).changes
  }
}
